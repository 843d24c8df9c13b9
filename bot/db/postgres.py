"""PostgreSQL through asyncpg: a connection pool for the stores, and one session connection per
process for what must outlive a statement (LISTEN, and the advisory locks that say which process
runs which shards).

Transactions belong to the task that opened them: the connection is remembered in a context
variable together with its task, so a store called inside `async with db.transaction()` joins it,
and a task started meanwhile does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import asyncpg

from . import Database, Params, Row
from .dialect import Dialect, for_dialect, numbered, numbered_many
from .errors import DatabaseError, StorageError, from_postgres
from .migrate import Migration, apply_migrations, current_version, load_migrations, too_new

__all__ = ["LOCK_NAMESPACE", "LockHolder", "PostgresDatabase", "describe_url"]

log = logging.getLogger(__name__)

# Advisory locks are two 32-bit keys: this namespace ("Clif"), then what is locked.
LOCK_NAMESPACE = 0x436C6966
MIGRATION_LOCK = 2_000_000_000
CONNECT_TIMEOUT = 10.0
SESSION_CHECK = 10.0  # seconds between checks that the session connection is alive
# Seconds a statement waits for a free pooled connection before StorageBusy: under Discord's 3 s
# interaction deadline, so a member hears "busy" instead of "the application did not respond".
POOL_TIMEOUT = 2.0

_ERRORS: tuple[type[BaseException], ...] = (
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    OSError,
    TimeoutError,
)
_OPEN_ERRORS: tuple[type[BaseException], ...] = (*_ERRORS, ValueError)
_CLOSE_ERRORS: tuple[type[BaseException], ...] = (*_ERRORS, asyncio.CancelledError)

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    # A pooled connection (a proxy) or one of our own; both run the same statements.
    Conn = asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]


def describe_url(url: str) -> str:
    """The server and database a URL names, for messages: never its password."""
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.parse_qs(parts.query)
    host = parts.hostname or (query.get("host") or ["localhost"])[0]
    port = parts.port or (query.get("port") or ["5432"])[0]
    database = parts.path.lstrip("/") or parts.username or "postgres"
    user = f"{parts.username}@" if parts.username else ""
    return f"postgresql://{user}{host}:{port}/{database}"


def _rowcount(status: str) -> int:
    """asyncpg's command status ("UPDATE 3", "INSERT 0 1") as a row count."""
    last = status.rsplit(" ", 1)[-1] if status else ""
    return int(last) if last.isdigit() else -1


@dataclass
class _Held:
    """A connection the current task holds, and whether a transaction is open on it."""

    task: asyncio.Task[Any] | None
    conn: Conn
    in_transaction: bool


@dataclass(frozen=True)
class LockHolder:
    """Who holds an advisory lock this process wanted."""

    key: int
    application: str  # "cliffhanger host=... pid=..." when the holder is a bot process
    backend_pid: int | None


@dataclass
class _Session:
    """The process's long-lived connection: LISTEN channels and held advisory locks, restored after
    the server or the network comes back."""

    conn: asyncpg.Connection | None = None
    lost: asyncio.Event = field(default_factory=asyncio.Event)
    exclusive: list[int] = field(default_factory=list)
    shared: list[int] = field(default_factory=list)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a pool connection needs on its way back: nothing. asyncpg's default sends a reset query
    (unlock advisory locks, close cursors, UNLISTEN, RESET ALL) on every release, a second round
    trip for every statement. Pool connections keep no session state here: LISTEN and the held
    advisory locks live on the session connection, the migration lock is given back by its block,
    and no statement SETs anything. asyncpg still rolls back a transaction left open."""


class PostgresDatabase(Database):
    dialect: Dialect = "postgresql"

    def __init__(self, url: str, *, pool_size: int = 10, pool_timeout: float = POOL_TIMEOUT) -> None:
        self.url = url
        self.location = describe_url(url)
        self.pool_size = pool_size
        self.pool_timeout = pool_timeout  # seconds to wait for a free connection before StorageBusy
        self.name = f"cliffhanger host={socket.gethostname()} pid={os.getpid()}"[:63]
        self._pool: asyncpg.Pool | None = None
        self._held: ContextVar[_Held | None] = ContextVar(f"cliffhanger-pg-{id(self)}", default=None)
        self._listeners: dict[str, list[Callable[[str], None]]] = {}
        self._on_reconnect: list[Callable[[], Awaitable[None]]] = []
        self._session = _Session()
        self._keeper: asyncio.Task[None] | None = None
        self._pending: set[asyncio.Future[None]] = set()
        self.reset_on_release = False  # True: asyncpg's reset query on every release (benchmarks compare)

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        if self._pool is not None:
            return
        try:
            self._pool = await asyncpg.create_pool(
                self.url,
                min_size=1,
                max_size=self.pool_size,
                timeout=CONNECT_TIMEOUT,
                server_settings={"application_name": "cliffhanger"},
                reset=None if self.reset_on_release else _keep_session,
            )
        except _OPEN_ERRORS as exc:
            raise DatabaseError(self._explain_connect(exc)) from None

    def _explain_connect(self, exc: BaseException) -> str:
        where = self.location
        if isinstance(exc, asyncpg.InvalidPasswordError | asyncpg.InvalidAuthorizationSpecificationError):
            return (
                f"PostgreSQL at {where} refused the user or password in DATABASE_URL ({exc}); fix them there."
            )
        if isinstance(exc, asyncpg.InvalidCatalogNameError):
            return (
                f"the database in DATABASE_URL does not exist on the server ({exc}): create it "
                f"(createdb --owner=USER NAME), or fix the URL. Server: {where}"
            )
        if isinstance(exc, ValueError):
            return f"DATABASE_URL is not a PostgreSQL address ({exc}): for example postgresql://bot:secret@localhost/cliffhanger"
        reason = "no answer in time" if isinstance(exc, TimeoutError) else str(exc) or type(exc).__name__
        return (
            f"cannot connect to PostgreSQL at {where} ({reason}): check DATABASE_URL and that the server "
            "is running and accepts connections from this machine."
        )

    async def close(self) -> None:
        keeper, self._keeper = self._keeper, None
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        conn, self._session.conn = self._session.conn, None
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(*_ERRORS):
                await asyncio.wait_for(conn.close(), 5)
        pool, self._pool = self._pool, None
        if pool is not None:
            try:
                await asyncio.wait_for(pool.close(), 10)
            except _CLOSE_ERRORS:
                pool.terminate()

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("the database is not open")
        return self._pool

    @property
    def in_transaction(self) -> bool:
        held = self._mine()
        return held is not None and held.in_transaction

    # -- connections -----------------------------------------------------------------------
    def _mine(self) -> _Held | None:
        held = self._held.get()
        if held is None or held.task is not asyncio.current_task():
            return None  # a task started inside a transaction does not inherit it
        return held

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Conn]:
        held = self._mine()
        if held is not None:
            yield held.conn
            return
        try:
            conn = await self.pool.acquire(timeout=self.pool_timeout)
        except _ERRORS as exc:
            raise from_postgres(exc) from exc
        try:
            yield conn
        finally:
            with contextlib.suppress(*_ERRORS):
                await self.pool.release(conn)

    @asynccontextmanager
    async def transaction(self, *, immediate: bool = False) -> AsyncIterator[Database]:
        held = self._mine()
        if held is not None and held.in_transaction:
            yield self  # nested: the outer transaction decides
            return
        async with self._connection() as conn:
            tx = conn.transaction()
            try:
                await tx.start()
            except _ERRORS as exc:
                raise from_postgres(exc) from exc
            token = self._held.set(_Held(asyncio.current_task(), conn, True))
            try:
                yield self
            except BaseException:
                self._held.reset(token)
                with contextlib.suppress(*_ERRORS):
                    await tx.rollback()
                raise
            self._held.reset(token)
            try:
                await tx.commit()
            except _ERRORS as exc:
                raise from_postgres(exc) from exc

    # -- statements ------------------------------------------------------------------------
    @staticmethod
    def _prepare(sql: str, params: Params) -> tuple[str, list[Any]]:
        return numbered(for_dialect(sql, "postgresql"), params)

    async def execute(self, sql: str, params: Params = ()) -> int:
        text, values = self._prepare(sql, params)
        async with self._connection() as conn:
            try:
                status = await conn.execute(text, *values)
            except _ERRORS as exc:
                raise from_postgres(exc) from exc
        return _rowcount(status)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        text, args = numbered_many(for_dialect(sql, "postgresql"), rows)
        if not args:
            return
        async with self.transaction(), self._connection() as conn:
            try:
                await conn.executemany(text, args)
            except _ERRORS as exc:
                raise from_postgres(exc) from exc

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        text, values = self._prepare(sql, params)
        async with self._connection() as conn:
            try:
                row: Row | None = await conn.fetchrow(text, *values)
            except _ERRORS as exc:
                raise from_postgres(exc) from exc
        return row

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        text, values = self._prepare(sql, params)
        async with self._connection() as conn:
            try:
                rows = cast("list[Row]", await conn.fetch(text, *values))
            except _ERRORS as exc:
                raise from_postgres(exc) from exc
        return rows

    async def notify(self, channel: str, payload: str) -> None:
        await self.execute("SELECT pg_notify(?, ?)", (channel, payload))

    # -- schema ----------------------------------------------------------------------------
    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply pending migrations under an advisory lock: two processes starting together take
        turns, and the second finds nothing left to do."""
        migrations = load_migrations() if migrations is None else migrations
        newest = migrations[-1].version if migrations else 0
        async with self._connection() as conn:
            try:
                await conn.execute("SELECT pg_advisory_lock($1, $2)", LOCK_NAMESPACE, MIGRATION_LOCK)
            except _ERRORS as exc:
                raise from_postgres(exc) from exc
            token = self._held.set(_Held(asyncio.current_task(), conn, False))
            try:
                version = await current_version(self)
                if version > newest:
                    raise DatabaseError(too_new(self.location, version, newest))
                return await apply_migrations(self, migrations)
            finally:
                self._held.reset(token)
                with contextlib.suppress(*_ERRORS):
                    await conn.execute("SELECT pg_advisory_unlock($1, $2)", LOCK_NAMESPACE, MIGRATION_LOCK)

    # -- the session connection: LISTEN and advisory locks -----------------------------------
    def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Call `callback(payload)` for every NOTIFY on `channel` (from any process), for as long
        as the database is open. Listening resumes by itself after a lost connection."""
        self._listeners.setdefault(channel, []).append(callback)
        if self._session.conn is not None:
            task = asyncio.ensure_future(self._add_listener(self._session.conn, channel))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def listening(self) -> None:
        """Wait until every `listen` so far is in place on the server: a NOTIFY sent before that
        is not heard (the scheduler's own first look covers that at start-up; tests wait here)."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    def on_reconnect(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` after the session connection came back (notifications may have been missed)."""
        self._on_reconnect.append(callback)

    async def start_session(self, lost: Callable[[str], Awaitable[None]] | None = None) -> None:
        """Open the session connection and keep it open; `lost(reason)` is called when a held lock
        could not be taken back after a reconnection (another process has it now)."""
        if self._keeper is not None:
            return
        await self._connect_session()
        self._keeper = asyncio.create_task(self._keep_session(lost), name="cliffhanger-pg-session")

    async def _connect_session(self) -> None:
        try:
            conn = await asyncpg.connect(
                self.url, timeout=CONNECT_TIMEOUT, server_settings={"application_name": self.name}
            )
        except _ERRORS as exc:
            raise from_postgres(exc) from exc
        self._session.lost.clear()
        conn.add_termination_listener(lambda _conn: self._session.lost.set())
        for channel in self._listeners:
            await self._add_listener(conn, channel)
        self._session.conn = conn

    async def _add_listener(self, conn: asyncpg.Connection, channel: str) -> None:
        def dispatch(_conn: object, _pid: int, _channel: str, payload: object) -> None:
            self._deliver(channel, str(payload))

        with contextlib.suppress(*_ERRORS):
            await conn.add_listener(channel, dispatch)

    async def _keep_session(self, lost: Callable[[str], Awaitable[None]] | None) -> None:
        delay = 0.5
        while True:
            conn = self._session.conn
            if conn is not None and not conn.is_closed():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._session.lost.wait(), SESSION_CHECK)
                if not self._session.lost.is_set():
                    try:
                        await asyncio.wait_for(conn.execute("SELECT 1"), 5)
                        continue
                    except _ERRORS:
                        log.warning("the PostgreSQL session connection stopped answering")
                with contextlib.suppress(*_ERRORS):
                    conn.terminate()
            self._session.conn = None
            log.warning("lost the PostgreSQL session connection; reconnecting")
            try:
                await self._connect_session()
                refused = await self._retake_locks()
            except StorageError as exc:
                log.warning("PostgreSQL is not back yet (%s); trying again in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay = 0.5
            log.info("the PostgreSQL session connection is back")
            if refused and lost is not None:
                await lost(refused)
                return
            for callback in self._on_reconnect:
                try:
                    await callback()
                except Exception:
                    log.exception("a reconnect callback failed")

    async def _retake_locks(self) -> str:
        exclusive, shared = list(self._session.exclusive), list(self._session.shared)
        self._session.exclusive.clear()
        self._session.shared.clear()
        if not exclusive and not shared:
            return ""
        holders = await self.try_locks(exclusive, shared)
        if holders:
            return ", ".join(
                f"key {h.key} is now held by {h.application or 'another client'}" for h in holders
            )
        return ""

    async def try_locks(self, exclusive: Sequence[int], shared: Sequence[int] = ()) -> list[LockHolder]:
        """Take session advisory locks (freed when this process's connection ends, however it ends):
        all of them, or none. Returns who holds the ones that could not be taken."""
        conn = self._session.conn
        if conn is None:
            raise RuntimeError("start_session() first")
        taken: list[tuple[str, int]] = []
        refused: list[int] = []
        try:
            for key in shared:
                if await conn.fetchval("SELECT pg_try_advisory_lock_shared($1, $2)", LOCK_NAMESPACE, key):
                    taken.append(("shared", key))
                else:
                    refused.append(key)
            for key in exclusive:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1, $2)", LOCK_NAMESPACE, key):
                    taken.append(("exclusive", key))
                else:
                    refused.append(key)
            if not refused:
                self._session.shared.extend(k for m, k in taken if m == "shared")
                self._session.exclusive.extend(k for m, k in taken if m == "exclusive")
                return []
            holders = [await self._holder(conn, key) for key in refused]
            for mode, key in taken:
                unlock = "pg_advisory_unlock_shared" if mode == "shared" else "pg_advisory_unlock"
                await conn.execute(f"SELECT {unlock}($1, $2)", LOCK_NAMESPACE, key)
            return holders
        except _ERRORS as exc:
            raise from_postgres(exc) from exc

    async def release_locks(self) -> None:
        """Give back every advisory lock this process holds."""
        conn = self._session.conn
        self._session.exclusive.clear()
        self._session.shared.clear()
        if conn is not None and not conn.is_closed():
            with contextlib.suppress(*_ERRORS):
                await conn.execute("SELECT pg_advisory_unlock_all()")

    async def lock_holders(self, low: int, high: int) -> list[LockHolder]:
        """Advisory locks of our namespace with keys from `low` to `high` that other sessions hold."""
        conn = self._session.conn
        if conn is None:
            raise RuntimeError("start_session() first")
        try:
            return await self._holders(conn, low, high)
        except _ERRORS as exc:
            raise from_postgres(exc) from exc

    async def _holder(self, conn: asyncpg.Connection, key: int) -> LockHolder:
        found = await self._holders(conn, key, key)
        return found[0] if found else LockHolder(key, "", None)

    @staticmethod
    async def _holders(conn: asyncpg.Connection, low: int, high: int) -> list[LockHolder]:
        rows = await conn.fetch(
            """
            SELECT l.objid::bigint AS key, a.application_name, a.pid FROM pg_locks AS l
            JOIN pg_stat_activity AS a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::bigint::oid
              AND l.objid BETWEEN $2::bigint::oid AND $3::bigint::oid AND l.objsubid = 2
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
              AND l.pid <> pg_backend_pid()
            ORDER BY l.objid, l.mode DESC
            """,
            LOCK_NAMESPACE,
            low,
            high,
        )
        return [LockHolder(int(r["key"]), str(r["application_name"] or ""), int(r["pid"])) for r in rows]
