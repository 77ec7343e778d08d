"""``make bench``: requests filed per second from a mailbox of 1,000 messages (a private
Dovecot, the poller, our own database on SQLite), against reading the same 1,000 messages
over IMAP without filing them (the baseline: what the mailbox itself costs)."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.imap: the same private Dovecot as the tests

from tests import imap  # noqa: E402

from dsr.config import DsrConfig, MailboxConfig  # noqa: E402
from dsr.db import Database  # noqa: E402
from dsr.migrations import upgrade  # noqa: E402
from dsr.notify.imap import ImapMailbox  # noqa: E402
from dsr.rendering import new_environment  # noqa: E402
from dsr.security.vault import Vault  # noqa: E402
from dsr.services.mail_intake import MailIntake  # noqa: E402
from dsr.settings import Settings, new_encryption_key  # noqa: E402
from dsr.workflows.mailbox import MailboxPoller  # noqa: E402

Row = tuple[str, str, str, str, str]
MESSAGES = 1000
BODIES = [
    ("Auskunft nach Art. 15 DSGVO", "Bitte um Auskunft über meine Daten.\nKundennummer: K-{n}"),
    ("Löschung", "Bitte löschen Sie alle meine Daten."),
    ("Subject access request", "Please send me a copy of my personal data."),
    ("Droit d'accès", "Je souhaite exercer mon droit d'accès à mes données."),
]


def _message(n: int) -> bytes:
    subject, body = BODIES[n % len(BODIES)]
    message = EmailMessage()
    message["From"] = f"person.{n}@example.net"
    message["Subject"] = subject
    message["Message-ID"] = f"<bench-{n}@example.net>"
    message.set_content(body.format(n=n))
    return bytes(message)


def rows() -> list[Row]:
    if not imap.available():
        return [("mailbox: messages filed per second (1,000)", "skipped: no dovecot", "", "", "")]
    with imap.running_dovecot() as server, tempfile.TemporaryDirectory() as folder:
        return asyncio.run(_measure(server, Path(folder)))


async def _measure(server: imap.DovecotServer, folder: Path) -> list[Row]:
    user, password = server.add_user()
    os.environ["DSR_BENCH_MAILBOX_USER"], os.environ["DSR_BENCH_MAILBOX_PASSWORD"] = user, password
    config = MailboxConfig(
        url=f"imaps://127.0.0.1:{server.port}",
        ca_file=server.ca_file,
        processed_folder="Processed",
        user_env="DSR_BENCH_MAILBOX_USER",
        password_env="DSR_BENCH_MAILBOX_PASSWORD",  # noqa: S106 - a variable's name
        batch=MESSAGES,
    )
    client = server.client(user, password)
    arrived = datetime.now(UTC)
    for n in range(MESSAGES):
        client.append("INBOX", _message(n), msg_time=arrived)
    client.logout()

    started = time.perf_counter()  # baseline: read every message, file none
    mailbox = await ImapMailbox.connect(config)
    for uid in await mailbox.uids():
        await mailbox.fetch(uid)
    await mailbox.close()
    baseline = MESSAGES / (time.perf_counter() - started)

    url = f"sqlite+aiosqlite:///{folder / 'dsr.db'}"
    await asyncio.to_thread(upgrade, url)
    settings = Settings(
        database_url=url,
        var_dir=folder,
        secret_key="bench-secret-key-0123456789",  # noqa: S106 - a throwaway database
        encryption_keys=new_encryption_key(),
        hmac_key="bench-hmac-key-0123456789",
        worker=False,
    )
    database = Database.from_url(url)
    vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
    dsr_config, mail = DsrConfig(mailbox=config), new_environment()
    poller = MailboxPoller(
        database,
        config,
        lambda session: MailIntake.for_settings(session, settings, dsr_config, vault, mail),
    )
    started = time.perf_counter()
    report = await poller.poll()
    ours = report.taken / (time.perf_counter() - started)
    await database.dispose()
    return [
        (
            f"mailbox: messages filed per second ({report.taken:,} from a mailbox of "
            f"{MESSAGES:,}, SQLite; each archived, classified, filed, a code queued, moved)",
            f"{ours:.0f}/s",
            f"{baseline:.0f}/s IMAP fetch only",
            f"{baseline / ours:.1f}x",
            ">= 20/s",
        )
    ]


if __name__ == "__main__":
    for row in rows():
        print(row)
