"""One error vocabulary for both databases: what went wrong, in words a host can act on.

Every statement a store runs goes through `Database`, which turns sqlite3's and asyncpg's errors
into these, so nothing above `bot/db` needs to know which database is in use.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncpg

__all__ = [
    "DatabaseError",
    "StorageBusy",
    "StorageConflict",
    "StorageCorrupt",
    "StorageError",
    "StorageFull",
    "StorageReadOnly",
    "StorageUnavailable",
    "from_postgres",
    "from_sqlite",
]


class StorageError(Exception):
    """A statement failed. `problem` is a plain description for members and hosts (None when the
    failure is a bug rather than something the host must fix); `transient` says whether trying
    again later can help."""

    problem: str | None = None
    transient = False

    def __init__(self, message: str, problem: str | None = None) -> None:
        super().__init__(message)
        if problem is not None:
            self.problem = problem


class StorageBusy(StorageError):
    problem = "the database is busy"
    transient = True


class StorageUnavailable(StorageError):
    problem = "the database server is not answering"
    transient = True


class StorageFull(StorageError):
    problem = "the server's disk is full"


class StorageReadOnly(StorageError):
    problem = "the database is read-only"


class StorageCorrupt(StorageError):
    problem = "the database file is damaged or unreadable"


class StorageConflict(StorageError):
    """A constraint refused the write (a unique key, a foreign key, a CHECK): a bug or a race."""


class DatabaseError(StorageError):
    """The database cannot be used at all; the message names it and what to do."""


def from_sqlite(exc: sqlite3.Error) -> StorageError:
    """The vocabulary's name for an sqlite3 error."""
    text = str(exc)
    lowered = text.lower()
    if isinstance(exc, sqlite3.IntegrityError):
        return StorageConflict(text)
    if "locked" in lowered or "busy" in lowered:
        return StorageBusy(text, "the database is locked by another program")
    if "full" in lowered:
        return StorageFull(text)
    if "readonly" in lowered or "read-only" in lowered:
        return StorageReadOnly(text)
    if "disk i/o" in lowered or "malformed" in lowered or "not a database" in lowered:
        return StorageCorrupt(text)
    return StorageError(text)


def from_postgres(exc: BaseException) -> StorageError:
    """The vocabulary's name for an asyncpg error, a lost connection or a pool that had no
    connection to give in time."""
    import asyncpg

    text = str(exc) or type(exc).__name__
    if isinstance(exc, TimeoutError):
        return StorageBusy(
            f"no database connection was free in time ({text})", "every database connection is busy"
        )
    if isinstance(exc, OSError | asyncpg.InterfaceError | asyncpg.PostgresConnectionError):
        return StorageUnavailable(text)
    if not isinstance(exc, asyncpg.PostgresError):
        return StorageError(text)
    state = _sqlstate(exc)
    if state.startswith("23"):
        return StorageConflict(text)
    if state == "53100":
        return StorageFull(text)
    if state == "25006":
        return StorageReadOnly(text)
    if state in ("55P03", "40P01", "40001", "57014", "53300"):  # lock wait, deadlock, timeout, no slots
        return StorageBusy(text)
    if state.startswith(("08", "57P")):  # connection failures, admin shutdown, cannot connect now
        return StorageUnavailable(text)
    if state.startswith("XX"):
        return StorageCorrupt(text, "the database is damaged")
    return StorageError(text)


def _sqlstate(exc: asyncpg.PostgresError) -> str:
    return str(getattr(exc, "sqlstate", "") or "")
