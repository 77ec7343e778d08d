from __future__ import annotations

from datetime import timedelta

import pytest

from dsr.domain.errors import ConfigError
from dsr.models import Outbox
from dsr.notify.outbox import backoff, build_message
from dsr.notify.smtp import SmtpConfig
from dsr.security.fields import FieldCipher
from dsr.settings import new_encryption_key


def _row(cipher: FieldCipher, to: str, subject: str) -> Outbox:
    return Outbox(
        recipient_enc=cipher.encrypt("outbox.recipient", to) or "",
        subject=subject,
        body_enc=cipher.encrypt_json(
            "outbox.body", {"text": "Hallo Jürgen 😀", "html": "<p>Hallo</p>"}
        )
        or "",
        message_id="<abc@example.org>",
    )


def test_header_injection_through_the_subject_is_neutralised() -> None:
    cipher = FieldCipher.from_config(new_encryption_key())
    message = build_message(
        _row(cipher, "erika@example.org", "Antrag\r\nBcc: victim@example.org"),
        cipher,
        "dsr@example.org",
    )
    raw = message.as_bytes()
    assert b"\r\nBcc:" not in raw and b"\nBcc:" not in raw
    assert message["To"] == "erika@example.org"
    assert message.get_body(("plain",)).get_content().strip() == "Hallo Jürgen 😀"  # type: ignore[union-attr]


def test_a_recipient_with_a_line_break_cannot_be_built() -> None:
    cipher = FieldCipher.from_config(new_encryption_key())
    with pytest.raises(ValueError):
        build_message(_row(cipher, "a@b.de\r\nBcc: c@d.de", "x"), cipher, "dsr@example.org")


def test_backoff_grows_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [
        timedelta(seconds=15),
        timedelta(seconds=30),
        timedelta(seconds=60),
    ]
    assert backoff(30) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", SmtpConfig("127.0.0.1", 1025)),
        (
            "smtp://user%40x:p%3Ass@mail.example.org:587?starttls=true",
            SmtpConfig("mail.example.org", 587, "user@x", "p:ss", starttls=True),
        ),
        ("smtps://mail.example.org", SmtpConfig("mail.example.org", 465, implicit_tls=True)),
    ],
)
def test_smtp_url(url: str, expected: SmtpConfig) -> None:
    assert SmtpConfig.from_url(url) == expected


@pytest.mark.parametrize("url", ["http://x", "smtp://", "smtp://host:port"])
def test_bad_smtp_url(url: str) -> None:
    with pytest.raises(ConfigError):
        SmtpConfig.from_url(url)
