"""``dsr letters specimens DIR``: every letter kind in both languages, with its variants and
hostile names, as DOCX and (with LibreOffice) PDF, for people to read page by page."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsr.domain import refusals
from dsr.domain.identity import Identity
from dsr.domain.vocabulary import LETTER_LANGUAGES, RejectionGround, RequestKind
from dsr.letters.catalog import LetterKind
from dsr.letters.check import SPECIMEN_PERSON, specimen, specimen_config
from dsr.letters.render import PDF_SCRATCH, convert, render_docx, soffice

HOSTILE_PERSON = Identity(
    name='Eve </w:t></w:r><w:r><w:t>{{ 7*7 }} <script>alert(1)</script> & "x"\r\nBcc: a@b',
    email="eve@example.org",
    postal_address="Straße\u202eevil\u202c 1\x00\x07\n12345 Ort 🏠",
)


@dataclass(frozen=True, slots=True)
class Variant:
    name: str  # file stem
    kind: LetterKind
    options: dict[str, Any] = field(default_factory=dict)
    person: Identity | None = None


def variants() -> Iterator[Variant]:
    for kind in LetterKind:
        yield Variant(kind.value, kind)
    ack = LetterKind.ACKNOWLEDGEMENT
    objection = {"request_kind": RequestKind.OBJECTION}
    yield Variant("acknowledgement-objection", ack, objection)
    yield Variant("acknowledgement-objection-marketing", ack, {**objection, "marketing": True})
    yield Variant("objection-marketing", LetterKind.OBJECTION, {"marketing": True})
    for ground in refusals.GROUNDS:
        if ground.identity:
            continue
        options = {"ground": ground.code, "request_kind": sorted(ground.kinds)[0]}
        yield Variant(f"refusal-{ground.code}", LetterKind.REFUSAL, options)
    fee = {"ground": RejectionGround.EXCESSIVE.value, "fee": "25,00 EUR"}
    yield Variant("refusal-excessive-with-fee", LetterKind.REFUSAL, fee)
    for kind in (LetterKind.ACKNOWLEDGEMENT, LetterKind.NEGATIVE, LetterKind.REFUSAL):
        yield Variant(f"{kind.value}-hostile", kind, person=HOSTILE_PERSON)


def write_specimens(templates: Path, target: Path) -> list[Path]:
    """Render every variant in every language into ``target/<lang>/``; the DOCX files."""
    config = specimen_config()
    written = []
    for language in LETTER_LANGUAGES:  # letters are German or English
        directory = target / language.value
        directory.mkdir(parents=True, exist_ok=True)
        for variant in variants():
            person = variant.person or SPECIMEN_PERSON
            context = specimen(variant.kind, language, config, person, **variant.options)
            path = directory / f"{variant.name}.docx"
            path.write_bytes(
                render_docx(templates / language.value / f"{variant.kind}.docx", context)
            )
            written.append(path)
    return written


async def convert_all(paths: Sequence[Path], seconds: float = 600.0) -> list[Path]:
    """PDF/A-2b of each DOCX beside it, in one LibreOffice run; [] without LibreOffice."""
    binary = soffice()
    if binary is None or not paths:
        return []
    by_directory: dict[Path, list[Path]] = {}
    for path in paths:
        by_directory.setdefault(path.parent, []).append(path)
    with tempfile.TemporaryDirectory(prefix=PDF_SCRATCH) as profile:
        for directory, files in by_directory.items():
            await convert(binary, files, directory, Path(profile) / "profile", seconds)
    return [p.with_suffix(".pdf") for p in paths if p.with_suffix(".pdf").exists()]
