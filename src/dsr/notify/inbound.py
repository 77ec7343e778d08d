"""Reading an incoming e-mail without trusting it: the sender, the thread headers, the plain
text a person wrote, and every reason not to act on it by itself.

Nothing here opens an attachment or renders HTML: attachments are counted, HTML is reduced
to its text. Malformed input never raises; it yields a ``doubt`` for the DPO's triage list.
"""

from __future__ import annotations

import email
import hashlib
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses
from html.parser import HTMLParser

from dsr.domain.identity import normalize_email

MAX_DEPTH = 8  # multiparts nested deeper than this are not walked
MAX_TEXT = 100_000  # characters of text considered
MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
DAEMONS = re.compile(r"^(mailer-daemon|postmaster|noreply-dmarc|bounces?)@", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class InboundMail:
    sender: str | None  # normalised like the form's address; None when invalid
    display_name: str | None
    subject: str
    message_id: str | None
    thread: tuple[str, ...]  # Message-IDs of In-Reply-To and References
    text: str
    attachments: int
    ignore: str | None  # auto_reply, bounce, spam, list: never filed, never answered
    doubt: str | None  # why a person must look first (triage), or None


def message_id_digest(message_id: str) -> str:
    return hashlib.sha256(message_id.strip().encode()).hexdigest()


def read(raw: bytes) -> InboundMail:
    """``raw`` (an RFC 5322 message) taken apart."""
    message = email.message_from_bytes(raw)
    doubts: list[str] = []
    sender, display_name = _sender(message, doubts)
    texts, htmls, attachments = [], [], 0
    for part, depth in _parts(message):
        if depth > MAX_DEPTH:
            doubts.append("nested")
            break
        kind = part.get_content_type()
        filename = (part.get_filename() or "").lower()
        if kind == "application/ms-tnef" or filename == "winmail.dat":
            doubts.append("winmail")
            attachments += 1
        elif part.is_multipart():
            continue
        elif part.get_content_disposition() == "attachment" or part.get_content_maintype() not in (
            "text",
        ):
            attachments += 1
        elif kind == "text/plain":
            texts.append(_decoded(part, doubts))
        elif kind == "text/html":
            htmls.append(_decoded(part, doubts))
    if attachments and "winmail" not in doubts:
        doubts.append("attachments")
    text = "\n".join(texts)
    if not text.strip() and htmls:
        doubts.append("html_only")
        text = "\n".join(html_text(h) for h in htmls)
    return InboundMail(
        sender=sender,
        display_name=display_name,
        subject=_header(message, "Subject")[:500],
        message_id=next(iter(_message_ids(_header(message, "Message-ID"))), None),
        thread=tuple(
            dict.fromkeys(
                _message_ids(_header(message, "In-Reply-To"))
                + _message_ids(_header(message, "References"))
            )
        )[:50],
        text=text[:MAX_TEXT],
        attachments=attachments,
        ignore=_ignored(message, sender),
        doubt=doubts[0] if doubts else None,
    )


def _parts(message: Message, depth: int = 0) -> list[tuple[Message, int]]:
    found = [(message, depth)]
    if depth > MAX_DEPTH:
        return found
    if message.is_multipart():
        payload = message.get_payload()
        for part in payload if isinstance(payload, list) else []:
            if isinstance(part, Message):
                found.extend(_parts(part, depth + 1))
    return found


def _decoded(part: Message, doubts: list[str]) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    charset = part.get_content_charset() or "us-ascii"
    try:
        return data.decode(charset)
    except (LookupError, UnicodeDecodeError):
        doubts.append("charset")
        return data.decode("utf-8", errors="replace")


def _header(message: Message, name: str) -> str:
    value = message.get(name)
    if value is None:
        return ""
    try:
        text = str(make_header(decode_header(str(value))))
    except (LookupError, UnicodeDecodeError, ValueError, TypeError):
        text = str(value)
    return " ".join(text.split())


def _message_ids(value: str) -> list[str]:
    return MESSAGE_ID.findall(value)


def _sender(message: Message, doubts: list[str]) -> tuple[str | None, str | None]:
    """The From address, validated like the form's; a forged-looking From is a doubt."""
    headers = message.get_all("From") or []
    addresses = getaddresses([_header(message, "From")]) if headers else []
    if len(headers) != 1 or len(addresses) != 1:
        doubts.append("sender_invalid" if not headers else "forged_sender")
        return None, None
    display_name, address = addresses[0]
    try:
        sender = normalize_email(address)
    except ValueError:
        doubts.append("sender_invalid")
        return None, None
    named = re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", display_name)
    if any(other.casefold() != sender for other in named):
        doubts.append("forged_sender")  # "boss@example.org" <someone@else.example>
    return sender, display_name.strip() or None


def _ignored(message: Message, sender: str | None) -> str | None:
    """Mail that must never be filed or answered (RFC 3834 and the usual habits)."""
    auto = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    if message.get_content_type() == "multipart/report":
        return "bounce"
    if DAEMONS.match(sender or "") or (message.get("Return-Path") or "").strip() == "<>":
        return "bounce"
    if (
        auto != "no"
        or message.get("X-Autoreply")
        or message.get("X-Autorespond")
        or message.get("X-Auto-Response-Suppress")
        or precedence in ("auto_reply", "bulk", "junk")
    ):
        return "auto_reply"
    if (message.get("X-Spam-Flag") or "").strip().upper() == "YES" or (
        (message.get("X-Spam-Status") or "").strip().lower().startswith("yes")
    ):
        return "spam"
    if message.get("List-Id") or precedence == "list":
        return "list"
    return None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.chunks.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_text(html: str) -> str:
    """The words of an HTML part, for recognition only (never shown as HTML)."""
    parser = _Text()
    parser.feed(html[:MAX_TEXT])
    parser.close()
    return "".join(parser.chunks)
