"""Letter templates: every kind in every language renders, carries what LEGAL.md §6 requires,
names only known placeholders, and stays a valid document whatever a requester typed."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import docx
import pytest

from dsr.domain import refusals
from dsr.domain.identity import Identity
from dsr.domain.vocabulary import LETTER_LANGUAGES, Language, RequestKind
from dsr.letters.blueprints import write_templates
from dsr.letters.catalog import LetterKind
from dsr.letters.check import SPECIMEN_PERSON, check_templates, specimen, specimen_config
from dsr.letters.render import LetterTemplateError, Properties, render_docx, soffice
from tests.helpers import LETTERS_DIR

COMPLAINT_DE = [
    "Landesbeauftragte für Datenschutz und Informationsfreiheit Nordrhein-Westfalen",
    "Kavalleriestraße 2-4, 40213 Düsseldorf",
    "poststelle@ldi.nrw.de",
    "Art. 77 DSGVO",
    "Art. 79 DSGVO",
    "Mitgliedstaat Ihres gewöhnlichen Aufenthaltsorts",  # Art. 77: residence, work, place
    "Orts des mutmaßlichen Verstoßes",
    "Postanschrift: Postfach 20 04 44, 40102 Düsseldorf",  # LEGAL.md §6
]
# LEGAL.md §6, per kind, for the specimen request (received Thu 5 March 2026, NRW): what the
# German letter must say. Dates are the worked case: due Tue 7 April 2026 (Easter Monday).
MANDATORY_DE: dict[LetterKind, list[str]] = {
    LetterKind.ACKNOWLEDGEMENT: [
        "Ihr Auskunftsantrag ist am 5. März 2026 bei uns eingegangen",
        "Sie machen Ihr Recht auf Auskunft (Art. 15 DSGVO) geltend",
        "spätestens am 7. April 2026",
        "Bestätigung Ihrer E-Mail-Adresse",  # the verification step
    ],
    LetterKind.IDENTITY_REQUEST: [
        "Warum wir nachfragen: Die Telefonnummer passt nicht.",
        "Ihre Kundennummer",  # exactly what minimal information
        "Es genügt, wenn Sie uns zwei der folgenden Angaben nennen",  # two facts suffice
        "Kundenservice unter 0201 123456-0",  # the service phone of dsr.yaml
        "ausschließlich, um zu prüfen",
        "löschen sie danach",
    ],
    LetterKind.EXTENSION: [
        "bis zum 7. April 2026",
        "verlängern wir die Frist deshalb bis zum 5. Juni 2026",  # receipt + 3 months
        "Der Grund: Sie haben Daten in fünf Systemen",
        "Art. 12 Abs. 3 Satz 2 DSGVO",
        *COMPLAINT_DE,
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
        "Straße und Hausnummer: jetzt „Am Stadtgarten 3“",
        "Postleitzahl: jetzt „45127“",
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
        # a row another person uses too (a shared address) is kept and said so
        "Kontaktdaten (z. B. Anschrift, E-Mail, Telefon) (1 Datensatz): auch Einträge anderer "
        "Personen nutzen sie; für diese Personen bleiben sie gespeichert",
        *COMPLAINT_DE,
    ],
    LetterKind.RESTRICTION: [
        "Am 20. März 2026 haben wir sie eingeschränkt: Ihre Postanschrift",
        "Art. 18 Abs. 1 lit. a DSGVO",
        "Bevor wir die Einschränkung aufheben, teilen wir Ihnen das mit (Art. 18 Abs. 3 DSGVO)",
        "Newsletter Versand GmbH",  # Art. 19
    ],
    LetterKind.RESTRICTION_LIFT: [
        "Wir werden diese Einschränkung am 10. April 2026 aufheben.",
        "Der Grund: Wir haben die Anschrift beim Einwohnermeldeamt geprüft",
        *COMPLAINT_DE,
    ],
    LetterKind.OBJECTION: [
        "Ihr Widerspruch (Art. 21 DSGVO)",
        "(Art. 21 Abs. 1 DSGVO). Wir haben Ihre Gründe geprüft",
        "für Bonitätsprüfungen nicht mehr",
    ],
    LetterKind.REFUSAL: [
        "Diesem Antrag kommen wir nicht nach.",
        "offenkundig unbegründet (Art. 12 Abs. 5 Satz 2 lit. b DSGVO)",
        "Unsere Gründe im Einzelnen: Sie haben seit Januar zwölf gleichlautende Anträge gestellt.",
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
    "Ihre Nachricht vom\t5. März 2026",  # receipt date, in the information block
    "Unser Zeichen\tDSR-2026-000042",
    "Datum\t20. März 2026",
    "Amtsgericht Essen, HRB 12345 · Geschäftsführung: Maria Beispiel, Jonas Muster",  # § 35a
    "Datenschutzbeauftragter: Dr. Datenschutz",  # the DPO's title from dsr.yaml
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
    assert "DSR-2026-000042" in text and "Your message of\t5 March 2026" in text
    assert "März" not in text and "{{" not in text
    greeting = text.split("Dear Erika Mustermann,\n", 1)[1]
    assert greeting[0].isupper(), greeting[:40]  # a capital after "Dear …,"
    assert "right to access" not in text and "request for object" not in text
    if kind is LetterKind.ACKNOWLEDGEMENT:
        assert "by 7 April 2026 at the latest" in text
        assert "your right of access (Art. 15 GDPR)" in text
    if kind is LetterKind.EXTENSION:
        assert "until 5 June 2026" in text and "two months" not in text
    if kind in (LetterKind.NEGATIVE, LetterKind.REFUSAL):  # the authority's name explained
        assert "(the State Commissioner for Data Protection and Freedom of Information" in text
        assert "Member State of your habitual residence" in text
        assert "place of the alleged infringement" in text
    if kind is LetterKind.PARTIAL_ERASURE:
        assert "until 31 December 2034" in text and "Art. 77 GDPR" in text


def test_the_shipped_templates_are_built_from_the_wording_modules(tmp_path: Path) -> None:
    """templates/letters is `make letters`' output, part for part: the wording modules are
    the one source; a hand edit of a shipped file, or a wording change without rebuilding,
    fails here."""
    write_templates(tmp_path)
    for language in ("de", "en"):
        for kind in LetterKind:
            name = f"{language}/{kind.value}.docx"
            with (
                zipfile.ZipFile(LETTERS_DIR / name) as shipped,
                zipfile.ZipFile(tmp_path / name) as built,
            ):
                assert shipped.namelist() == built.namelist(), name
                for part in built.namelist():
                    assert shipped.read(part) == built.read(part), f"{name}: {part}"
    # and building twice gives the same bytes (a stable build output)
    again = tmp_path / "again"
    write_templates(again)
    assert (again / "de" / "access.docx").read_bytes() == (
        tmp_path / "de" / "access.docx"
    ).read_bytes()


@pytest.mark.parametrize("language", ["de", "en"])
def test_headings_are_styles_and_the_document_speaks_its_language(language: str) -> None:
    document = docx.Document(str(LETTERS_DIR / language / "access.docx"))
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert len(headings) >= 6 and headings[0].startswith("1.")
    subject = [p for p in document.paragraphs if p.style.name == "Subject"]
    assert len(subject) == 1 and "Art. 15" in subject[0].text
    direct = [r.text for p in document.paragraphs for r in p.runs if r.bold or r.font.size]
    assert direct == []  # no direct formatting: the styles carry it
    tag = {"de": "de-DE", "en": "en-GB"}[language]
    assert f'w:val="{tag}"'.encode() in zipfile.ZipFile(
        LETTERS_DIR / language / "access.docx"
    ).read("word/styles.xml")


def test_a_rendered_letter_carries_the_companys_properties_not_the_librarys() -> None:
    created = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
    properties = Properties(
        "Auskunft – DSR-2026-000042", "Beispiel Kundenservice GmbH", "de-DE", created
    )
    content = render_docx(
        LETTERS_DIR / "de" / "access.docx", specimen(LetterKind.ACCESS, Language.DE), properties
    )
    core = docx.Document(io.BytesIO(content)).core_properties
    assert (core.author, core.last_modified_by, core.language) == (
        "Beispiel Kundenservice GmbH",
        "Beispiel Kundenservice GmbH",
        "de-DE",
    )
    assert core.created == created and core.title.startswith("Auskunft")
    assert "python-docx" not in (core.author + core.comments + core.last_modified_by)


def test_an_objection_is_acknowledged_by_its_kind() -> None:
    config = specimen_config()
    path = LETTERS_DIR / "de" / "acknowledgement.docx"
    objection = text_of(
        render_docx(
            path,
            specimen(
                LetterKind.ACKNOWLEDGEMENT, Language.DE, config, request_kind=RequestKind.OBJECTION
            ),
        )
    )
    assert "Ihr Widerspruch ist am 5. März 2026 bei uns eingegangen" in objection
    assert "Gründe, die sich aus Ihrer besonderen Situation ergeben" in objection  # Art. 21(1)
    assert "Begründung ist dafür nicht erforderlich" not in objection
    assert "Sie müssen nichts weiter tun" not in objection  # they are asked for their grounds
    assert "spätestens am 7. April 2026" in objection
    marketing = text_of(
        render_docx(
            path,
            specimen(
                LetterKind.ACKNOWLEDGEMENT,
                Language.DE,
                config,
                request_kind=RequestKind.OBJECTION,
                marketing=True,
            ),
        )
    )
    assert "ab sofort nicht mehr für Werbung (Art. 21 Abs. 3 DSGVO)" in marketing
    assert "spätestens am" not in marketing  # stopped at once: no one-month answer date
    assert "besonderen Situation" not in marketing


@pytest.mark.parametrize(
    "chosen", [g for g in refusals.GROUNDS if not g.identity], ids=lambda g: g.code
)
@pytest.mark.parametrize("language", LETTER_LANGUAGES)
def test_every_refusal_ground_has_its_wording_and_the_reasons(
    chosen: refusals.Ground, language: Language
) -> None:
    context = specimen(
        LetterKind.REFUSAL, language, ground=chosen.code, request_kind=sorted(chosen.kinds)[0]
    )
    text = text_of(render_docx(LETTERS_DIR / language.value / "refusal.docx", context))
    assert chosen.text[language.value] in text and chosen.decided(language.value) in text
    assert chosen.provision[language.value] in text  # the provision, as the DPO's label has it
    assert "Sie haben seit Januar zwölf gleichlautende Anträge gestellt." in text  # the reasons
    assert ("Art. 77 DSGVO" if language is Language.DE else "Art. 77 GDPR") in text


def test_the_fee_alternative_of_art_12_5_a_is_offered_only_for_12_5() -> None:
    context = specimen(LetterKind.REFUSAL, Language.DE, ground="excessive", fee="25,00 EUR")
    text = text_of(render_docx(LETTERS_DIR / "de" / "refusal.docx", context))
    assert "gegen ein angemessenes Entgelt von 25,00 EUR" in text
    assert "Art. 12 Abs. 5 Satz 2 lit. a DSGVO" in text
    claims = specimen(
        LetterKind.REFUSAL,
        Language.DE,
        ground="erasure_legal_claims",
        fee="25,00 EUR",
        request_kind=RequestKind.ERASURE,
    )
    assert claims["fee"] == ""


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


# Every kind in both languages opening in LibreOffice, as PDF/A, is measured by
# tests/integration/test_letter_layout.py (one LibreOffice run for all specimens).
