"""The database every store uses: SQLite in one file (the default), or PostgreSQL shared by several
bot processes (`DATABASE_URL`). One API for both, so the stores hold one set of SQL.

A store runs statements with `execute`, `fetchone`, `fetchall` and `fetchval`, and groups them
with `async with db.transaction() as conn:` (`conn` has the same methods; nested use joins the outer
transaction). SQL is written once; see `bot/db/dialect.py` for the one rule where the two differ.
"""

from __future__ import annotations

import abc
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .dialect import Dialect
from .errors import (
    DatabaseError,
    StorageBusy,
    StorageConflict,
    StorageCorrupt,
    StorageError,
    StorageFull,
    StorageReadOnly,
    StorageUnavailable,
)
from .migrate import MIGRATIONS_DIR, Migration, load_migrations

if TYPE_CHECKING:
    import sqlite3

    import asyncpg

    Row = sqlite3.Row | asyncpg.Record
else:
    Row = Any

__all__ = [
    "CACHE_CHANNEL",
    "MIGRATIONS_DIR",
    "Database",
    "DatabaseError",
    "Migration",
    "Params",
    "Row",
    "StorageBusy",
    "StorageConflict",
    "StorageCorrupt",
    "StorageError",
    "StorageFull",
    "StorageReadOnly",
    "StorageUnavailable",
    "is_database_url",
    "load_migrations",
    "open_database",
]

Params = Sequence[Any] | Mapping[str, Any]

log = logging.getLogger(__name__)

# PostgreSQL NOTIFY channel for "<cache>:<guild id>": a process changed a guild's cached rows, so
# every process drops its copy (see GuildStore and SpoilerChannelStore).
CACHE_CHANNEL = "cliffhanger_cache"


class Database(abc.ABC):
    """What every store runs its SQL through. `SQLiteDatabase` and `PostgresDatabase` implement it."""

    dialect: Dialect
    location: str  # for messages: the file, or the server and database (never the password)
    _listeners: dict[str, list[Callable[[str], None]]]  # channel -> callbacks (see `listen`)

    # -- lifecycle -----------------------------------------------------------------------------
    @abc.abstractmethod
    async def open(self) -> None:
        """Connect. Raises DatabaseError with a reason a host can act on."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Disconnect after running transactions finish."""

    @property
    @abc.abstractmethod
    def is_open(self) -> bool: ...

    @property
    @abc.abstractmethod
    def in_transaction(self) -> bool:
        """Whether the calling task is inside a transaction, so a write now could still roll back."""

    # -- statements ----------------------------------------------------------------------------
    @abc.abstractmethod
    def transaction(self, *, immediate: bool = False) -> AbstractAsyncContextManager[Database]:
        """Run a block atomically; nested use joins the outer transaction.

        `immediate=True` is for read-then-write: SQLite takes its write lock up front. PostgreSQL
        takes no global lock; a read that must not race a write locks its rows (`FOR UPDATE`, or the
        server's row through `GuildStore.writing(immediate=True)`).
        """

    @abc.abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement (in its own transaction unless inside one); returns the changed rows."""

    @abc.abstractmethod
    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for many parameter sets, atomically."""

    @abc.abstractmethod
    async def fetchone(self, sql: str, params: Params = ()) -> Row | None: ...

    @abc.abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def fetchval(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None."""
        row = await self.fetchone(sql, params)
        return None if row is None else row[0]

    @abc.abstractmethod
    async def notify(self, channel: str, payload: str) -> None:
        """Tell every listener something changed, once the transaction this runs in commits (at
        once outside one): PostgreSQL's NOTIFY, heard by every bot process sharing the database;
        with SQLite, this process's own listeners."""

    @abc.abstractmethod
    def listen(self, channel: str, callback: Callable[[str], None]) -> None:
        """Hear what is `notify`-ed on `channel`, this process's notifications included."""

    def _deliver(self, channel: str, payload: str) -> None:
        """Call every listener of `channel` with `payload`; one that fails is logged, the rest still hear it."""
        for callback in self._listeners.get(channel, ()):
            try:
                callback(payload)
            except Exception:
                log.exception("a listener of %r failed on %r", channel, payload)

    def on_reconnect(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run `callback` when the database connection came back after a loss (notifications sent
        meanwhile were missed). SQLite's file never goes away."""
        return

    # -- schema --------------------------------------------------------------------------------
    @abc.abstractmethod
    async def migrate(self, migrations: Sequence[Migration] | None = None) -> list[int]:
        """Apply pending migrations; returns the versions that ran."""

    async def schema_version(self) -> int:
        value = await self.fetchval("SELECT coalesce(max(version), 0) FROM schema_version")
        return int(value or 0)


def is_database_url(value: str) -> bool:
    """Whether `value` names a PostgreSQL server rather than an SQLite file."""
    return value.startswith(("postgresql://", "postgres://"))


def open_database(target: str | Path, *, pool_size: int = 10) -> Database:
    """The database at `target`: a `postgresql://` URL, or the path of an SQLite file (not opened yet)."""
    if isinstance(target, str) and is_database_url(target):
        from .postgres import PostgresDatabase

        return PostgresDatabase(target, pool_size=pool_size)
    from .sqlite import SQLiteDatabase

    return SQLiteDatabase(Path(target))
