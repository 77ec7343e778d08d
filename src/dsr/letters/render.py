"""Rendering a Word template (docxtpl on python-docx): bytes in, bytes out; PDF through
LibreOffice where it is installed.

Every value is cleaned before it reaches the document, and Jinja escapes it on the way in, so
a name like ``</w:t><w:p>`` or ``{{ x }}`` stays text. A placeholder the context does not
have is an error (StrictUndefined), never a blank in a real letter.
"""

from __future__ import annotations

import asyncio
import functools
import io
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from jinja2 import Environment, StrictUndefined, TemplateError

from dsr.domain.errors import ConfigError, Unavailable

log = structlog.get_logger("dsr.letters")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
# PDF/A-2b (archivable, fonts embedded) through the writer's PDF export filter options.
PDF_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'

# Characters XML 1.0 forbids, and the bidi controls that could make text read differently
# from how it is stored (U+202A-U+202E, U+2066-U+2069). Tabs become spaces.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
_SURROGATES = re.compile("[\ud800-\udfff]")


class LetterTemplateError(ConfigError):
    """A template that cannot be rendered: unreadable, broken syntax, unknown placeholder."""

    code = "letter_template"


class PdfUnavailable(Unavailable):
    code = "pdf_unavailable"


def clean_value(value: Any) -> Any:
    """``value`` with every string made safe for a document, recursively; None becomes ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
        return _SURROGATES.sub("", _UNSAFE.sub("", text))
    if isinstance(value, Mapping):
        return {str(key): clean_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_value(item) for item in value]
    if isinstance(value, (bool, int, float)):
        return value
    return clean_value(str(value))


class _CompiledOnce(Environment):
    """docxtpl compiles each part's XML with ``from_string`` on every render; the XML of a
    template file is the same every time, so its compiled form is kept (bounded)."""

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=True)
        self._compiled = functools.lru_cache(maxsize=256)(super().from_string)

    def from_string(self, source: Any, globals: Any = None, template_class: Any = None) -> Any:
        if globals is None and template_class is None and isinstance(source, str):
            return self._compiled(source)
        return super().from_string(source, globals, template_class)


_SHARED = _CompiledOnce()


def jinja_environment() -> Environment:
    return _SHARED


@dataclass(frozen=True, slots=True)
class Properties:
    """The letter's own document properties (what a PDF viewer or an archive shows)."""

    title: str
    author: str  # the controller, never the library
    language: str  # "de-DE", "en-GB"
    created: datetime
    keywords: str = ""  # the reference


def render_docx(
    template: Path, context: Mapping[str, Any], properties: Properties | None = None
) -> bytes:
    """The rendered document; raises LetterTemplateError naming the template on any fault."""
    from docx.opc.exceptions import PackageNotFoundError  # docx and lxml: only when rendering
    from docxtpl import DocxTemplate  # type: ignore[import-untyped]

    try:
        document = DocxTemplate(str(template))
        document.render(clean_value(context), jinja_environment(), autoescape=True)
        if properties is not None:
            core = document.docx.core_properties
            core.title = clean_value(properties.title)
            core.author = core.last_modified_by = clean_value(properties.author)
            core.language = properties.language
            core.created = core.modified = properties.created
            core.keywords = clean_value(properties.keywords)
            core.revision = 1
        out = io.BytesIO()
        document.save(out)
    except TemplateError as exc:
        log.error("letter template unusable", template=str(template), error=exc.message)
        raise LetterTemplateError(f"{template}: {exc.message}") from exc
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as exc:
        log.error("letter template unreadable", template=str(template), error=type(exc).__name__)
        raise LetterTemplateError(f"{template}: not a readable .docx template") from exc
    return out.getvalue()


def placeholders(template: Path) -> set[str]:
    """The top-level names ``template`` refers to (for the catalog check)."""
    from docx.opc.exceptions import PackageNotFoundError
    from docxtpl import DocxTemplate

    try:
        document = DocxTemplate(str(template))
        return set(document.get_undeclared_template_variables(jinja_environment()))
    except TemplateError as exc:
        raise LetterTemplateError(f"{template}: {exc.message}") from exc
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, PackageNotFoundError) as exc:
        raise LetterTemplateError(f"{template}: not a readable .docx template") from exc


def soffice() -> str | None:
    """The LibreOffice binary that turns letters into PDF/A: ``DSR_SOFFICE`` names it, or
    ``soffice``/``libreoffice`` on the PATH. None when there is none, or ``DSR_SOFFICE`` is
    ``none`` (the letters then go out as the Word documents)."""
    named = os.environ.get("DSR_SOFFICE", "").strip()
    if named.lower() == "none":
        return None
    if named:
        return shutil.which(named)
    return shutil.which("soffice") or shutil.which("libreoffice")


PDF_SCRATCH = "dsr-pdf-"  # the prefix of to_pdf's private directories


def remove_stale_scratch(older_than: float = 600.0) -> int:
    """Remove conversion directories a killed process left behind (they hold a letter in
    the clear); called when a worker starts. Returns how many went."""
    import shutil
    import time

    removed = 0
    for path in Path(tempfile.gettempdir()).glob(f"{PDF_SCRATCH}*"):
        try:
            if path.is_dir() and time.time() - path.stat().st_mtime > older_than:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


async def convert(
    binary: str, files: list[Path], outdir: Path, profile: Path, seconds: float
) -> None:
    """One LibreOffice run converting ``files`` to PDF/A into ``outdir``, with a private
    profile (no lock clash with another run); killed after ``seconds``."""
    process = await asyncio.create_subprocess_exec(
        binary,
        f"-env:UserInstallation=file://{profile}",
        "--headless",
        "--convert-to",
        PDF_FILTER,
        "--outdir",
        str(outdir),
        *(str(path) for path in files),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await asyncio.wait_for(process.wait(), seconds)
    except TimeoutError:
        process.kill()
        await process.wait()


async def to_pdf(docx: bytes, seconds: float = 60.0) -> bytes | None:
    """The PDF LibreOffice makes of ``docx``; None without LibreOffice or when it fails."""
    binary = soffice()
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix=PDF_SCRATCH) as work:
        source = Path(work) / "letter.docx"
        source.write_bytes(docx)
        await convert(binary, [source], Path(work), Path(work) / "profile", seconds)
        target = Path(work) / "letter.pdf"
        return target.read_bytes() if target.exists() else None
