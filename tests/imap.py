"""A real IMAP server for the mailbox tests: Dovecot from Debian's packages, started with
its own configuration, TLS certificate and mail directory under a temporary folder, on a
free port of 127.0.0.1, and stopped at the end. Each test gets a mailbox user of its own."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from imapclient import IMAPClient

from dsr.config import MailboxConfig
from tests.conftest import need_service

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


USERS = 300  # written before the start: Dovecot may not notice a passwd file grow


@dataclass(slots=True)
class DovecotServer:
    root: Path
    port: int
    ca_file: Path
    users: list[tuple[str, str]]

    def add_user(self) -> tuple[str, str]:
        """A user nobody has used yet (an empty mailbox)."""
        return self.users.pop()

    def client(self, user: str, password: str) -> IMAPClient:
        context = ssl.create_default_context(cafile=str(self.ca_file))
        client = IMAPClient("127.0.0.1", port=self.port, ssl=True, ssl_context=context, timeout=30)
        client.login(user, password)
        return client


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _config(root: Path, port: int, uid: int, gid: int, login_user: str) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{root}/home/%u/Maildir
default_internal_user = {login_user}
default_login_user = {login_user}
first_valid_uid = {min(uid, 100)}
first_valid_gid = {min(gid, 100)}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
"""


def available() -> bool:
    return Path(DOVECOT).exists() and shutil.which("openssl") is not None


@contextmanager
def running_dovecot() -> Iterator[DovecotServer]:
    """A private Dovecot for as long as the context lasts (tests and ``make bench``)."""
    root = Path(tempfile.mkdtemp(prefix="dsr-dovecot-"))
    root.chmod(0o755)
    (root / "home").mkdir()
    if os.geteuid() == 0:  # Dovecot refuses to store mail as root: as its own user then
        account = pwd.getpwnam("dovecot")
        uid, gid, login_user = account.pw_uid, account.pw_gid, "dovecot"
        os.chown(root / "home", uid, gid)
    else:
        uid, gid, login_user = os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    users = [(f"u{uuid.uuid4().hex[:10]}", uuid.uuid4().hex) for _ in range(USERS)]
    (root / "passwd").write_text(
        "".join(f"{user}:{{PLAIN}}{password}\n" for user, password in users), encoding="utf-8"
    )
    port = _free_port()
    (root / "dovecot.conf").write_text(_config(root, port, uid, gid, login_user))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    server = DovecotServer(root, port, root / "cert.pem", users)
    try:
        _wait_for(port, process)
        yield server
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    if not available():
        need_service("the mailbox tests need Dovecot (apt-get install dovecot-imapd) and openssl")
    with running_dovecot() as server:
        yield server


def _wait_for(port: int, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"dovecot did not start: {error[-500:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("dovecot did not open its port")


@dataclass(frozen=True, slots=True)
class ImapAccount:
    server: DovecotServer
    user: str
    password: str
    config: MailboxConfig

    def append(self, raw: bytes, arrived: datetime, folder: str = "INBOX") -> None:
        """Put a message into the mailbox as a mail server would, with its arrival time."""
        client = self.server.client(self.user, self.password)
        try:
            client.append(folder, raw, msg_time=arrived)
        finally:
            client.logout()

    def count(self, folder: str) -> int:
        client = self.server.client(self.user, self.password)
        try:
            if not client.folder_exists(folder):
                return 0
            client.select_folder(folder, readonly=True)
            return len(client.search("ALL"))
        finally:
            client.logout()


@pytest.fixture
def mailbox(dovecot: DovecotServer, monkeypatch: pytest.MonkeyPatch) -> ImapAccount:
    """An empty mailbox of its own, and ``mailbox:`` settings pointing at it over TLS."""
    user, password = dovecot.add_user()
    monkeypatch.setenv("DSR_MAILBOX_USER", user)
    monkeypatch.setenv("DSR_MAILBOX_PASSWORD", password)
    config = MailboxConfig(
        url=f"imaps://127.0.0.1:{dovecot.port}",
        ca_file=dovecot.ca_file,
        processed_folder="Processed",
        batch=200,
    )
    return ImapAccount(dovecot, user, password, config)
