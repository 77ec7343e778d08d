"""The ``dsr`` command. Each subcommand prints plain text and exits non-zero on failure."""

from __future__ import annotations

import argparse
import asyncio
import socket
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from dsr.domain.errors import ConfigError, DsrError, InvalidInput
from dsr.domain.vocabulary import Role
from dsr.settings import Settings, with_secrets

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

    from dsr.security.audit import Anchor, ChainReport
    from dsr.services.staff import NewStaff, TokenInfo

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
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="web processes (PostgreSQL only; one per CPU core is a good start)",
    )
    serve.set_defaults(run=_serve)

    worker = commands.add_parser("worker", help="run tasks and send mail, without the web app")
    worker.set_defaults(run=_worker)

    config = commands.add_parser("config", help="dsr.yaml").add_subparsers(metavar="ACTION")
    check = config.add_parser("check", help="validate dsr.yaml and connect to every store")
    check.set_defaults(run=_config_check)

    dry = commands.add_parser(
        "plan", help="show which rows a request would reach, changing nothing"
    )
    dry.add_argument("--email", required=True, help="the verified e-mail address")
    dry.add_argument("--customer-number", default=None, help="as if matched on the phone")
    dry.add_argument("--kind", choices=["access", "erasure", "rectification"], default="access")
    dry.set_defaults(run=_plan)

    demo = commands.add_parser("demo", help="demo data").add_subparsers(metavar="ACTION")
    load = demo.add_parser("load", help="demo shop, dsr.yaml and staff users (idempotent)")
    load.add_argument("--customers", type=_positive, default=200, metavar="N")
    load.add_argument("--store-url", default=None, help="put the shop into this database")
    load.add_argument(
        "--redis-url",
        default=None,
        metavar="URL",
        help="also put a few session keys into this Redis database (default: no Redis)",
    )
    load.set_defaults(run=_demo_load)

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
    listed = users.add_parser("list", help="every staff account: role, active, set up")
    listed.set_defaults(run=_users_list)
    off = users.add_parser(
        "deactivate", help="end a staff account's sessions and sign-ins (never the last admin)"
    )
    off.add_argument("name")
    off.set_defaults(run=_users_deactivate)
    on = users.add_parser("reactivate", help="let a deactivated staff account sign in again")
    on.add_argument("name")
    on.set_defaults(run=_users_reactivate)

    token = commands.add_parser("token", help="API tokens").add_subparsers(metavar="ACTION")
    create = token.add_parser("create", help="print a new API token for a staff user")
    create.add_argument("name")
    create.add_argument("--label", default=None, help="what the token is for (up to 64 chars)")
    create.set_defaults(run=_token_create)
    listing = token.add_parser("list", help="a staff user's tokens (never the tokens themselves)")
    listing.add_argument("name")
    listing.set_defaults(run=_token_list)
    revoke = token.add_parser("revoke", help="revoke one token by its id (from `token list`)")
    revoke.add_argument("id", type=_uuid, metavar="ID")
    revoke.set_defaults(run=_token_revoke)

    deadline = commands.add_parser("deadline", help="the Art. 12(3) due date for a receipt date")
    deadline.add_argument("received", type=_iso_date, metavar="YYYY-MM-DD")
    deadline.add_argument("--extended", action="store_true", help="receipt + 3 months")
    deadline.add_argument("--region", default=None, help="e.g. DE-NW (default: DSR_REGION)")
    deadline.set_defaults(run=_deadline)

    letters = commands.add_parser("letters", help="letter templates").add_subparsers(
        metavar="ACTION"
    )
    init = letters.add_parser("init", help="write the default Word templates to edit")
    init.add_argument("directory", type=Path, help="e.g. /etc/dsr/letters (then DSR_LETTERS_DIR)")
    init.add_argument("--force", action="store_true", help="overwrite existing files")
    init.set_defaults(run=_letters_init)
    check = letters.add_parser("check", help="render every template with sample facts")
    check.set_defaults(run=_letters_check)
    specimens = letters.add_parser(
        "specimens", help="render every kind, language and variant to DOCX (and PDF) to read"
    )
    specimens.add_argument("directory", type=Path, help="where to write de/ and en/")
    specimens.set_defaults(run=_letters_specimens)

    audit = commands.add_parser("audit", help="the audit trail").add_subparsers(metavar="ACTION")
    verify = audit.add_parser("verify", help="check the keyed hash chain (changes nothing)")
    verify.add_argument(
        "--anchor", type=Path, metavar="FILE", help="anchors from `dsr audit anchor`: truncation"
    )
    verify.set_defaults(run=_audit_verify)
    anchor = audit.add_parser("anchor", help="export the chain's head to keep elsewhere")
    anchor.add_argument(
        "--output", type=Path, metavar="FILE", help="append to FILE (default: print it)"
    )
    anchor.set_defaults(run=_audit_anchor)

    keys = commands.add_parser("keys", help="the encryption keys").add_subparsers(metavar="ACTION")
    rotate = keys.add_parser(
        "rotate",
        help="re-encrypt everything under the newest DSR_ENCRYPTION_KEYS key (resumable); "
        "afterwards the older keys can be removed",
    )
    rotate.add_argument("--batch", type=_positive, default=500, metavar="N")
    rotate.set_defaults(run=_keys_rotate)
    return parser


def _letters_init(args: argparse.Namespace) -> int:
    from dsr.letters.blueprints import write_templates

    written = write_templates(args.directory, overwrite=args.force)
    for path in written:
        print(path)
    print(f"{len(written)} templates written; point DSR_LETTERS_DIR at {args.directory}")
    return 0


def _letters_specimens(args: argparse.Namespace) -> int:
    from dsr.letters.catalog import letters_dir
    from dsr.letters.specimens import convert_all, write_specimens

    written = write_specimens(letters_dir(_settings().letters_dir), args.directory)
    pdfs = asyncio.run(convert_all(written))
    print(f"{len(written)} letters written to {args.directory}", end="")
    print(f", {len(pdfs)} as PDF" if pdfs else " (no PDF: LibreOffice is not installed)")
    return 0


def _letters_check(args: argparse.Namespace) -> int:
    from dsr.letters.catalog import letters_dir
    from dsr.letters.check import check_templates

    directory = letters_dir(_settings().letters_dir)
    problems = check_templates(directory)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"{directory}: every letter template renders in every language")
    return 0


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {value!r}") from None


def _uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a token id: {value!r}") from None


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= number <= 10_000_000:
        raise argparse.ArgumentTypeError("must be between 1 and 10,000,000")
    return number


def _settings() -> Settings:
    return with_secrets(Settings())


def _with_database(work: Callable[[AsyncSession, Settings], Awaitable[T]]) -> T:
    """Run ``work(session, settings)`` in one transaction against our database."""
    from dsr.db import Database

    settings = _settings()

    async def run() -> T:
        database = Database.from_settings(settings)
        try:
            async with database.session_scope() as session:
                return await work(session, settings)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _serve(args: argparse.Namespace) -> int:
    import uvicorn
    from sqlalchemy.engine import make_url
    from uvicorn.supervisors import Multiprocess

    from dsr.app import create_app

    if not 1 <= args.workers <= 64:
        raise ConfigError("--workers takes a number from 1 to 64")
    settings = _settings()  # in demo mode this writes var/secrets.json once, for every process
    proxies = settings.proxy_networks()
    # X-Forwarded-For is believed only from the proxies the operator lists (uvicorn's own
    # default, 127.0.0.1, let any local process choose the address every per-IP limit counts)
    if args.workers == 1:
        app = create_app(settings)
        sock = _listening_socket(args.host, args.port)
        print(serve_banner(settings, args.host, sock.getsockname()[1]), flush=True)
        uvicorn.Server(
            uvicorn.Config(
                app,
                log_level="warning",
                proxy_headers=bool(proxies),
                forwarded_allow_ips=proxies,
            )
        ).run(sockets=[sock])
        return 0
    if make_url(settings.database_url).get_backend_name() == "sqlite":
        raise ConfigError("several web processes need PostgreSQL (SQLite has one writer)")
    # Each process builds its app from the same environment, with its own in-process worker
    # (the runner's claims and the audit chain's sealer are safe to share on PostgreSQL).
    config = uvicorn.Config(
        "dsr.app:create_app",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies,
    )
    sock = _listening_socket(args.host, args.port)
    print(serve_banner(settings, args.host, sock.getsockname()[1]), flush=True)
    Multiprocess(config, sockets=[sock]).run()
    return 0


def serve_banner(settings: Settings, host: str, port: int) -> str:
    """The one line ``dsr serve`` prints once it listens: where, and which pages to open."""
    from dsr.notify.smtp import SmtpConfig

    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{port}"
    pages = [f"{address}/ (the person's pages)", f"{address}/login (staff)"]
    if not settings.is_production and settings.dev_mail_catcher:
        smtp = SmtpConfig.from_url(settings.smtp_url)
        pages.append(f"{address}/dev/mail (mail caught on {smtp.host}:{smtp.port})")
    return f"dsr: serving on {address} - open " + ", ".join(pages)


def _listening_socket(host: str, port: int) -> socket.socket:
    """The socket the web processes share. Created as TCP explicitly: asyncio sets
    TCP_NODELAY only on connections of a socket whose protocol says TCP, and uvicorn's own
    (protocol 0) made every small response wait ~40 ms for the client's delayed ACK."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.set_inheritable(True)
    return sock


def _worker(args: argparse.Namespace) -> int:
    """The runner and the outbox sender until SIGINT or SIGTERM."""
    import signal

    from dsr.config import load_config
    from dsr.connectors.registry import build_connectors, close_all
    from dsr.db import Database
    from dsr.logging import configure_logging
    from dsr.scheduler import running_worker
    from dsr.security.vault import Vault

    settings = _settings()
    configure_logging(settings.log_level)
    config = load_config(settings.config, required=settings.is_production)

    async def run() -> None:
        database = Database.from_settings(settings)
        vault = Vault.from_secrets(settings.encryption_keys, settings.hmac_key)
        connectors = build_connectors(config, settings.hmac_key.encode(), settings.base_url)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        try:
            async with running_worker(settings, config, database, vault, connectors):
                await stop.wait()
        finally:
            await close_all(connectors)
            await database.dispose()

    asyncio.run(run())
    return 0


def _config_check(args: argparse.Namespace) -> int:
    from dsr.config import load_config
    from dsr.connectors.registry import build_connectors, close_all

    settings = _settings()
    config = load_config(settings.config, required=True)
    if settings.is_production:
        from dsr.site import require_for_production

        require_for_production(config.site, settings.config)

    from dsr.connectors.sql import SqlConnector

    async def check() -> list[str]:
        connectors = build_connectors(config, settings.hmac_key.encode(), settings.base_url)
        try:
            problems: list[str] = []
            for connector in connectors.values():
                problems += await connector.check()
                if isinstance(connector, SqlConnector):
                    for note in connector.graph.notes:
                        print(f"note: store {connector.name}: {note}")
            return problems
        finally:
            await close_all(connectors)

    problems = asyncio.run(check())
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    if config.controller.legal is None and config.controller.has_legal_form:
        print(
            "note: controller.legal is missing: a company's letters name its seat, register "
            "court and number and managing directors (§ 35a GmbHG, § 80 AktG)",
            file=sys.stderr,
        )
    print(f"{settings.config}: {len(config.stores)} stores, all reachable and as declared")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from dsr.config import load_config
    from dsr.connectors.base import Identifiers
    from dsr.connectors.registry import build_connectors, close_all
    from dsr.domain.deadlines import receipt_date
    from dsr.domain.identity import normalize_customer_number, normalize_email
    from dsr.models.base import utcnow
    from dsr.workflows.dry_run import plan

    settings = _settings()
    config = load_config(settings.config, required=True)
    try:
        email = normalize_email(args.email)
        numbers = [normalize_customer_number(args.customer_number)] if args.customer_number else []
    except ValueError as exc:
        raise ConfigError(f"not an identifier: {exc}") from exc
    verified = Identifiers.of(emails={email}, customer_numbers=numbers)

    async def run() -> list[str]:
        connectors = build_connectors(config, settings.hmac_key.encode(), settings.base_url)
        try:
            today = receipt_date(utcnow(), settings.timezone)
            return await plan(config, connectors, verified, args.kind, today)
        finally:
            await close_all(connectors)

    from dsr.connectors.base import StoreError, StoreUnavailable

    try:
        lines = asyncio.run(run())
    except (StoreError, StoreUnavailable) as exc:
        print(f"dsr: {exc}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


def _demo_load(args: argparse.Namespace) -> int:
    from dsr import demo
    from dsr.domain.deadlines import receipt_date
    from dsr.models.base import utcnow
    from dsr.security.fields import FieldCipher
    from dsr.services.staff import add_staff, create_token
    from dsr.workflows.engine import SYSTEM

    settings = _settings()
    if settings.is_production:
        print("dsr: demo data is not loaded in production mode", file=sys.stderr)
        return 1
    shop = demo.shop_url(settings.var_dir, args.store_url)
    print(f"shop: {args.customers:,} customers in {shop.split('@')[-1]}")
    shown = asyncio.run(
        demo.load_shop(shop, args.customers, receipt_date(utcnow(), settings.timezone))
    )
    redis_url: str | None = args.redis_url
    if redis_url is not None:
        if not asyncio.run(demo.load_sessions(redis_url, shown)):
            raise ConfigError(f"Redis at {_without_password(redis_url)} is not reachable")
        print(f"sessions: {len(shown)} session keys (session:*) in {_without_password(redis_url)}")
    config = demo.demo_config(shop, settings.var_dir, redis_url, settings.base_url)
    if demo.write_config(settings.config, config):
        print(f"config: wrote {settings.config}")
    else:
        print(f"config: kept the existing {settings.config}")

    async def staff(session: AsyncSession, settings: Settings) -> list[str]:
        from sqlmodel import select

        from dsr.models import Staff

        lines = []
        cipher = FieldCipher.from_config(settings.encryption_keys)
        for name, role in (("dana", Role.DPO), ("anna", Role.AGENT), ("adam", Role.ADMIN)):
            if (await session.exec(select(Staff).where(Staff.username == name))).first():
                lines.append(f"  {name:5} ({role.value:5}) exists already")
                continue
            created = await add_staff(session, cipher, name, role, SYSTEM)
            secret = created.totp_uri.split("secret=")[1].split("&")[0]
            token = await create_token(session, name, SYSTEM)
            lines.append(
                f"  {name:5} ({role.value:5}) password {created.one_time_password}  "
                f"TOTP secret {secret}  API token {token}"
            )
        return lines

    print("staff users (shown once):")
    for line in _with_database(staff):
        print(line)
    print("demo customers to try (the web form takes the e-mail; the phone check the rest):")
    for customer in shown:
        print(f"  {customer.name}: {customer.email}")
        invoice = (
            f"last invoice {customer.last_invoice_on} over {customer.last_invoice_total}"
            if customer.last_invoice_on is not None
            else "no invoice"
        )
        print(f"    customer number {customer.customer_no}, PIN {customer.phone_pin}, {invoice}")
    return 0


def _without_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _db_upgrade(args: argparse.Namespace) -> int:
    from dsr import migrations

    settings = _settings()
    migrations.upgrade(settings.database_url, args.revision, settings.audit_key)
    print(f"database at {args.revision}")
    return 0


def _db_downgrade(args: argparse.Namespace) -> int:
    from dsr import migrations

    settings = _settings()
    migrations.downgrade(settings.database_url, args.revision, settings.audit_key)
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


USER_REFUSALS = {
    "own_account": "nobody deactivates their own account",
    "last_admin": "it is the last active admin (add or reactivate another admin first)",
}


def _users_list(args: argparse.Namespace) -> int:
    from dsr.services.staff import list_staff

    async def work(session: AsyncSession, settings: Settings) -> list[tuple[str, str, bool, bool]]:
        return [
            (s.username, s.role, s.active, not s.must_change_password)
            for s in await list_staff(session)
        ]

    print(f"{'user':24}  {'role':6}  {'active':6}  set up")
    for username, role, active, set_up in _with_database(work):
        print(
            f"{username:24}  {role:6}  {'yes' if active else 'no':6}  {'yes' if set_up else 'no'}"
        )
    return 0


def _users_deactivate(args: argparse.Namespace) -> int:
    from dsr.services.staff import deactivate_staff
    from dsr.workflows.engine import SYSTEM

    async def work(session: AsyncSession, settings: Settings) -> None:
        await deactivate_staff(session, args.name, SYSTEM)

    try:
        _with_database(work)
    except InvalidInput as exc:
        reason = exc.fields.get("staff", "")
        print(
            f"dsr: {args.name} not deactivated: {USER_REFUSALS.get(reason, reason)}",
            file=sys.stderr,
        )
        return 1
    print(f"{args.name} deactivated: sessions ended, no more sign-ins or API calls")
    return 0


def _users_reactivate(args: argparse.Namespace) -> int:
    from dsr.services.staff import reactivate_staff
    from dsr.workflows.engine import SYSTEM

    async def work(session: AsyncSession, settings: Settings) -> bool:
        return await reactivate_staff(session, args.name, SYSTEM)

    changed = _with_database(work)
    print(f"{args.name} {'reactivated' if changed else 'was active already'}")
    return 0


def _token_create(args: argparse.Namespace) -> int:
    from dsr.services.staff import create_token
    from dsr.workflows.engine import SYSTEM

    async def work(session: AsyncSession, settings: Settings) -> str:
        return await create_token(session, args.name, SYSTEM, label=args.label)

    print(_with_database(work))
    return 0


def _token_list(args: argparse.Namespace) -> int:
    from dsr.services.staff import list_tokens

    async def work(session: AsyncSession, settings: Settings) -> list[TokenInfo]:
        return await list_tokens(session, args.name)

    def when(moment: datetime | None) -> str:
        return moment.isoformat(timespec="seconds") if moment else "-"

    print(
        "id                                    created                    last used"
        "                  revoked                    label"
    )
    for info in _with_database(work):
        print(
            f"{info.id}  {when(info.created_at):25}  {when(info.last_used_at):25}  "
            f"{when(info.revoked_at):25}  {info.label or ''}"
        )
    return 0


def _token_revoke(args: argparse.Namespace) -> int:
    from dsr.services.staff import revoke_token
    from dsr.workflows.engine import SYSTEM

    async def work(session: AsyncSession, settings: Settings) -> bool:
        return await revoke_token(session, args.id, SYSTEM)

    revoked = _with_database(work)
    print(f"token {args.id} {'revoked' if revoked else 'was revoked already'}")
    return 0


def _deadline(args: argparse.Namespace) -> int:
    from dsr.domain.deadlines import response_deadline, validate_region

    region = validate_region(args.region or Settings().region)
    print(response_deadline(args.received, region, extended=args.extended).isoformat())
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from dsr.security.audit import read_anchors, verify_chain

    anchors = read_anchors(args.anchor) if args.anchor else []

    async def work(session: AsyncSession, settings: Settings) -> ChainReport:
        return await verify_chain(session, anchors)

    report = _with_database(work)
    if report.refused:
        shown = ", ".join(str(event_id) for event_id in report.refused_ids)
        more = ", …" if report.refused > len(report.refused_ids) else ""
        print(
            f"{report.refused} events outside the chain were not written by dsr "
            f"(no valid writer MAC, never chained): ids {shown}{more}",
            file=sys.stderr,
        )
    if report.first_bad_seq is not None:
        print(
            f"audit chain broken at seq {report.first_bad_seq}: {report.problem}", file=sys.stderr
        )
    if not report.ok:
        return 1
    against = f", matches {report.anchors} anchors" if anchors else ""
    print(
        f"audit chain intact: {report.checked} events{against} "
        f"({report.pending} written by dsr and waiting for the sealer)"
    )
    return 0


def _audit_anchor(args: argparse.Namespace) -> int:
    """The head of a verified chain, printed or appended to a file."""
    from dsr.security.audit import head_anchor, verify_chain, write_anchor

    async def work(session: AsyncSession, settings: Settings) -> tuple[ChainReport, Anchor]:
        return await verify_chain(session), await head_anchor(session)

    report, anchor = _with_database(work)
    if report.first_bad_seq is not None:
        print(
            f"dsr: not anchored: the audit chain is broken at seq {report.first_bad_seq}: "
            f"{report.problem}",
            file=sys.stderr,
        )
        return 1
    if args.output:
        write_anchor(args.output, anchor)
        print(f"anchored seq {anchor.seq} in {args.output}")
    else:
        print(anchor.to_json())
    return 0


def _keys_rotate(args: argparse.Namespace) -> int:
    import asyncio

    from dsr.db import Database
    from dsr.security.fields import FieldCipher
    from dsr.security.rotation import Progress, RotationError, remaining, rotate

    settings = _settings()
    cipher = FieldCipher.from_config(settings.encryption_keys)

    def show(step: Progress) -> None:
        print(f"  {step.column}: {step.rewritten} rewritten", flush=True)

    async def work() -> tuple[dict[str, int], dict[str, int]]:
        database = Database.from_settings(settings)
        try:
            done = await rotate(database, cipher, batch=args.batch, progress=show)
            return done, await remaining(database, cipher)
        finally:
            await database.dispose()

    print(f"re-encrypting under key {cipher.current!r}")
    try:
        done, left = asyncio.run(work())
    except RotationError as exc:
        print(f"dsr: {exc}", file=sys.stderr)
        return 1
    still = {column: n for column, n in left.items() if n}
    print(f"{sum(done.values())} values re-encrypted under key {cipher.current!r}")
    if still:  # written by a process still using an older key list meanwhile: run again
        print(f"still under an older key: {still}; run `dsr keys rotate` again", file=sys.stderr)
        return 1
    older = [key for key in cipher.keys if key != cipher.current]
    if older:
        print(f"nothing is left under {', '.join(map(repr, older))}: they can be removed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
