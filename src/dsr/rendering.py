"""Jinja environments for pages and e-mails, with the language's catalog and date format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from babel.dates import format_date
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from dsr.domain.vocabulary import Language
from dsr.i18n import translations
from dsr.site import Site

TEMPLATE_DIR = Path(__file__).parent / "web" / "templates"


def long_date(day: date, language: Language) -> str:
    """``7. April 2026`` / ``7 April 2026`` / ``7 Nisan 2026``."""
    return format_date(day, format="long", locale=language.locale)


def new_environment(site: Site | None = None) -> Environment:
    """Templates for pages and mails; ``site`` (dsr.yaml ``site:``) is shown by both."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html"], default_for_string=False),
        undefined=StrictUndefined,
        auto_reload=False,
    )
    environment.globals["site"] = site or Site()
    return environment


def language_globals(language: Language) -> dict[str, Any]:
    """What every template gets for its language: ``_``, ``lang``, ``dir`` (ltr or rtl) and
    ``letters_lang``, the language of the request's letters."""
    return {
        "_": translations(language).gettext,
        "lang": language.value,
        "dir": language.direction,
        "letters_lang": language.letters.value,
    }


@dataclass(frozen=True, slots=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def render_mail(
    environment: Environment, name: str, language: Language, subject: str, **context: Any
) -> RenderedMail:
    """``mail/<name>.txt`` and ``mail/<name>.html`` in ``language``; ``subject`` is a msgid
    formatted with ``context``."""
    values = {**language_globals(language), **context}
    text = environment.get_template(f"mail/{name}.txt").render(values)
    html = environment.get_template(f"mail/{name}.html").render(values)
    subject_text = translations(language).gettext(subject) % context
    return RenderedMail(subject=subject_text, text=text, html=html)
