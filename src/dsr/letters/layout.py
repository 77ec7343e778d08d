"""The page of every letter: DIN 5008 Form B, as a Word document (python-docx plus the few
pieces of WordprocessingML it has no API for: frames, fields, paragraph borders).

Geometry (LEGAL.md §8), from the top-left corner of an A4 page, in millimetres:

- letterhead in the first page's header, right of 125 mm;
- return line and address field in the window zone: the field starts 45 mm from the top and
  20 mm from the left and is 85 × 45 mm (17.7 mm additional-information zone, the return line
  at its foot, then the 27.3 mm address zone, written 5 mm in, at 25 mm);
- information block right of 125 mm from 50 mm down ("Ihre Nachricht vom", "Unser Zeichen", the
  DPO, "Datum");
- subject line at 98.4 mm; body 25 mm from the left, 20 mm from the right;
- fold marks at 105 and 210 mm, punch mark at 148.5 mm, on the left edge of the first page;
- "Seite x von y" and the company's statutory details (§ 35a GmbHG) in every footer;
  following pages carry the sender and the reference in their header.

Everything positioned is a frame (``w:framePr``) anchored to the page, so it stays where it
is whatever the text before it; everything else is a named paragraph style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from docx.text.paragraph import Paragraph

Block = tuple[str, str]  # (style, text); see STYLES and the block kinds in ``write_body``

FONT = "Liberation Sans"  # metric-compatible with Arial, shipped with LibreOffice
LEFT_MARGIN, RIGHT_MARGIN, TOP_MARGIN, BOTTOM_MARGIN = 25.0, 20.0, 27.0, 27.0
SUBJECT_AT = 98.4  # mm from the top edge: where DIN 5008 Form B puts the subject line


@dataclass(frozen=True, slots=True)
class Frame:
    """A box anchored to the page: left, top, width, height in mm."""

    x: float
    y: float
    w: float
    h: float


LETTERHEAD = Frame(125.0, 12.0, 75.0, 30.0)
RETURN_LINE = Frame(20.0, 57.2, 85.0, 5.5)  # the foot of the 17.7 mm zone above the address
ADDRESS = Frame(20.0, 62.7, 85.0, 27.3)  # the address zone: 45 + 17.7 mm down, 27.3 mm high
WINDOW = Frame(20.0, 45.0, 85.0, 45.0)  # the whole address field (what the envelope shows)
INFO_BLOCK = Frame(125.0, 50.0, 75.0, 40.0)
MARKS = {"fold": (105.0, 210.0), "punch": (148.5,)}

# Paragraph styles: name -> (font size pt, bold, space after pt, keep with next).
STYLES: dict[str, tuple[float, bool, float, bool]] = {
    "Letterhead": (9.0, False, 0.0, False),
    "Return Line": (7.0, False, 0.0, False),
    "Recipient": (10.0, False, 0.0, False),
    "Info Block": (8.5, False, 0.0, False),
    "Subject": (11.0, True, 12.0, True),
    "Emphasis Line": (10.0, True, 6.0, True),  # a record name goes with its bullets
    "Closing": (10.0, False, 12.0, True),
    "Signature": (10.0, False, 0.0, False),  # one paragraph, kept together
    "Footer Line": (7.0, False, 0.0, False),
    "Page Number": (8.0, False, 2.0, False),
    "Placeholder": (10.0, False, 0.0, False),  # a paragraph holding only a {%p ... %} tag
}


def twips(mm: float) -> str:
    return str(round(mm * 1440 / 25.4))


@dataclass(frozen=True, slots=True)
class Labels:
    """The words of the page itself, in one language."""

    language: str  # w:lang, e.g. "de-DE"
    info: Sequence[tuple[str, str]]  # (label, placeholder) lines of the information block
    page: str  # "Seite {page} von {pages}" with {page} and {pages}
    return_line: str
    letterhead: Sequence[str]
    following_header: str
    footer: Sequence[str]


def new_document(labels: Labels) -> WordDocument:
    """An empty Form B letter: page, styles, letterhead, marks, address field, info block,
    headers and footers. The body follows with ``write_body``."""
    document = Document()
    _page(document)
    _styles(document, labels.language)
    section = document.sections[0]
    section.different_first_page_header_footer = True

    first = section.first_page_header
    _replace(first.paragraphs[0], labels.letterhead[0], "Letterhead", LETTERHEAD, bold=True)
    for line in labels.letterhead[1:]:
        _framed(first.add_paragraph(), line, "Letterhead", LETTERHEAD)
    for kind, positions in MARKS.items():
        for y in positions:
            _mark(first.add_paragraph(), y, 8.0 if kind == "punch" else 5.0)
    first.add_paragraph(style="Placeholder")  # a header cannot end in a frame (LibreOffice)

    following = section.header.paragraphs[0]
    following.style = "Letterhead"
    following.add_run(labels.following_header)

    for footer in (section.first_page_footer, section.footer):
        _footer(footer.paragraphs[0], footer.add_paragraph, labels)

    body = document.add_paragraph()
    _replace(body, labels.return_line, "Return Line", RETURN_LINE, underline=True)
    body.paragraph_format.left_indent = Mm(5)
    return document


def write_address_and_info(
    document: WordDocument, labels: Labels, recipient: Sequence[Block]
) -> None:
    """The recipient lines (placeholders) in the address zone, the information block beside."""
    for style, text in recipient:
        paragraph = document.add_paragraph(style="Placeholder" if style == "tag" else "Recipient")
        _framed(paragraph, text, None, ADDRESS)
        paragraph.paragraph_format.left_indent = Mm(5)
    for label, value in labels.info:
        paragraph = document.add_paragraph(style="Info Block")
        paragraph.paragraph_format.tab_stops.add_tab_stop(Mm(30), WD_TAB_ALIGNMENT.LEFT)
        _framed(paragraph, f"{label}\t{value}", None, INFO_BLOCK)
    spacer = document.add_paragraph(style="Placeholder")  # pushes the subject to 98.4 mm
    spacer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    spacer.paragraph_format.line_spacing = Mm(SUBJECT_AT - TOP_MARGIN)


def write_body(document: WordDocument, content: Sequence[Block]) -> None:
    """The letter's text. Block kinds: ``title`` (the subject line), ``heading``, ``p``,
    ``bold``, ``bullet``, ``closing`` (kept on the page with what precedes it) and ``tag``
    (a paragraph holding only a docxtpl ``{%p ... %}`` tag, removed when rendered)."""
    styles = {
        "title": "Subject",
        "heading": "Heading 1",
        "p": "Normal",
        "bold": "Emphasis Line",
        "bullet": "List Bullet",
        "closing": "Closing",
        "signature": "Signature",
        "tag": "Placeholder",
    }
    # The last text paragraph before the closing goes with it (and the closing paragraph
    # with the signature, which stays in one piece): no page holds only a closing.
    closing = ("tag", "closing", "signature")
    real = [i for i, (style, _) in enumerate(content) if style not in closing]
    keep = set(real[-1:])
    for index, (style, text) in enumerate(content):
        if style not in styles:
            raise ValueError(f"unknown block style {style!r}")
        paragraph = document.add_paragraph(style=styles[style])
        for number, line in enumerate(text.split("\n")):
            if number:
                paragraph.add_run().add_break()  # lines of one paragraph (the signature)
            if line:
                paragraph.add_run(line)
        if index in keep:
            paragraph.paragraph_format.keep_with_next = True
        if style == "signature":
            paragraph.paragraph_format.keep_together = True


def set_properties(document: WordDocument, title: str, language: str) -> None:
    """Fixed core properties for the shipped template (rendering sets the letter's own)."""
    properties = document.core_properties
    properties.author = properties.last_modified_by = "dsr"
    properties.title = title
    properties.language = language
    properties.created = properties.modified = datetime(2026, 1, 1, tzinfo=UTC)
    properties.revision = 1
    properties.comments = properties.keywords = properties.subject = ""
    properties.category = ""


# -- pieces ---------------------------------------------------------------------------------


def _page(document: WordDocument) -> None:
    section = document.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    section.left_margin, section.right_margin = Mm(LEFT_MARGIN), Mm(RIGHT_MARGIN)
    section.top_margin, section.bottom_margin = Mm(TOP_MARGIN), Mm(BOTTOM_MARGIN)
    section.header_distance, section.footer_distance = Mm(12), Mm(8)


def _styles(document: WordDocument, language: str) -> None:
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(10)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.1
    _language(styles.element, language)
    for name, (size, bold, after, keep) in STYLES.items():
        style = styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        style.base_style = normal
        style.font.size = Pt(size)
        style.font.bold = bold
        style.paragraph_format.space_after = Pt(after)
        style.paragraph_format.keep_with_next = keep
        if name in ("Footer Line", "Page Number"):
            style.font.color.rgb = RGBColor(0x44, 0x44, 0x44)
    heading = styles["Heading 1"]
    heading.font.name = FONT
    fonts = heading.element.rPr.find(qn("w:rFonts"))
    for theme in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(theme), None)  # a theme font would win over FONT
    heading.font.size = Pt(10.5)
    heading.font.bold = True
    heading.font.color.rgb = RGBColor(0, 0, 0)
    heading.paragraph_format.space_before = Pt(10)
    heading.paragraph_format.space_after = Pt(4)
    heading.paragraph_format.keep_with_next = True
    styles["List Bullet"].font.name = FONT
    styles["List Bullet"].paragraph_format.space_after = Pt(3)
    styles["Page Number"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    styles["Footer Line"].paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER


def _language(styles: object, language: str) -> None:
    """The document's language (spelling, hyphenation, what a screen reader speaks)."""
    defaults = styles.find(qn("w:docDefaults"))  # type: ignore[attr-defined]
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    for attribute in ("w:val", "w:eastAsia", "w:bidi"):
        lang.set(qn(attribute), language)


def _replace(
    paragraph: Paragraph,
    text: str,
    style: str,
    frame: Frame,
    *,
    bold: bool = False,
    underline: bool = False,
) -> None:
    paragraph.style = style
    _framed(paragraph, text, None, frame)
    for run in paragraph.runs:
        run.bold = bold or None
        run.underline = underline or None


def _framed(paragraph: Paragraph, text: str, style: str | None, frame: Frame) -> Paragraph:
    if style is not None:
        paragraph.style = style
    if text:
        paragraph.add_run(text)
    element = OxmlElement("w:framePr")
    for attribute, value in (
        ("w:w", twips(frame.w)),
        ("w:h", twips(frame.h)),
        ("w:hRule", "exact"),
        ("w:wrap", "around"),
        ("w:hAnchor", "page"),
        ("w:vAnchor", "page"),
        ("w:x", twips(frame.x)),
        ("w:y", twips(frame.y)),
    ):
        element.set(qn(attribute), value)
    _insert(paragraph, element, _AFTER_FRAME)
    return paragraph


def _mark(paragraph: Paragraph, y: float, length: float) -> None:
    """A short line at ``y`` mm on the left edge: a framed empty paragraph's top border."""
    paragraph.style = "Placeholder"
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph.paragraph_format.line_spacing = Pt(1)
    _framed(paragraph, "", None, Frame(5.0, y, length, 1.0))
    borders = OxmlElement("w:pBdr")
    top = OxmlElement("w:top")
    for attribute, value in (("w:val", "single"), ("w:sz", "4"), ("w:space", "0")):
        top.set(qn(attribute), value)
    top.set(qn("w:color"), "000000")
    borders.append(top)
    _insert(paragraph, borders, _AFTER_BORDER)


def _footer(first: Paragraph, add: object, labels: Labels) -> None:
    first.style = "Page Number"
    before, rest = labels.page.split("{page}")
    middle, after = rest.split("{pages}")
    first.add_run(before)
    _field(first, "PAGE", "1")
    first.add_run(middle)
    _field(first, "NUMPAGES", "1")
    if after:
        first.add_run(after)
    for line in labels.footer:
        paragraph = add()  # type: ignore[operator]
        paragraph.style = "Footer Line"
        paragraph.add_run(line)


def _field(paragraph: Paragraph, instruction: str, shown: str) -> None:
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), f" {instruction} ")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = shown
    run.append(text)
    field.append(run)
    paragraph._p.append(field)


# The order of w:pPr's children in the schema (CT_PPr).
_SEQUENCE = (
    "w:pStyle",
    "w:keepNext",
    "w:keepLines",
    "w:pageBreakBefore",
    "w:framePr",
    "w:widowControl",
    "w:numPr",
    "w:suppressLineNumbers",
    "w:pBdr",
    "w:shd",
    "w:tabs",
    "w:suppressAutoHyphens",
    "w:kinsoku",
    "w:wordWrap",
    "w:overflowPunct",
    "w:topLinePunct",
    "w:autoSpaceDE",
    "w:autoSpaceDN",
    "w:bidi",
    "w:adjustRightInd",
    "w:snapToGrid",
    "w:spacing",
    "w:ind",
    "w:contextualSpacing",
    "w:mirrorIndents",
    "w:suppressOverlap",
    "w:jc",
    "w:textDirection",
    "w:textAlignment",
    "w:textboxTightWrap",
    "w:outlineLvl",
    "w:divId",
    "w:cnfStyle",
    "w:rPr",
    "w:sectPr",
    "w:pPrChange",
)
_AFTER_FRAME = tuple(_SEQUENCE[_SEQUENCE.index("w:framePr") + 1 :])
_AFTER_BORDER = tuple(_SEQUENCE[_SEQUENCE.index("w:pBdr") + 1 :])


def _insert(paragraph: Paragraph, element: object, successors: tuple[str, ...]) -> None:
    """Put ``element`` into the paragraph's properties where the schema's order wants it."""
    properties = paragraph._p.get_or_add_pPr()
    properties.insert_element_before(element, *successors)
