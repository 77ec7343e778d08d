"""Recognising a data-subject request in an e-mail: which rights it asks for, in which
language, which identifiers the person gives, and whether it is a reminder about a request
we already have. Pure: text in, a ``Recognition`` out; the mailbox poller decides what to do.

One mail asking for several rights becomes one request per right: each right has its own
legal test, its own letters and its own outcome (access may be answered while erasure waits
for a retention hold), and the DPO sees them side by side under one thread. A mail that names
none of the rights, or more than ``MAX_KINDS`` of them (a generator's "all my rights" list,
a newsletter), is not filed by itself: it goes to the DPO's triage list.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from dsr.domain.vocabulary import RequestKind

MAX_KINDS = 3
LANGUAGES = ("de", "en", "fr", "nl", "es", "it")
REFERENCE = re.compile(r"\bDSR-\d{4}-\d{6,}\b", re.IGNORECASE)
CODE = re.compile(r"(?<![\d-])(\d{3} ?\d{3})(?![\d-])")


def fold(text: str) -> str:
    """Lower case without accents (``Löschung`` -> ``loschung``), for keyword matching."""
    decomposed = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _any(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Patterns over folded text: no accents, lower case, "ß" as "ss".
KIND_WORDS: dict[RequestKind, re.Pattern[str]] = {
    RequestKind.ACCESS: _any(
        r"\bauskunft",
        r"welche\b.{0,60}\bdaten\b.{0,60}(gespeichert|verarbeit|speicher)",
        r"\bkopie\b.{0,40}\bdaten",
        r"\b(subject )?access request\b",
        r"\bright of access\b",
        r"\bdsar\b",
        r"\bcopy of\b.{0,30}\bdata\b",
        r"\bwhat\b.{0,30}\bdata\b.{0,40}\b(hold|store|process|have)",
        r"\baccess to\b.{0,20}\bdata\b",
        r"droit d'acces",
        r"\bacces a\b.{0,20}donnees",
        r"copie de\b.{0,30}donnees",
        r"quelles donnees",
        r"informations que vous (detenez|avez)",
        r"\binzage",
        r"kopie van\b.{0,30}gegevens",
        r"welke\b.{0,20}gegevens",
        r"derecho de acceso",
        r"\bacceso a\b.{0,20}datos",
        r"copia de\b.{0,30}datos",
        r"\bque datos",
        r"\bque informacion",
        r"diritto di accesso",
        r"\baccesso ai\b.{0,20}dati",
        r"copia dei\b.{0,20}dati",
        r"quali dati",
    ),
    RequestKind.ERASURE: _any(
        r"\blosch",
        r"\bloesch",
        r"vergessenwerden",
        r"\bentfernen sie\b",
        r"\bwipe\b",
        r"\berase\b",
        r"\berasure\b",
        r"\bdelete\b",
        r"\bdeletion\b",
        r"right to be forgotten",
        r"\bremove\b.{0,20}\bdata\b",
        r"\beffac",
        r"\bsuppr(ess|im)",
        r"droit a l'oubli",
        r"\bverwijder",
        r"recht om vergeten",
        r"\bsupresion\b",
        r"\bsuprim",
        r"\bborr(ar|en|e)\b",
        r"\beliminar\b",
        r"derecho al olvido",
        r"\bcancellazione",
        r"\bcancell(are|i|ate)\b",
        r"\beliminazione\b",
        r"diritto all'oblio",
    ),
    RequestKind.RECTIFICATION: _any(
        r"\bberichtig",
        r"\bkorrigier",
        r"\bunrichtig",
        r"\bist falsch\b",
        r"\bfalsch (geschrieben|hinterlegt|gespeichert)",
        r"\brectif",
        r"\bcorrect (my|the)\b",
        r"\bcorrection\b",
        r"\bincorrect\b",
        r"\bis wrong\b",
        r"\bcorrig",
        r"\berrone",
        r"\binexact",
        r"\bcorrige",
        r"\bverbeter",
        r"\bonjuist",
        r"\bcorreg",
        r"\bincorrect[oa]s?\b",
        r"\brettific",
        r"\bcorregg",
        r"\binesatt",
    ),
    RequestKind.RESTRICTION: _any(
        r"einschrankung der verarbeitung",
        r"verarbeitung\b.{0,40}einschrank",
        r"\bsperr(ung|en)\b.{0,30}daten",
        r"restrict(ion of)?\b.{0,30}processing",
        r"limitation du traitement",
        r"limiter le traitement",
        r"beperking van de verwerking",
        r"verwerking\b.{0,30}beperk",
        r"limitacion del tratamiento",
        r"limit(e|ar) el tratamiento",
        r"limitazione del trattamento",
        r"limit(are|i) il trattamento",
    ),
    RequestKind.PORTABILITY: _any(
        r"datenubertragbarkeit",
        r"maschinenlesbar",
        r"portability",
        r"machine[- ]readable",
        r"portabilite",
        r"lisible par (une )?machine",
        r"overdraagbaarheid",
        r"machineleesbaar",
        r"portabilidad",
        r"lectura mecanica",
        r"portabilita",
        r"leggibile da (un )?dispositivo",
    ),
    RequestKind.OBJECTION: _any(
        r"\bwidersprech",
        r"\bkeine werbung\b",
        r"\bstop sending me\b.{0,20}(marketing|advertising|newsletters?)",
        r"\bwiderspruch",
        r"\bwiderspreche",
        r"\bobject(ion)? to\b",
        r"\bi object\b",
        r"right to object",
        r"\bopposition\b",
        r"\bje m'oppose\b",
        r"\bbezwaar\b",
        r"\boposicion\b",
        r"\bme opongo\b",
        r"\bopposizione\b",
        r"\bmi oppongo\b",
    ),
}
ARTICLE = re.compile(r"\bart(?:ikel|icle|icolo|iculo|\.)?\s*(\d{1,2})\b")
ARTICLE_KINDS = {
    "15": RequestKind.ACCESS,
    "16": RequestKind.RECTIFICATION,
    "17": RequestKind.ERASURE,
    "18": RequestKind.RESTRICTION,
    "20": RequestKind.PORTABILITY,
    "21": RequestKind.OBJECTION,
}
REMINDER_WORDS = _any(
    r"\berinnerung\b",
    r"\bmahnung\b",
    r"noch keine antwort",
    r"bisher keine antwort",
    r"\bwarte\b.{0,30}\bnoch\b",
    r"\breminder\b",
    r"still waiting",
    r"\bfollow(ing)?[- ]up\b",
    r"no (response|reply|answer)",
    r"\brappel\b",
    r"\brelance\b",
    r"toujours pas",
    r"sans reponse",
    r"\bherinnering\b",
    r"nog (steeds )?geen",
    r"\brecordatorio\b",
    r"sin respuesta",
    r"todavia no",
    r"\bsollecito\b",
    r"\bpromemoria\b",
    r"ancora nessuna",
    r"non ho (ancora )?ricevuto",
)
STOPWORDS = {
    "de": "der die das und ich nicht ist mit sie meine meiner bitte ihre ihnen zu den von "
    "uber daten alle dsgvo",
    "en": "the and my to of please is you your i am this that with for have data all",
    "fr": "je vous mes votre nous est pour avec les des une ne pas toutes merci donnees mon "
    "ma droit",
    "nl": "het een ik mijn niet u uw van dat met voor graag wil heeft gegevens al avg",
    "es": "mis usted por favor solicito todos tienen sobre mi los las una quiero despues "
    "datos el del derecho ejerzo al",
    "it": "il miei dati chiedo di che per tutti avete sono vorrei poi ai dei esercito",
}
_STOPWORDS = {lang: frozenset(words.split()) for lang, words in STOPWORDS.items()}
_WORD = re.compile(r"[a-z']+")

_LABEL = r"[ \t]*(?:[:#.]|nr\.?|no\.?)*[ \t]*"
CUSTOMER_NUMBER = re.compile(
    r"(?:kunden-?(?:nummer|nr)|kd\.?-?nr|customer (?:number|no|id)|account (?:number|no)"
    r"|numero (?:de )?client|n° client|klantnummer|numero de cliente|numero cliente"
    r"|codice cliente)" + _LABEL + r"([a-z0-9][a-z0-9-]{2,30})",
)
PHONE = re.compile(
    r"(?:telefon(?:nummer)?|tel\.?|phone|telephone|telefoon|telefono|handy|mobil(?:e)?)"
    + _LABEL
    + r"(\+?[\d][\d /().-]{5,24}\d)"
)
NAME_LINE = re.compile(r"^(?:name|nom|naam|nombre|nome|vor- und nachname)[ \t]*:[ \t]*(.{2,100})$")
ADDRESS_LINE = re.compile(
    r"^(?:adresse|anschrift|address|adres|direccion|indirizzo|postanschrift)"
    r"[ \t]*:[ \t]*(.{5,200})$"
)
EMAIL = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
CLOSINGS = _any(
    r"^mit freundlichen grussen",
    r"^freundliche grusse",
    r"^viele grusse",
    r"^(kind|best|warm) regards",
    r"^regards",
    r"^sincerely",
    r"^yours (sincerely|faithfully)",
    r"^cordialement",
    r"^bien cordialement",
    r"^met vriendelijke groet",
    r"^vriendelijke groet",
    r"^atentamente",
    r"^saludos",
    r"^un saludo",
    r"^cordiali saluti",
    r"^distinti saluti",
)
DISCLAIMER = _any(
    r"intended recipient",
    r"richtige adressat",
    r"destinataire",
    r"bedoelde ontvanger",
    r"destinatario",
)


@dataclass(frozen=True, slots=True)
class Claims:
    """What the person says about themself: claims to check, never facts. Every field is
    personal data."""

    name: str | None = None
    emails: tuple[str, ...] = ()
    customer_number: str | None = None
    phone: str | None = None
    postal_address: str | None = None

    def given(self) -> list[str]:
        """The names of the identifiers given (for the triage list and the audit trail)."""
        names = ["name", "email", "customer_number", "phone", "postal_address"]
        values = [self.name, self.emails, self.customer_number, self.phone, self.postal_address]
        return [name for name, value in zip(names, values, strict=True) if value]


@dataclass(frozen=True, slots=True)
class Recognition:
    kinds: tuple[RequestKind, ...]
    language: str  # one of LANGUAGES
    reminder: bool  # reads as a reminder about an earlier request
    references: tuple[str, ...]  # our references (DSR-YYYY-NNNNNN) named in subject or body
    codes: tuple[str, ...]  # six-digit numbers outside quoted text: a confirmation code?
    claims: Claims = field(default_factory=Claims)

    @property
    def confident(self) -> bool:
        """Filed without a person looking: one to ``MAX_KINDS`` rights recognised."""
        return 0 < len(self.kinds) <= MAX_KINDS

    @property
    def doubt(self) -> str | None:
        """Why it goes to triage (a reason code), or None."""
        if not self.kinds:
            return "no_kind"
        if len(self.kinds) > MAX_KINDS:
            return "too_many_kinds"
        return None


def own_text(body: str) -> str:
    """The person's own words: without quoted lines (``>``), a signature after ``-- `` and
    the usual confidentiality disclaimer lines."""
    kept: list[str] = []
    for line in body.replace("\r\n", "\n").split("\n"):
        if line.rstrip() == "--":
            break
        if line.lstrip().startswith(">") or DISCLAIMER.search(fold(line)):
            continue
        kept.append(line)
    return "\n".join(kept)


def recognise(subject: str, body: str) -> Recognition:
    """What ``subject`` and ``body`` (plain text) ask for."""
    own = own_text(body)
    text = fold(f"{subject}\n{own}")
    flat = re.sub(r"\s+", " ", text)
    found = {kind for kind, pattern in KIND_WORDS.items() if pattern.search(flat)}
    found |= {ARTICLE_KINDS[n] for n in ARTICLE.findall(flat) if n in ARTICLE_KINDS}
    kinds = tuple(kind for kind in RequestKind if kind in found)
    references = tuple(dict.fromkeys(r.upper() for r in REFERENCE.findall(f"{subject}\n{own}")))
    codes = tuple(dict.fromkeys(c.replace(" ", "") for c in CODE.findall(_without_refs(own))))
    return Recognition(
        kinds=kinds,
        language=language_of(flat),
        reminder=bool(REMINDER_WORDS.search(flat)),
        references=references,
        codes=codes[:3],
        claims=claims_in(own),
    )


def _without_refs(text: str) -> str:
    return REFERENCE.sub(" ", text)


def language_of(folded: str) -> str:
    """The most likely of ``LANGUAGES`` by common words; German when nothing tells."""
    words = _WORD.findall(folded)
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(LANGUAGES, key=lambda lang: (scores[lang], lang == "de"))
    return best if scores[best] else "de"


def claims_in(text: str) -> Claims:
    """The identifiers given in ``text``: labelled values, addresses, the name under the
    closing formula."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    folded = [fold(line) for line in lines]
    joined = "\n".join(folded)
    number = CUSTOMER_NUMBER.search(joined)
    phone = PHONE.search(joined)
    name = address = None
    for original, line in zip(lines, folded, strict=True):
        if name is None and (match := NAME_LINE.match(line)):
            name = original[match.start(1) : match.end(1)].strip()
        if address is None and (match := ADDRESS_LINE.match(line)):
            address = original[match.start(1) : match.end(1)].strip()
    if name is None:
        name = _signature_name(lines, folded)
    customer_number = None
    if number:
        customer_number = text_at(text, joined, number.start(1), number.end(1)).upper()
    return Claims(
        name=name,
        emails=tuple(dict.fromkeys(e.casefold() for e in EMAIL.findall(text))),
        customer_number=customer_number,
        phone=phone.group(1).strip() if phone else None,
        postal_address=address,
    )


def text_at(original: str, folded: str, start: int, end: int) -> str:
    """The original spelling of a span found in the folded text, when folding kept the
    length (ASCII values such as customer numbers); else the folded span."""
    plain = original.replace("\r\n", "\n")
    lines = "\n".join(line.strip() for line in plain.split("\n"))
    if len(lines) == len(folded):
        return lines[start:end]
    return folded[start:end]


def _signature_name(lines: list[str], folded: list[str]) -> str | None:
    for index, line in enumerate(folded):
        if CLOSINGS.search(line):
            following = [candidate for candidate in lines[index + 1 :] if candidate][:1]
            if following and 2 <= len(following[0]) <= 100 and "@" not in following[0]:
                return following[0]
    return None
