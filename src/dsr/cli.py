"""The ``dsr`` command. Each subcommand prints plain text and exits non-zero on failure."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import TYPE_CHECKING, TypeVar

from dsr.domain.errors import DsrError
from dsr.domain.vocabulary import Role
from dsr.settings import Settings, with_secrets

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from dsr.security.audit import ChainReport
    from dsr.services.staff import NewStaff

T = TypeVar("T")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args)
    except DsrError as exc:
        print(f"dsr: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dsr", description="GDPR data-subject-rights desk")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the web app")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(run=_serve)

    db = commands.add_parser("db", help="our own database").add_subparsers(metavar="ACTION")
    upgrade = db.add_parser("upgrade", help="migrate to the newest schema")
    upgrade.add_argument("revision", nargs="?", default="head")
    upgrade.set_defaults(run=_db_upgrade)
    downgrade = db.add_parser("downgrade", help="migrate back (default: to an empty database)")
    downgrade.add_argument("revision", nargs="?", default="base")
    downgrade.set_defaults(run=_db_downgrade)

    users = commands.add_parser("users", help="staff accounts").add_subparsers(metavar="ACTION")
    add = users.add_parser("add", help="create a staff account")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=[role.value for role in Role])
    add.set_defaults(run=_users_add)

    token = commands.add_parser("token", help="API tokens").add_subparsers(metavar="ACTION")
    create = token.add_parser("create", help="print a new API token for a staff user")
    create.add_argument("name")
    create.set_defaults(run=_token_create)

    deadline = commands.add_parser("deadline", help="the Art. 12(3) due date for a receipt date")
    deadline.add_argument("received", type=_iso_date, metavar="YYYY-MM-DD")
    deadline.add_argument("--extended", action="store_true", help="receipt + 3 months")
    deadline.add_argument("--region", default=None, help="e.g. DE-NW (default: DSR_REGION)")
    deadline.set_defaults(run=_deadline)

    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(metavar="ACTION")
    verify = audit.add_parser("verify", help="check the hash chain")
    verify.set_defaults(run=_audit_verify)
    return parser


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {value!r}") from None


def _settings() -> Settings:
    return with_secrets(Settings())


def _with_database(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run ``work(session, settings)`` in one transaction against our database."""
    from dsr.db import Database

    settings = _settings()

    async def run() -> T:
        database = Database.from_url(settings.database_url)
        try:
            async with database.session_scope() as session:
                return await work(session, settings)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dsr.app import create_app

    uvicorn.run(create_app(_settings()), host=args.host, port=args.port, log_level="warning")
    return 0


def _db_upgrade(args: argparse.Namespace) -> int:
    from dsr import migrations

    settings = _settings()
    migrations.upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from dsr import migrations

    migrations.downgrade(_settings().database_url, args.revision)
    print(f"database at {args.revision}")
    return 0


def _users_add(args: argparse.Namespace) -> int:
    from dsr.security.fields import FieldCipher
    from dsr.services.staff import add_staff
    from dsr.workflows.engine import SYSTEM

    async def work(session: AsyncSession, settings: Settings) -> NewStaff:
        cipher = FieldCipher.from_config(settings.encryption_keys)
        return await add_staff(session, cipher, args.name, Role(args.role), SYSTEM)

    created = _with_database(work)
    print(f"user:              {created.username} ({created.role.value})")
    print(f"one-time password: {created.one_time_password}")
    print(f"TOTP URI:          {created.totp_uri}")
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from dsr.services.staff import create_token
    from dsr.workflows.engine import SYSTEM

    async def work(session: AsyncSession, settings: Settings) -> str:
        return await create_token(session, args.name, SYSTEM)

    print(_with_database(work))
    return 0


def _deadline(args: argparse.Namespace) -> int:
    from dsr.domain.deadlines import response_deadline, validate_region

    region = validate_region(args.region or Settings().region)
    print(response_deadline(args.received, region, extended=args.extended).isoformat())
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from dsr.security.audit import verify_chain

    async def work(session: AsyncSession, settings: Settings) -> ChainReport:
        return await verify_chain(session)

    report = _with_database(work)
    if report.ok:
        print(f"audit chain intact: {report.checked} events")
        return 0
    print(f"audit chain broken at seq {report.first_bad_seq}: {report.problem}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
