"""SQL for spoiler channels: where recaps go and where the guard leaves members alone."""

from __future__ import annotations

from . import CACHE_CHANNEL, Database
from .guilds import GuildStore

__all__ = ["SpoilerChannelStore"]


class SpoilerChannelStore:
    """The `spoiler_channels` table. /spoilers channel writes it; recaps and the guard read it."""

    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds
        self._cache: dict[int, frozenset[int]] = {}  # the guard reads these on every message
        # Changes made by another process (PostgreSQL) reach this cache through CACHE_CHANNEL.
        db.listen(CACHE_CHANNEL, self._changed_elsewhere)
        db.on_reconnect(self._reconnected)

    def _changed_elsewhere(self, payload: str) -> None:
        kind, _, guild_id = payload.partition(":")
        if kind == "spoiler_channels" and guild_id.isdigit():
            self._cache.pop(int(guild_id), None)

    async def _reconnected(self) -> None:
        self._cache.clear()

    async def ids(self, guild_id: int) -> frozenset[int]:
        """The server's spoiler channel ids (cached; every change goes through this store)."""
        cached = self._cache.get(guild_id)
        if cached is None:
            cached = self._cache[guild_id] = frozenset(await self.ordered(guild_id))
        return cached

    async def ordered(self, guild_id: int) -> list[int]:
        """Spoiler channel ids in the order they were added (the first is where recaps go by default)."""
        rows = await self.db.fetchall(
            "SELECT channel_id FROM spoiler_channels WHERE guild_id = ? ORDER BY added_at, channel_id",
            (guild_id,),
        )
        return [r["channel_id"] for r in rows]

    async def add(self, guild_id: int, channel_id: int, added_by: int, now: int) -> bool:
        """Mark a spoiler channel; False when it already was one."""
        self._cache.pop(guild_id, None)
        async with self.guilds.writing(guild_id) as conn:
            added = (
                await conn.execute(
                    "INSERT INTO spoiler_channels (guild_id, channel_id, added_by, added_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    (guild_id, channel_id, added_by, now),
                )
                > 0
            )
        self._cache.pop(guild_id, None)
        await self.db.notify(CACHE_CHANNEL, f"spoiler_channels:{guild_id}")
        return added

    async def remove(self, guild_id: int, channel_id: int) -> bool:
        """Unmark a spoiler channel; False when it was not one."""
        self._cache.pop(guild_id, None)
        removed = await self.db.execute(
            "DELETE FROM spoiler_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
        )
        self._cache.pop(guild_id, None)
        await self.db.notify(CACHE_CHANNEL, f"spoiler_channels:{guild_id}")
        return removed > 0
