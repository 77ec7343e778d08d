"""Driving the public pages like a browser without JavaScript: forms, CSRF, redirects."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from litestar.testing import AsyncTestClient

from dsr.db import Database
from dsr.notify.catcher import CaughtMail, MailCatcher
from dsr.notify.outbox import DeliveryReport, deliver_due
from dsr.notify.smtp import SmtpConfig
from dsr.security.vault import Vault
from dsr.settings import Settings

CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
CODE = re.compile(r"(?:code|Code|Bestätigungscode):\s*(\d{6})")
LINK = re.compile(r"(/verify/[A-Za-z0-9_-]+)")
STATUS = re.compile(r"(/status/[A-Za-z0-9_-]+)")

Client = AsyncTestClient  # type: ignore[type-arg]


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1)


def form_data(**fields: str) -> dict[str, str]:
    base = {
        "kind": "access",
        "name": "Erika Mustermann",
        "email": "erika.mustermann@example.org",
        "phone": "",
        "customer_number": "",
        "details": "",
        "change_field": "name",
        "change_wrong": "",
        "change_right": "",
        "homepage": "",
    }
    base.update(fields)
    return base


async def submit(client: Client, **fields: str) -> Any:
    page = await client.get("/request")
    data = {"_csrf_token": csrf_of(page.text), **form_data(**fields)}
    return await client.post("/request", data=data, follow_redirects=False)


async def post_form(client: Client, page_path: str, action: str, **fields: str) -> Any:
    page = await client.get(page_path)
    return await client.post(
        action, data={"_csrf_token": csrf_of(page.text), **fields}, follow_redirects=False
    )


@dataclass
class Mailroom:
    """Delivers the outbox to the test SMTP server and reads what arrived."""

    settings: Settings
    catcher: MailCatcher

    async def deliver(self, **options: Any) -> DeliveryReport:
        database = Database.from_settings(self.settings)
        try:
            vault = Vault.from_secrets(self.settings.encryption_keys, self.settings.hmac_key)
            return await deliver_due(
                database,
                vault.cipher,
                SmtpConfig.from_url(self.settings.smtp_url),
                self.settings.mail_from,
                **options,
            )
        finally:
            await database.dispose()

    def last(self) -> CaughtMail:
        assert self.catcher.mails, "no e-mail arrived"
        return self.catcher.mails[-1]

    def code(self) -> str:
        match = CODE.search(self.last().text)
        assert match, self.last().text
        return match.group(1)

    def link(self) -> str:
        match = LINK.search(self.last().text)
        assert match
        return match.group(1)
