"""Work starts when it becomes ready, not at the next tick.

A transaction that makes work ready (tasks planned or retried, a mail queued, events written)
calls ``soon(session, channel)``. When it commits, every worker on that channel wakes:

- on PostgreSQL by ``NOTIFY``, sent inside the same transaction (so it is delivered exactly
  when the work is visible, and never for a transaction that rolled back), received by each
  process's ``Listener`` on a connection of its own;
- in the committing process itself by an in-process bell, rung after the commit — the one
  signal there is on SQLite, where one process does all the work.

A ``Pump`` runs one job each time its channel rings, and at the latest every
``safety_seconds`` as the net for a lost notification and for work that becomes due with time
(a retry's backoff, an expired lease). A ring during a run makes the pump run once more, so
nothing committed while it worked waits for the net.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import structlog
from sqlalchemy import event as orm_events
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import Session
from sqlmodel.ext.asyncio.session import AsyncSession

log = structlog.get_logger("dsr.wakeup")

TASKS = "dsr_tasks"  # a task is ready to run
MAIL = "dsr_mail"  # a mail is ready to send
AUDIT = "dsr_audit"  # events wait for their place in the audit chain
CHANNELS = (TASKS, MAIL, AUDIT)

_PENDING = "dsr.wakeup.pending"  # session.info: the channels its commit will ring
_HOOKED = "dsr.wakeup.hooked"


def soon(session: AsyncSession | Session, channel: str) -> None:
    """Ring ``channel`` once ``session``'s transaction has committed (nothing on rollback)."""
    sync = session.sync_session if isinstance(session, AsyncSession) else session
    if not sync.info.get(_HOOKED):
        orm_events.listen(sync, "before_commit", _notify)
        orm_events.listen(sync, "after_commit", _ring)
        orm_events.listen(sync, "after_rollback", _forget)
        sync.info[_HOOKED] = True
    sync.info.setdefault(_PENDING, set()).add(channel)


def _notify(session: Session) -> None:
    channels = session.info.get(_PENDING)
    if channels and session.get_bind().dialect.name == "postgresql":
        for channel in sorted(channels):  # delivered at commit, dropped on rollback
            session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": channel})


def _ring(session: Session) -> None:
    BELL.ring(session.info.pop(_PENDING, ()))


def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


class Bell:
    """In-process signals, one ``asyncio.Event`` per waiting pump, safe to ring from any
    thread."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    def subscribe(self, channel: str) -> asyncio.Event:
        signal = asyncio.Event()
        self._waiting.setdefault(channel, set()).add((asyncio.get_running_loop(), signal))
        return signal

    def unsubscribe(self, channel: str, signal: asyncio.Event) -> None:
        waiting = self._waiting.get(channel, set())
        self._waiting[channel] = {pair for pair in waiting if pair[1] is not signal}

    def ring(self, channels: Iterable[str]) -> None:
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        for channel in channels:
            for loop, signal in list(self._waiting.get(channel, ())):
                if loop.is_closed():
                    continue
                if running is loop:
                    signal.set()
                else:
                    loop.call_soon_threadsafe(signal.set)


BELL = Bell()


class Listener:
    """``LISTEN`` on PostgreSQL for every channel, on one connection of the engine's pool held
    for the process's lifetime; each notification rings the in-process bell. Nothing on
    SQLite. A lost connection is noticed and listened again on the next ``keep_alive``; until
    then the pumps' safety net carries the work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._connection: AsyncConnection | None = None
        self._driver: Any = None

    @property
    def listening(self) -> bool:
        return self._driver is not None and not self._driver.is_closed()

    async def keep_alive(self) -> None:
        if self.engine.dialect.name != "postgresql" or self.listening:
            return
        await self.close()
        try:
            connection = await self.engine.connect()
            raw = await connection.get_raw_connection()
            driver: Any = raw.driver_connection
            for channel in CHANNELS:
                await driver.add_listener(channel, self._heard)
        except Exception as exc:  # noqa: BLE001 - the safety net carries the work meanwhile
            log.warning("not listening for work", error_type=type(exc).__name__)
            return
        self._connection, self._driver = connection, driver

    def _heard(self, _connection: Any, _pid: int, channel: str, _payload: str) -> None:
        BELL.ring((channel,))

    async def close(self) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            with contextlib.suppress(Exception):  # it may already be gone
                await connection.invalidate()
                await connection.close()


class Pump:
    """Run ``job`` when ``channel`` rings, and at the latest every ``safety_seconds``."""

    def __init__(
        self,
        channel: str,
        job: Callable[[], Awaitable[None]],
        safety_seconds: float,
        before: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.channel, self.job, self.safety_seconds, self.before = (
            channel,
            job,
            safety_seconds,
            before,
        )

    async def run(self) -> None:
        signal = BELL.subscribe(self.channel)
        try:
            signal.set()  # once at the start: work that became ready while no one ran
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(signal.wait(), self.safety_seconds)
                signal.clear()  # a ring from now on means another run
                if self.before is not None:
                    await self.before()
                await self.job()
                current = asyncio.current_task()
                if current is not None and current.cancelling():  # the job swallowed it
                    return
        finally:
            BELL.unsubscribe(self.channel, signal)


@asynccontextmanager
async def pumping(pumps: Iterable[Pump]) -> AsyncIterator[None]:
    """The pumps running as tasks of the current loop for as long as the context lasts."""
    running = [asyncio.create_task(pump.run(), name=f"pump:{pump.channel}") for pump in pumps]
    try:
        yield
    finally:
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError):
                await task
