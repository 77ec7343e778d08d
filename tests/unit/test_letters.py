"""Letter templates: every kind in every language renders, carries what LEGAL.md §6 requires,
names only known placeholders, and stays a valid document whatever a requester typed."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import docx
import pytest

from dsr.domain.identity import Identity
from dsr.domain.vocabulary import Language
from dsr.letters.blueprints import blocks, write_templates
from dsr.letters.catalog import LetterKind
from dsr.letters.check import SPECIMEN_PERSON, check_templates, specimen, specimen_config
from dsr.letters.render import LetterTemplateError, render_docx, soffice, to_pdf
from tests.helpers import LETTERS_DIR

COMPLAINT_DE = [
    "Landesbeauftragte für Datenschutz und Informationsfreiheit Nordrhein-Westfalen",
    "Kavalleriestraße 2-4, 40213 Düsseldorf",
    "poststelle@ldi.nrw.de",
    "Art. 77 DSGVO",
    "Art. 79 DSGVO",
    "Land, in dem Sie wohnen",  # Art. 77: the authority of their residence too
]
# LEGAL.md §6, per kind, for the specimen request (received Thu 5 March 2026, NRW): what the
# German letter must say. Dates are the worked case: due Tue 7 April 2026 (Easter Monday).
MANDATORY_DE: dict[LetterKind, list[str]] = {
    LetterKind.ACKNOWLEDGEMENT: [
        "am 5. März 2026 erhalten",
        "Recht auf Auskunft (Art. 15 DSGVO)",
        "spätestens am 7. April 2026",
        "Bestätigung Ihrer E-Mail-Adresse",  # the verification step
    ],
    LetterKind.IDENTITY_REQUEST: [
        "Warum wir nachfragen: Die Telefonnummer passt nicht.",
        "Ihre Kundennummer",  # exactly what minimal information
        "ausschließlich, um zu prüfen",
        "löschen sie danach",
    ],
    LetterKind.EXTENSION: [
        "bis zum 7. April 2026",
        "spätestens am 5. Juni 2026",  # receipt + 3 months
        "Der Grund: Sie haben Daten in fünf Systemen",
        "Art. 12 Abs. 3 DSGVO",
    ],
    LetterKind.ACCESS: [
        "Ja, wir verarbeiten Daten zu Ihrer Person",
        "Kundendatenbank: Identitätsdaten",
        "ZIP-Datei",
        "bis zum 3. April 2026",
        "Zwecke: Abwicklung Ihrer Bestellungen",  # (a)
        "Kategorien von Daten:",  # (b)
        "Empfänger: Paketdienst GmbH (Deutschland)",  # (c) by name
        "Newsletter Versand GmbH",
        "CallCloud Inc., San Francisco (USA): EU-Standardvertragsklauseln",  # 15(2)
        "Speicherdauer: bis drei Jahre nach Ende des Vertrags",  # (d)
        "Art. 16 DSGVO",  # (e)
        "Herkunft der Daten: bei Ihnen selbst erhoben",  # (g)
        "Automatisierte Entscheidungen und Profiling: keine",  # (h)
        "nichts geschwärzt",
        *COMPLAINT_DE,  # (f)
    ],
    LetterKind.NEGATIVE: [
        "keine Daten zu Ihrer Person",
        "E-Mail-Adresse erika.mustermann@example.org",
        "Kundendatenbank",
        "Newsletter-Versand",
        *COMPLAINT_DE,
    ],
    LetterKind.RECTIFICATION: [
        "Postanschrift: jetzt „Am Stadtgarten 3, 45127 Essen“",
        "am 20. März 2026 getan",
        "Newsletter Versand GmbH",  # Art. 19
    ],
    LetterKind.ERASURE: [
        "Art. 17 Abs. 1",
        "Am 20. März 2026 haben wir gelöscht",
        "Kundendatenbank: Identitätsdaten",
        "Newsletter Versand GmbH",
    ],
    LetterKind.PARTIAL_ERASURE: [
        "Am 20. März 2026 haben wir gelöscht",
        "Zahlungs- und Rechnungsdaten (8 Datensätze)",
        "§ 147 Abs. 1 Nr. 4 AO, § 257 Abs. 1 Nr. 4 HGB",
        "bis zum 31. Dezember 2034",
        "gesperrt (Art. 18 DSGVO)",
        "Art. 17 Abs. 3 lit. b",
        *COMPLAINT_DE,
    ],
    LetterKind.REFUSAL: [
        "nicht nachkommen",
        "offenkundig unbegründet (Art. 12 Abs. 5 DSGVO)",
        "Unsere Gründe: Sie haben seit Januar zwölf gleichlautende Anträge gestellt.",
        *COMPLAINT_DE,
    ],
    LetterKind.UNVERIFIABLE: [
        "Art. 11 Abs. 2",
        "Was wir geprüft haben: Die genannte Kundennummer gibt es bei uns nicht.",
        "Ihre Kundennummer, zum Beispiel von einer Rechnung",
        *COMPLAINT_DE,
    ],
}
EVERY_LETTER_DE = [
    "DSR-2026-000042",  # reference
    "Ihr Antrag vom 5. März 2026",  # receipt date
    "Beispiel Kundenservice GmbH",  # controller
    "dsb@example.org",  # DPO contact
    "20. März 2026",  # letter date
    "Erika Mustermann",
    "Heisenbergstraße 12",
]


def text_of(content: bytes) -> str:
    """Body, header and footer text of a .docx, as a reader sees it."""
    document = docx.Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(parts)


def render(kind: LetterKind, language: Language, person: Identity = SPECIMEN_PERSON) -> str:
    path = LETTERS_DIR / language.value / f"{kind.value}.docx"
    config = specimen_config()
    return text_of(render_docx(path, specimen(kind, language, config, person)))


@pytest.mark.parametrize("kind", list(LetterKind))
def test_each_german_letter_says_what_the_law_requires(kind: LetterKind) -> None:
    text = render(kind, Language.DE)
    missing = [item for item in [*EVERY_LETTER_DE, *MANDATORY_DE[kind]] if item not in text]
    assert missing == [], text
    assert "{{" not in text and "{%" not in text


@pytest.mark.parametrize("kind", list(LetterKind))
def test_each_english_letter_renders_with_english_dates(kind: LetterKind) -> None:
    text = render(kind, Language.EN)
    assert "DSR-2026-000042" in text and "Your request of 5 March 2026" in text
    assert "März" not in text and "{{" not in text
    if kind is LetterKind.ACKNOWLEDGEMENT:
        assert "by 7 April 2026 at the latest" in text and "access (Art. 15 GDPR)" in text
    if kind is LetterKind.PARTIAL_ERASURE:
        assert "until 31 December 2034" in text and "Art. 77 GDPR" in text


def test_the_shipped_templates_are_the_blueprints(tmp_path: Path) -> None:
    """templates/letters is what `dsr letters init` writes: no hand edit drifted away."""
    write_templates(tmp_path)
    for language in ("de", "en"):
        for kind in LetterKind:
            shipped = docx.Document(str(LETTERS_DIR / language / f"{kind.value}.docx"))
            assert [p.text for p in shipped.paragraphs] == [t for _, t in blocks(language, kind)]


def test_the_shipped_templates_pass_the_check() -> None:
    assert check_templates(LETTERS_DIR) == []


def test_an_unknown_placeholder_is_caught_not_left_blank(tmp_path: Path) -> None:
    write_templates(tmp_path)
    target = tmp_path / "de" / "refusal.docx"
    document = docx.Document(str(target))
    document.add_paragraph("Ihr Sachbearbeiter: {{ clerk.name }}")  # a DPO's typo-level edit
    document.save(str(target))
    problems = check_templates(tmp_path)
    assert problems == [f"{target}: unknown placeholders clerk"]
    with pytest.raises(LetterTemplateError, match="clerk"):
        render_docx(target, specimen(LetterKind.REFUSAL, Language.DE))


def test_a_missing_or_broken_template_is_reported(tmp_path: Path) -> None:
    write_templates(tmp_path)
    (tmp_path / "en" / "access.docx").unlink()
    (tmp_path / "de" / "negative.docx").write_bytes(b"not a zip")
    problems = check_templates(tmp_path)
    assert f"{tmp_path / 'en' / 'access.docx'}: missing" in problems
    assert any("negative.docx: not a readable .docx template" in p for p in problems)


HOSTILE = Identity(
    name='Eve </w:t></w:r><w:r><w:t>{{ 7*7 }} <script>alert(1)</script> & "x"\r\nBcc: a@b',
    email="eve@example.org",
    postal_address="Straße\u202eevil\u202c 1\x00\x07\n12345 Ort 🏠",
)


@pytest.mark.parametrize("kind", [LetterKind.ACKNOWLEDGEMENT, LetterKind.NEGATIVE])
def test_hostile_values_stay_text_in_a_valid_document(kind: LetterKind) -> None:
    text = render(kind, Language.DE, HOSTILE)  # python-docx parses it: the XML is valid
    assert '</w:t></w:r><w:r><w:t>{{ 7*7 }} <script>alert(1)</script> & "x"' in text
    assert "49" not in text  # no template evaluation of a value
    assert "\u202e" not in text and "\x00" not in text and "\x07" not in text
    assert "Straßeevil 1" in text and "🏠" in text


def require_soffice() -> str:
    binary = soffice()
    if binary is None:
        message = "LibreOffice (soffice) is not installed: apt-get install libreoffice-writer"
        if os.environ.get("DSR_REQUIRE_SERVICES") == "1":
            pytest.fail(f"required service missing: {message}")
        pytest.skip(message)
    return binary


async def test_every_german_letter_opens_in_libreoffice() -> None:
    require_soffice()
    config = specimen_config()
    for kind in LetterKind:
        content = render_docx(
            LETTERS_DIR / "de" / f"{kind.value}.docx", specimen(kind, Language.DE, config)
        )
        pdf = await to_pdf(content)
        assert pdf is not None and pdf.startswith(b"%PDF"), kind
        assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) >= 1, kind
