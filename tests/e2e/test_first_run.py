"""A newcomer's first ten minutes: `dsr serve` says where it listens, and the dev mail catcher
keeps, shows and translates what the app sent."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from litestar.testing import AsyncTestClient

from dsr.app import create_app
from dsr.settings import Settings
from tests.helpers import free_port, wait_until_serving


def test_serve_prints_its_address_and_the_pages_to_open(tmp_path: Path) -> None:
    port, smtp_port = free_port(), free_port()
    env = {
        **os.environ,
        "DSR_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'dsr.db'}",
        "DSR_VAR_DIR": str(tmp_path / "var"),
        "DSR_CONFIG": str(tmp_path / "none.yaml"),
        "DSR_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "DSR_WORKER": "false",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "dsr.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline().strip()
        address = f"http://127.0.0.1:{port}"
        assert line == (
            f"dsr: serving on {address} - open {address}/ (the person's pages), "
            f"{address}/login (staff), {address}/dev/mail (mail caught on 127.0.0.1:{smtp_port})"
        )
        wait_until_serving(address, server)
        with urllib.request.urlopen(f"{address}/dev/mail", timeout=5) as response:
            page = response.read().decode()
        assert f"127.0.0.1:{smtp_port}" in page and "1025" not in page
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)
    assert "Traceback" not in errors


def _mail_with_html_and_attachment(to: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "datenschutz@example.org"
    mail["To"] = to
    mail["Subject"] = "Ihre Eingangsbestätigung"
    mail.set_content("Guten Tag,\nanbei die Bestätigung.")
    mail.add_alternative(
        "<p>Guten Tag,</p><p><strong>anbei</strong> die Bestätigung.</p><script>alert(1)</script>",
        subtype="html",
    )
    mail.add_attachment(
        b"PK\x03\x04 letter bytes",
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
        filename="Eingangsbestaetigung.docx",
    )
    return mail


async def test_the_catcher_keeps_mail_across_a_restart_and_shows_html_and_attachments(
    settings: Settings, tmp_path: Path
) -> None:
    smtp_port = free_port()
    demo = settings.model_copy(
        update={"dev_mail_catcher": True, "smtp_url": f"smtp://127.0.0.1:{smtp_port}"}
    )
    async with AsyncTestClient(app=create_app(demo)) as client:
        await aiosmtplib.send(
            _mail_with_html_and_attachment("erika@example.org"),
            hostname="127.0.0.1",
            port=smtp_port,
        )
    stored = list((settings.var_dir / "mail").glob("*.eml"))
    assert len(stored) == 1

    # A new app (as after restarting `dsr serve`) shows the mail it caught before.
    async with AsyncTestClient(app=create_app(demo)) as client:
        page = await client.get("/dev/mail?lang=en")
        assert page.status_code == 200
        text = page.text
        assert "Ihre Eingangsbestätigung" in text and "erika@example.org" in text
        assert f"127.0.0.1:{smtp_port}" in text
        # The HTML part in a sandboxed frame (no scripts, no same origin), escaped into srcdoc.
        assert 'sandbox=""' in text and "srcdoc=" in text
        assert "&lt;strong&gt;anbei&lt;/strong&gt;" in text
        assert "<script>alert(1)</script>" not in text
        assert "Content-Security-Policy" in text  # the frame's own policy, in its srcdoc
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "style-src 'self' 'unsafe-inline';" in policy
        assert "Attachments" in text and "Eingangsbestaetigung.docx" in text
        key = stored[0].stem
        download = await client.get(f"/dev/mail/{key}/0")
        assert download.status_code == 200
        assert download.content == b"PK\x03\x04 letter bytes"
        assert 'filename="Eingangsbestaetigung.docx"' in download.headers["content-disposition"]
        assert (await client.get(f"/dev/mail/{key}/1")).status_code == 404
        assert (await client.get("/dev/mail/nothing/0")).status_code == 404

        german = await client.get("/dev/mail?lang=de")
        assert "Anhänge" in german.text and "Eingegangen" in german.text
