"""Per-server settings: one row in `guilds`, read through a small cache invalidated on every write."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from . import CACHE_CHANNEL, Database, Row

__all__ = ["GuildSettings", "GuildStore"]


@dataclass(frozen=True, slots=True)
class GuildSettings:
    guild_id: int
    timezone: str = "UTC"
    show_name: str | None = None
    moderator_role_id: int | None = None
    announce_channel_id: int | None = None
    spoiler_window_seconds: int = 604800
    spoiler_guard: bool = False
    automod_spoilers: bool = False  # /spoilers automod on: fresh spoiler words as an AutoMod rule
    automod_rule_id: int | None = None  # the rule Discord made for the bot, once it did
    recap_format: str = "cards"  # /spoilers format: "cards" (one spoiler card) or "tags"
    discussion_channel_id: int | None = None  # /spoilers discussions: a thread per episode there

    @classmethod
    def from_row(cls, row: Row) -> GuildSettings:
        return cls(
            guild_id=row["guild_id"],
            timezone=row["timezone"],
            show_name=row["show_name"],
            moderator_role_id=row["moderator_role_id"],
            announce_channel_id=row["announce_channel_id"],
            spoiler_window_seconds=row["spoiler_window_seconds"],
            spoiler_guard=bool(row["spoiler_guard"]),
            automod_spoilers=bool(row["automod_spoilers"]),
            automod_rule_id=row["automod_rule_id"],
            recap_format=row["recap_format"],
            discussion_channel_id=row["discussion_channel_id"],
        )

    @property
    def show_label(self) -> str:
        """The show's name for messages, or a neutral stand-in when none is set."""
        return self.show_name or "the show"


_COLUMNS = (
    "timezone",
    "show_name",
    "moderator_role_id",
    "announce_channel_id",
    "spoiler_window_seconds",
    "spoiler_guard",
    "automod_spoilers",
    "automod_rule_id",
    "recap_format",
    "discussion_channel_id",
)


class GuildStore:
    """Reads and writes the `guilds` table. Every feature's rows hang off a guild row.

    Several processes on PostgreSQL: a change or a deletion is announced on CACHE_CHANNEL, and every
    process drops its cached copy of that server (all of them after a lost connection).
    """

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[int, GuildSettings] = {}
        self._rows: set[int] = set()  # ids known to have a row, so ensure() skips the write
        db.listen(CACHE_CHANNEL, self._changed_elsewhere)
        db.on_reconnect(self._reconnected)

    def _changed_elsewhere(self, payload: str) -> None:
        kind, _, guild_id = payload.partition(":")
        if kind == "guilds" and guild_id.isdigit():
            self.invalidate(int(guild_id))

    async def _reconnected(self) -> None:
        self.invalidate()

    async def ensure(self, guild_id: int) -> None:
        """Create the server's settings row with defaults if it does not exist yet. Every store calls
        this before writing a row that hangs off the server; it is the only INSERT INTO guilds."""
        if guild_id in self._rows:
            return
        await self.db.execute("INSERT INTO guilds (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,))
        self._remember(guild_id)

    @asynccontextmanager
    async def writing(self, guild_id: int, *, immediate: bool = False) -> AsyncIterator[Database]:
        """A transaction for rows that hang off the server, with its guild row created inside it: if
        the write fails, the new guild row goes too, so a failure leaves nothing behind.

        `immediate=True` is for read-then-write: SQLite takes its write lock; PostgreSQL locks the
        server's row, so two such writers in one server take turns (other servers are not held up).
        """
        async with self.db.transaction(immediate=immediate) as conn:
            await self.ensure(guild_id)
            if immediate and self.db.dialect == "postgresql":
                await conn.execute("SELECT 1 FROM guilds WHERE guild_id = ? FOR NO KEY UPDATE", (guild_id,))
            yield conn

    def _remember(self, guild_id: int) -> None:
        # Inside a transaction the row could still be rolled back; remembering it then would skip
        # the insert next time and break the foreign key of whatever is written after.
        if not self.db.in_transaction:
            self._rows.add(guild_id)

    async def get(self, guild_id: int) -> GuildSettings:
        """The server's settings; defaults when it has never been configured."""
        cached = self._cache.get(guild_id)
        if cached is not None:
            return cached
        row = await self.db.fetchone("SELECT * FROM guilds WHERE guild_id = ?", (guild_id,))
        settings = GuildSettings.from_row(row) if row is not None else GuildSettings(guild_id)
        self._cache[guild_id] = settings
        return settings

    async def update(self, guild_id: int, **changes: Any) -> GuildSettings:
        """Set one or more columns (None clears), creating the row if needed; returns the new settings."""
        unknown = set(changes) - set(_COLUMNS)
        if unknown:
            raise ValueError(f"unknown guild settings: {', '.join(sorted(unknown))}")
        if not changes:
            return await self.get(guild_id)
        columns = list(changes)
        assignments = ", ".join(f"{c} = excluded.{c}" for c in columns)
        placeholders = ", ".join("?" for _ in columns)
        self._cache.pop(guild_id, None)
        await self.db.execute(
            f"INSERT INTO guilds (guild_id, {', '.join(columns)}) VALUES (?, {placeholders}) "
            f"ON CONFLICT (guild_id) DO UPDATE SET {assignments}, updated_at = ?",
            (guild_id, *changes.values(), int(time.time())),
        )
        self._cache.pop(guild_id, None)
        self._remember(guild_id)
        await self.db.notify(CACHE_CHANNEL, f"guilds:{guild_id}")
        return await self.get(guild_id)

    async def delete(self, guild_id: int) -> None:
        """Forget a server and, through ON DELETE CASCADE, everything it owns."""
        self._cache.pop(guild_id, None)
        self._rows.discard(guild_id)
        await self.db.execute("DELETE FROM guilds WHERE guild_id = ?", (guild_id,))
        await self.db.notify(CACHE_CHANNEL, f"guilds:{guild_id}")

    def invalidate(self, guild_id: int | None = None) -> None:
        if guild_id is None:
            self._cache.clear()
            self._rows.clear()
        else:
            self._cache.pop(guild_id, None)
            self._rows.discard(guild_id)
