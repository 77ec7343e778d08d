"""The letters as PDF, measured (LibreOffice, then ``pdftotext -bbox``): every kind, language
and variant of ``dsr letters specimens`` puts the recipient inside the DIN 5008 Form B window,
numbers its pages "Seite x von y", and never leaves a page holding only the closing."""

from __future__ import annotations

import asyncio
import itertools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

import pytest

from dsr.letters.layout import WINDOW
from dsr.letters.specimens import convert_all, write_specimens
from tests.helpers import LETTERS_DIR
from tests.unit.test_letters import require_soffice

pytestmark = pytest.mark.pdf
PT_PER_MM = 72 / 25.4
CLOSING_START = {"de": ("Bei", "Fragen"), "en": ("If", "you")}
PAGE_LABEL = {"de": r"Seite (\d+) von (\d+)", "en": r"Page (\d+) of (\d+)"}
HEADER_MM, FOOTER_MM = 25.0, 268.0  # body text lies between the running header and footer


@dataclass(frozen=True, slots=True)
class Word:
    page: int
    text: str
    x: float  # mm from the left edge
    y: float  # mm from the top edge
    bottom: float


def words_of(pdf: Path) -> tuple[int, list[Word]]:
    xhtml = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    root = ElementTree.fromstring(xhtml)  # noqa: S314 - pdftotext's output of our own PDF
    ns = {"x": "http://www.w3.org/1999/xhtml"}
    pages = root.findall(".//x:page", ns)
    words = [
        Word(
            number,
            word.text or "",
            float(word.get("xMin", 0)) / PT_PER_MM,
            float(word.get("yMin", 0)) / PT_PER_MM,
            float(word.get("yMax", 0)) / PT_PER_MM,
        )
        for number, page in enumerate(pages, start=1)
        for word in page.findall("x:word", ns)
    ]
    return len(pages), words


@pytest.fixture(scope="module")
def specimens(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    require_soffice()
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    target = tmp_path_factory.mktemp("specimens")
    written = write_specimens(LETTERS_DIR, target)
    pdfs = asyncio.run(convert_all(written))
    assert len(pdfs) == len(written)
    return pdfs


def test_the_recipient_lies_inside_the_form_b_window(specimens: list[Path]) -> None:
    for pdf in specimens:
        _, words = words_of(pdf)
        first = [w for w in words if w.page == 1]
        street = next(w for w in first if w.text.startswith(("Heisenbergstraße", "Straße")))
        town = next(w for w in first if w.text in ("45127", "12345") and w.x < 100)
        for word in (street, town):
            assert WINDOW.x <= word.x <= WINDOW.x + WINDOW.w, (pdf.name, word)
            assert WINDOW.y <= word.y and word.bottom <= WINDOW.y + WINDOW.h, (pdf.name, word)
        # the return line sits in the window too, above the recipient
        sender = next(w for w in first if w.text == "Beispiel" and w.y > WINDOW.y)
        assert sender.y < street.y and sender.bottom <= WINDOW.y + WINDOW.h, pdf.name
        # and nothing of the body reaches into the window
        body = [w for w in first if w.x < WINDOW.x + WINDOW.w and WINDOW.y + WINDOW.h < w.y < 95]
        assert body == [], (pdf.name, body[:3])


def test_every_page_is_numbered_seite_x_von_y(specimens: list[Path]) -> None:
    several = 0
    for pdf in specimens:
        language = pdf.parent.name
        pages, words = words_of(pdf)
        several += pages > 1
        for number in range(1, pages + 1):
            line = " ".join(w.text for w in words if w.page == number and w.y > FOOTER_MM)
            found = re.search(PAGE_LABEL[language], line)
            assert found and found.groups() == (str(number), str(pages)), (pdf.name, line)
    assert several >= 4  # the access, negative and partial erasure letters run to two pages


def test_no_page_holds_only_the_closing(specimens: list[Path]) -> None:
    for pdf in specimens:
        first_word, second_word = CLOSING_START[pdf.parent.name]
        pages, words = words_of(pdf)
        body = [w for w in words if HEADER_MM < w.y < FOOTER_MM]
        starts = [
            i
            for i, (a, b) in enumerate(itertools.pairwise(body))
            if (a.text, b.text) == (first_word, second_word)
        ]
        assert starts, pdf.name
        closing = starts[-1]
        for number in range(2, pages + 1):
            before = [w for w in body[:closing] if w.page == number]
            assert before, f"{pdf.name}: page {number} holds only the closing"
