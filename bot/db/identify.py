"""Identify turns shared by every process of one bot (PostgreSQL): Discord lets each bucket of shards
(`shard_id % max_concurrency`) start one session per 5 seconds for the whole bot, and invalidates
every session when that is exceeded, so processes take turns through the database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from . import Database
from .postgres import LOCK_NAMESPACE

__all__ = ["IDENTIFY_KEYS", "IdentifyTurns"]

IDENTIFY_KEYS = 1_600_000_000  # + bucket: the advisory lock a process holds while it takes its turn


class IdentifyTurns:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def take(self, bucket: int, window: float, sleep: Callable[[float], Awaitable[None]]) -> float:
        """Wait until `window` seconds after the bucket's last IDENTIFY by any process (the database
        server's clock is the one clock they share), then record this one. Returns the wait."""
        key = f"identify:{bucket}"
        async with self.db.transaction() as conn:
            await conn.fetchval(
                "SELECT pg_advisory_xact_lock(?, ?)", (LOCK_NAMESPACE, IDENTIFY_KEYS + bucket)
            )
            now = float(await conn.fetchval("SELECT extract(epoch FROM clock_timestamp())"))
            last = await conn.fetchval("SELECT value FROM bot_meta WHERE key = ?", (key,))
            wait = max(0.0, float(last) + window - now) if last is not None else 0.0
            if wait > 0:
                await sleep(wait)  # holding the lock: the bucket's next process queues behind
            await conn.execute(
                "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, repr(now + wait)),
            )
        return wait
