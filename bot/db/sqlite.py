"""SQLite: one aiosqlite connection per process, with the PRAGMAs, locking and transactions every store uses."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from . import Database, Params, Row
from .backup import backup_before_migrating
from .dialect import for_dialect
from .errors import DatabaseError, StorageError, from_sqlite
from .migrate import Migration, apply_migrations, current_version, load_migrations, too_new

__all__ = ["SQLiteDatabase"]

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5_000
# A read on the event loop's own thread (see SQLiteDatabase.fetchone) gives up after this long and
# goes to aiosqlite's thread instead; the loop is never held longer than about this by one read.
INLINE_READ_BUDGET_S = 0.002
INLINE_READ_CHECK_EVERY = 500  # SQLite VM instructions between looks at the clock (a few microseconds)


class SQLiteDatabase(Database):
    """The process's single SQLite connection.

    aiosqlite runs every statement on one worker thread, so statements never overlap, but a
    transaction that awaits between statements could interleave with another task's writes. An
    asyncio lock therefore covers each transaction and each stand-alone statement; the task that
    holds it may nest calls freely.
    """

    dialect = "sqlite"

    def __init__(
        self, path: Path | str, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS, inline_reads: bool = True
    ) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.busy_timeout_ms = busy_timeout_ms
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        self._owner: asyncio.Task[Any] | None = None
        # A second, read-only connection used on the event loop's thread (see `_read_inline`).
        self.inline_reads = inline_reads
        self._reader: sqlite3.Connection | None = None
        self._read_deadline = 0.0
        self._slow_reads: set[str] = set()  # statements that overran the budget: the thread runs them
        self.inline_read_count = 0  # reads answered inline, and those handed to the thread after all
        self.spilled_read_count = 0
        # In-process LISTEN/NOTIFY: a notification sent inside a transaction is delivered once it
        # commits (dropped on rollback), as PostgreSQL does, so a listener that reads on hearing
        # it (the scheduler, a cache) sees the committed rows.
        self._listeners: dict[str, list[Callable[[str], None]]] = {}
        self._after_commit: list[tuple[str, str]] = []

    # -- lifecycle -------------------------------------------------------------------------
    async def open(self) -> None:
        """Open the file and apply the connection PRAGMAs. Raises DatabaseError with a clear reason."""
        if self._conn is not None:
            return
        try:
            conn = await aiosqlite.connect(self.path, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(f"cannot open the database file {str(self.path)!r}: {exc}") from None
        conn.row_factory = sqlite3.Row
        try:
            await conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_ms)}")
            mode = await conn.execute_fetchall("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            # A cheap read forces SQLite to parse the header, which is where corruption shows.
            await conn.execute_fetchall("SELECT count(*) FROM sqlite_schema")
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise DatabaseError(_explain(self.path, exc)) from None
        wal = str(next(iter(mode))[0]).lower() == "wal"
        if not wal:
            log.warning("SQLite refused WAL mode for %s; running in %s mode", self.path, next(iter(mode))[0])
        self._conn = conn
        if self.inline_reads and wal:  # without WAL a reader would wait for (and block) the writer
            self._reader = self._open_reader()

    def _open_reader(self) -> sqlite3.Connection | None:
        try:
            reader = sqlite3.connect(self.path, isolation_level=None, timeout=0)
            reader.row_factory = sqlite3.Row
            reader.execute("PRAGMA query_only = ON")
            reader.set_progress_handler(self._overran, INLINE_READ_CHECK_EVERY)
        except sqlite3.Error:
            log.debug(
                "no inline reader for %s; every read goes to the worker thread", self.path, exc_info=True
            )
            return None
        return reader

    def _overran(self) -> int:
        # SQLite's progress handler: a non-zero answer interrupts the statement.
        return int(time.perf_counter() > self._read_deadline)

    async def close(self) -> None:
        """Close the connection after any running transaction finishes."""
        if self._conn is None:
            return
        async with self._lock:
            conn, self._conn = self._conn, None
            reader, self._reader = self._reader, None
            if reader is not None:
                reader.close()
            try:
                await conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                log.debug("PRAGMA optimize failed on close", exc_info=True)
            await conn.close()

    @property
    def is_open(self) -> bool:
        return self._conn is not None

    @property
    def in_transaction(self) -> bool:
        """Whether an explicit transaction is open, so a write now could still be rolled back."""
        return self._conn is not None and self._conn.in_transaction

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("the database is not open")
        return self._conn

    async def trace(self, callback: Callable[[str], object] | None) -> None:
        """Call `callback` with every statement either connection runs (None stops): diagnostics and
        the query-plan tests."""
        await self.conn.set_trace_callback(callback)  # type: ignore[arg-type]  # sqlite3 takes None
        if self._reader is not None:
            self._reader.set_trace_callback(callback)

    # -- locking -----------------------------------------------------------------------------
    @asynccontextmanager
    async def _locked(self) -> AsyncIterator[None]:
        task = asyncio.current_task()
        if task is not None and self._owner is task:
            yield
            return
        async with self._lock:
            self._owner = task
            try:
                yield
            finally:
                self._owner = None

    @asynccontextmanager
    async def transaction(self, *, immediate: bool = False) -> AsyncIterator[Database]:
        """Run a block atomically. `immediate=True` takes the write lock up front (read-then-write)."""
        async with self._locked():
            conn = self.conn
            if conn.in_transaction:
                # Nested use joins the outer transaction, which decides commit or rollback.
                yield self
                return
            try:
                await conn.execute("BEGIN IMMEDIATE" if immediate else "BEGIN")
            except sqlite3.Error as exc:
                raise from_sqlite(exc) from exc
            self._after_commit = []
            try:
                yield self
            except BaseException:
                self._after_commit = []
                await conn.rollback()
                raise
            else:
                try:
                    await conn.commit()
                except sqlite3.Error as exc:
                    self._after_commit = []
                    await conn.rollback()
                    raise from_sqlite(exc) from exc
            sent, self._after_commit = self._after_commit, []
            for channel, payload in sent:
                self._deliver(channel, payload)

    # -- notifications -------------------------------------------------------------------------
    def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        self._listeners.setdefault(channel, []).append(callback)

    async def notify(self, channel: str, payload: str) -> None:
        """Tell this process's listeners; inside this task's transaction, once it commits."""
        if self._owner is not None and self._owner is asyncio.current_task() and self.in_transaction:
            self._after_commit.append((channel, payload))
        else:
            self._deliver(channel, payload)

    # -- single statements -------------------------------------------------------------------
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one write statement in its own transaction; returns the number of changed rows."""
        async with self._locked():
            try:
                cursor = await self.conn.execute(for_dialect(sql, "sqlite"), params)
                try:
                    return cursor.rowcount
                finally:
                    await cursor.close()
            except sqlite3.Error as exc:
                raise from_sqlite(exc) from exc

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many parameter sets, atomically."""
        async with self.transaction():
            try:
                await self.conn.executemany(for_dialect(sql, "sqlite"), rows)
            except sqlite3.Error as exc:
                raise from_sqlite(exc) from exc

    # -- reads -------------------------------------------------------------------------------
    # Each aiosqlite call is a round trip to its worker thread (a queue hand-off, a wake-up of the
    # event loop through its self-pipe, and the GIL passed back and forth); a fetchone is three.
    # Under load those hand-offs were the bot's top cost, far above the reads themselves, which
    # take microseconds on an index. So a plain SELECT outside this task's transaction runs on the
    # loop's own thread, on a second connection that may only read (WAL: it sees every committed
    # write and never waits for the writer). SQLite stops it when it runs past
    # INLINE_READ_BUDGET_S, and then, like any read the reader cannot do, it runs on the worker
    # thread as before (and that statement always does from then on).
    def _read_inline(self, sql: str, params: Params, *, one: bool) -> tuple[bool, Any]:
        """(True, result) when the read ran here; (False, None) when the worker thread must run it."""
        reader = self._reader
        if (
            reader is None
            or sql in self._slow_reads
            or not sql.lstrip().startswith(("SELECT", "select"))
            or (self._owner is not None and self._owner is asyncio.current_task())
        ):
            return False, None
        self._read_deadline = time.perf_counter() + INLINE_READ_BUDGET_S
        try:
            cursor = reader.execute(sql, params)
            try:
                result = cursor.fetchone() if one else cursor.fetchall()
            finally:
                cursor.close()
        except sqlite3.Error as exc:
            if "interrupted" in str(exc):
                self._slow_reads.add(sql)
                log.debug(
                    "read over %.0f ms, left to the worker thread: %s", INLINE_READ_BUDGET_S * 1000, sql
                )
            self.spilled_read_count += 1
            return False, None
        self.inline_read_count += 1
        return True, result

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        sql = for_dialect(sql, "sqlite")
        done, found = self._read_inline(sql, params, one=True)
        if done:
            return found  # type: ignore[no-any-return]
        async with self._locked():
            try:
                cursor = await self.conn.execute(sql, params)
                try:
                    row: Row | None = await cursor.fetchone()
                    return row
                finally:
                    await cursor.close()
            except sqlite3.Error as exc:
                raise from_sqlite(exc) from exc

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        sql = for_dialect(sql, "sqlite")
        done, found = self._read_inline(sql, params, one=False)
        if done:
            return found  # type: ignore[no-any-return]
        async with self._locked():
            try:
                rows = await self.conn.execute_fetchall(sql, params)
            except sqlite3.Error as exc:
                raise from_sqlite(exc) from exc
            return list(rows)

    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply pending migrations; returns the versions that ran.

        A database that already holds data is first copied to backups/<timestamp>-v<version>.db
        beside it (the newest five are kept); without that copy nothing is migrated. A database
        newer than the code, and a locked, read-only or full one, raise DatabaseError with the
        reason. A failed migration leaves nothing behind.
        """
        migrations = load_migrations() if migrations is None else migrations
        newest = migrations[-1].version if migrations else 0
        async with self._locked():
            try:
                version = await current_version(self)
                if version > newest:
                    raise DatabaseError(too_new(self.path, version, newest))
                if 0 < version < newest:
                    await self._backup_before_migrating(version)
                return await apply_migrations(self, migrations)
            except DatabaseError:
                raise
            except StorageError as exc:
                if exc.problem is not None:
                    raise DatabaseError(_explain(self.path, exc)) from None
                raise

    async def _backup_before_migrating(self, version: int) -> None:
        try:
            target = await asyncio.to_thread(backup_before_migrating, self.path, version)
        except (sqlite3.Error, OSError) as exc:
            raise DatabaseError(
                f"could not back up {str(self.path)!r} before migrating it ({exc}), so nothing was migrated: "
                f"make room or fix the permissions of {str(self.path.parent / 'backups')!r}, then start again."
            ) from None
        log.info("backed up %s (schema version %d) to %s before migrating", self.path, version, target)


def _explain(path: Path, exc: sqlite3.Error | StorageError) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return (
            f"the database file {str(path)!r} is corrupt or not an SQLite database ({text}). "
            "It was left untouched: restore it from a backup, or move it aside to start empty."
        )
    if "locked" in text or "busy" in text:
        return (
            f"the database file {str(path)!r} is locked by another process ({text}). "
            "Stop the other Cliffhanger instance or tool using it, then start again."
        )
    if "readonly" in text or "read-only" in text:
        return f"the database file {str(path)!r} is read-only ({text}). Make it writable, then start again."
    if "full" in text:
        return f"the disk holding {str(path)!r} is full ({text}). Free some space, then start again."
    return f"cannot use the database file {str(path)!r}: {text}"
