"""The shipped letter templates are built from this package: ``wording_de`` / ``wording_en``
hold the text, ``layout`` the DIN 5008 page. This is their single source.

``templates/letters/<lang>/<kind>.docx`` in the repository are this module's output
(``make letters``; ``tests/unit/test_letters.py`` fails when they differ from it). Why the
generator and not the documents: the Form B geometry (frames anchored to the page, fold marks,
page-number fields) is exact XML that an edit in Word can move without anyone seeing it; the two
languages stay side by side; a change of wording is a readable diff. A DPO who wants their own
wording edits copies in Word (``dsr letters init DIR``) and ``dsr letters check`` holds those
copies to the catalog of placeholders.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from docx.document import Document as WordDocument
from docx.oxml.ns import qn

from dsr.letters import layout, wording_de, wording_en
from dsr.letters.catalog import LetterKind
from dsr.letters.layout import Block

WORDING: dict[str, ModuleType] = {"de": wording_de, "en": wording_en}


def blocks(language: str, kind: LetterKind) -> list[Block]:
    """The letter's text: the kind's body, then the closing."""
    wording = WORDING[language]
    return [*wording.BODIES[kind], *wording.CLOSING]


def build(language: str, kind: LetterKind) -> WordDocument:
    wording = WORDING[language]
    document = layout.new_document(wording.LABELS)
    layout.write_address_and_info(document, wording.LABELS, wording.RECIPIENT)
    content = blocks(language, kind)
    layout.write_body(document, content)
    layout.set_properties(document, content[0][1], wording.LABELS.language)
    _slim(document)
    return document


def write_templates(directory: Path, *, overwrite: bool = False) -> list[Path]:
    """Write ``<directory>/<lang>/<kind>.docx`` for every language and kind; existing files
    are kept unless ``overwrite``. Returns the files written."""
    written: list[Path] = []
    for language in WORDING:
        for kind in LetterKind:
            path = directory / language / f"{kind.value}.docx"
            if path.exists() and not overwrite:
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            save_stable(build(language, kind), path)
            written.append(path)
    return written


def save_stable(document: WordDocument, path: Path) -> None:
    """Save with fixed zip timestamps, so building twice gives the same bytes."""
    document.save(str(path))
    with zipfile.ZipFile(path) as original:
        parts = [(info.filename, original.read(info)) for info in original.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as stable:
        for name, content in parts:
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            stable.writestr(info, content)


# python-docx's blank document carries ~800 KB of style definitions (every latent style, and
# a Word 2010 copy of them), a thumbnail and custom XML: parsing and zipping them is most of
# the cost of every letter. The templates keep only the styles they use.
_KEEP_STYLES = {
    "Normal",
    "ListBullet",
    "Heading1",
    "Header",
    "Footer",
    "DefaultParagraphFont",
    *(name.replace(" ", "") for name in layout.STYLES),
}
_DROP_PARTS = ("stylesWithEffects", "customXml", "thumbnail")


def _slim(document: WordDocument) -> None:
    for rels in (document.part.rels, document.part.package.rels):
        for rid in [r.rId for r in rels.values() if r.reltype.rsplit("/", 1)[-1] in _DROP_PARTS]:
            del rels[rid]
    styles = document.styles.element
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)
    by_id = {el.get(qn("w:styleId")): el for el in styles.findall(qn("w:style"))}
    keep: set[str | None] = set()
    todo: list[str | None] = [s for s in _KEEP_STYLES | _defaults(by_id) if s in by_id]
    while todo:
        style_id = todo.pop()
        if style_id in keep:
            continue
        keep.add(style_id)
        for tag in ("w:basedOn", "w:next", "w:link"):
            ref = by_id[style_id].find(qn(tag))
            if ref is not None and ref.get(qn("w:val")) in by_id:
                todo.append(ref.get(qn("w:val")))
    for style_id, element in by_id.items():
        if style_id not in keep:
            styles.remove(element)


def _defaults(by_id: dict[str | None, object]) -> set[str]:
    """The default style of each type (paragraph, character, table, numbering)."""
    return {
        str(style_id)
        for style_id, element in by_id.items()
        if element.get(qn("w:default")) in ("1", "true")  # type: ignore[attr-defined]
    }


__all__: Sequence[str] = ("blocks", "build", "save_stable", "write_templates")
