"""One bot process per database file, or per shard on PostgreSQL: a second instance refuses to start
instead of racing the first."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .db.postgres import LockHolder, PostgresDatabase
    from .shards import ShardSlice

__all__ = ["InstanceLock", "InstanceLocked", "ShardLock"]


class InstanceLocked(Exception):
    """Another process holds the database's instance lock."""


class InstanceLock:
    """An exclusive `flock` on `<database>.lock`, held while the bot runs.

    The kernel drops it when the process exits, however it exits (SIGKILL included), so a crash never
    leaves a stale lock behind. Offline tools (check, backup) do not take it.
    """

    def __init__(self, database_path: Path) -> None:
        self.path = database_path.with_name(database_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise InstanceLocked(
                f"another Cliffhanger instance (pid {holder}) is already running on {self.path.with_suffix('')}; "
                "stop it first, or give this one its own DATABASE_PATH."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            os.ftruncate(fd, 0)
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> InstanceLock:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


# Advisory lock keys in bot.db.postgres.LOCK_NAMESPACE: a shard's key is its id.
WHOLE_BOT_KEY = 1_500_000_000  # exclusive: a process that runs every shard Discord recommends
SHARD_COUNT_KEYS = 1_000_000_000  # + SHARD_COUNT, shared: every process of one layout holds it


class ShardLock:
    """PostgreSQL: which process runs which shards, as advisory locks on the session connection.

    A process with SHARD_COUNT holds one exclusive lock per shard it runs (and a shared one naming
    the count, so a process started with another SHARD_COUNT is refused); a process that runs every
    shard Discord recommends holds one exclusive lock over the whole bot. PostgreSQL frees them when
    the process's connection ends, however it ends, so a killed process never leaves them stale.
    """

    def __init__(self, db: PostgresDatabase, shards: ShardSlice | None) -> None:
        self.db = db
        self.shards = shards
        self.held = False

    async def acquire(self, lost: Callable[[str], Awaitable[None]] | None = None) -> None:
        await self.db.start_session(lost)
        if self.shards is None:
            holders = await self.db.try_locks([WHOLE_BOT_KEY])
        else:
            others = await self.db.lock_holders(SHARD_COUNT_KEYS + 1, WHOLE_BOT_KEY - 1)
            other_count = next((h for h in others if h.key != SHARD_COUNT_KEYS + self.shards.count), None)
            if other_count is not None:
                raise InstanceLocked(
                    f"another Cliffhanger process ({_who(other_count)}) runs this bot with "
                    f"SHARD_COUNT={other_count.key - SHARD_COUNT_KEYS}, and this one has SHARD_COUNT={self.shards.count}; "
                    "every process of one bot needs the same SHARD_COUNT. Stop the others first to change it."
                )
            holders = await self.db.try_locks(
                list(self.shards.ids), shared=[WHOLE_BOT_KEY, SHARD_COUNT_KEYS + self.shards.count]
            )
        if holders:
            raise InstanceLocked(self._refusal(holders))
        self.held = True

    def _refusal(self, holders: list[LockHolder]) -> str:
        first = holders[0]
        if first.key == WHOLE_BOT_KEY:
            what = (
                "another Cliffhanger process runs every shard of this bot"
                if self.shards is not None
                else "another Cliffhanger process already runs this bot"
            )
            return (
                f"{what} on this database ({_who(first)}); stop it, or give every process SHARD_COUNT and "
                "its own SHARD_IDS."
            )
        shards = ", ".join(str(h.key) for h in holders)
        return (
            f"shard{'s' if len(holders) > 1 else ''} {shards} {'are' if len(holders) > 1 else 'is'} already run "
            f"by another Cliffhanger process ({_who(first)}); give this process SHARD_IDS that no other process "
            "runs, or stop that one."
        )

    async def release(self) -> None:
        if self.held:
            self.held = False
            await self.db.release_locks()


def _who(holder: LockHolder) -> str:
    """ "host h pid 12" from the holder's application name ("cliffhanger host=h pid=12")."""
    name = holder.application.removeprefix("cliffhanger").strip()
    if name:
        return name.replace("=", " ")
    return f"PostgreSQL backend pid {holder.backend_pid}" if holder.backend_pid else "unknown"
