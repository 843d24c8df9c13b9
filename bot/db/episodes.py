"""SQL for the `episodes` table: each server's schedule of its show."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ..episodes import EpisodeCode
from . import Database, Row
from .guilds import GuildStore

__all__ = ["Episode", "EpisodeStore", "ScheduleListener"]

# Told the server's id whenever its schedule changes (see EpisodeStore.on_change).
ScheduleListener = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Episode:
    guild_id: int
    code: EpisodeCode
    title: str | None
    air_at: int | None

    @classmethod
    def from_row(cls, row: Row) -> Episode:
        return cls(row["guild_id"], EpisodeCode(row["season"], row["number"]), row["title"], row["air_at"])


class EpisodeStore:
    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds
        self._listeners: list[ScheduleListener] = []

    def on_change(self, listener: ScheduleListener) -> None:
        """Call `listener(guild_id)` after every change to a server's schedule, inside the same
        transaction: what it writes (scheduler jobs that follow air times) commits or rolls back with
        the schedule. A listener writes rows only; it never waits on Discord."""
        if listener not in self._listeners:
            self._listeners.append(listener)

    def remove_listener(self, listener: ScheduleListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def _changed(self, guild_id: int) -> None:
        for listener in list(self._listeners):
            await listener(guild_id)

    async def upsert(
        self, guild_id: int, episodes: Sequence[tuple[EpisodeCode, str | None, int | None]]
    ) -> None:
        """Add or update episodes (code, title, air time) in one transaction."""
        async with self.guilds.writing(guild_id) as conn:
            await conn.executemany(
                """
                INSERT INTO episodes (guild_id, season, number, title, air_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, season, number) DO UPDATE SET
                    title = coalesce(excluded.title, episodes.title),
                    air_at = coalesce(excluded.air_at, episodes.air_at)
                """,
                [(guild_id, code.season, code.episode, title, air_at) for code, title, air_at in episodes],
            )
            await self._changed(guild_id)

    async def set_rows(
        self, guild_id: int, episodes: Sequence[tuple[EpisodeCode, str | None, int | None]]
    ) -> None:
        """Write episodes exactly as given: a None title or air time clears it (a schedule source that
        took a date back to TBA), where `upsert` keeps the old value."""
        if not episodes:
            return
        async with self.guilds.writing(guild_id) as conn:
            await conn.executemany(
                """
                INSERT INTO episodes (guild_id, season, number, title, air_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, season, number) DO UPDATE SET
                    title = excluded.title,
                    air_at = excluded.air_at
                """,
                [(guild_id, code.season, code.episode, title, air_at) for code, title, air_at in episodes],
            )
            await self._changed(guild_id)

    async def delete_many(self, guild_id: int, codes: Sequence[EpisodeCode]) -> None:
        """Take episodes out of the schedule."""
        if not codes:
            return
        async with self.db.transaction() as conn:
            await conn.executemany(
                "DELETE FROM episodes WHERE guild_id = ? AND season = ? AND number = ?",
                [(guild_id, code.season, code.episode) for code in codes],
            )
            await self._changed(guild_id)

    async def clear(self, guild_id: int) -> None:
        """Empty the server's schedule (it follows another show now)."""
        async with self.db.transaction() as conn:
            await conn.execute("DELETE FROM episodes WHERE guild_id = ?", (guild_id,))
            await self._changed(guild_id)

    async def get(self, guild_id: int, code: EpisodeCode) -> Episode | None:
        row = await self.db.fetchone(
            "SELECT * FROM episodes WHERE guild_id = ? AND season = ? AND number = ?",
            (guild_id, code.season, code.episode),
        )
        return None if row is None else Episode.from_row(row)

    async def schedule(self, guild_id: int, season: int | None = None) -> list[Episode]:
        """The schedule in episode order (one season, or all)."""
        if season is None:
            rows = await self.db.fetchall(
                "SELECT * FROM episodes WHERE guild_id = ? ORDER BY season, number", (guild_id,)
            )
        else:
            rows = await self.db.fetchall(
                "SELECT * FROM episodes WHERE guild_id = ? AND season = ? ORDER BY number", (guild_id, season)
            )
        return [Episode.from_row(r) for r in rows]

    async def season_sizes(self, guild_id: int) -> dict[int, int]:
        """How many episodes each scheduled season has (its highest episode number)."""
        rows = await self.db.fetchall(
            "SELECT season, max(number) AS size FROM episodes WHERE guild_id = ? GROUP BY season", (guild_id,)
        )
        return {r["season"]: r["size"] for r in rows}

    async def delete(self, guild_id: int, code: EpisodeCode) -> None:
        async with self.db.transaction() as conn:
            await conn.execute(
                "DELETE FROM episodes WHERE guild_id = ? AND season = ? AND number = ?",
                (guild_id, code.season, code.episode),
            )
            await self._changed(guild_id)
