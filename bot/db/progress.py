"""SQL for watch progress: how far each member has watched, and the "watched up to" roles."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..episodes import EpisodeCode
from . import Database
from .guilds import GuildStore

__all__ = ["ProgressRole", "ProgressStore"]


@dataclass(frozen=True, slots=True)
class ProgressRole:
    episode: EpisodeCode
    role_id: int


class ProgressStore:
    """The `watch_progress` and `progress_roles` tables. /progress and /spoilers roles write them;
    recaps and theories read a member's progress to hide what they have not watched."""

    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds

    # -- members' progress -----------------------------------------------------------------------
    async def get(self, guild_id: int, user_id: int) -> EpisodeCode | None:
        """The last episode the member has watched, or None when they never set it."""
        row = await self.db.fetchone(
            "SELECT season, number FROM watch_progress WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else EpisodeCode(row["season"], row["number"])

    async def set(self, guild_id: int, user_id: int, code: EpisodeCode) -> None:
        """Record how far the member has watched (replacing what was there)."""
        async with self.guilds.writing(guild_id) as conn:
            await conn.execute(
                """
                INSERT INTO watch_progress (guild_id, user_id, season, number, updated_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, user_id) DO UPDATE SET
                    season = excluded.season, number = excluded.number, updated_at = excluded.updated_at
                """,
                (guild_id, user_id, code.season, code.episode, int(time.time())),
            )

    async def clear(self, guild_id: int, user_id: int) -> bool:
        """Forget the member's progress; False when there was none."""
        removed = await self.db.execute(
            "DELETE FROM watch_progress WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return removed > 0

    # -- "watched up to" roles -------------------------------------------------------------------
    async def roles(self, guild_id: int) -> list[ProgressRole]:
        """The "watched up to" roles in episode order."""
        rows = await self.db.fetchall(
            "SELECT season, number, role_id FROM progress_roles WHERE guild_id = ? ORDER BY season, number",
            (guild_id,),
        )
        return [ProgressRole(EpisodeCode(r["season"], r["number"]), r["role_id"]) for r in rows]

    async def set_role(self, guild_id: int, code: EpisodeCode, role_id: int) -> None:
        """Map an episode to a role (a role maps to one episode; mapping it again moves it)."""
        async with self.guilds.writing(guild_id, immediate=True) as conn:
            await conn.execute(
                "DELETE FROM progress_roles WHERE guild_id = ? AND role_id = ?", (guild_id, role_id)
            )
            await conn.execute(
                """
                INSERT INTO progress_roles (guild_id, season, number, role_id) VALUES (?, ?, ?, ?)
                ON CONFLICT (guild_id, season, number) DO UPDATE SET role_id = excluded.role_id
                """,
                (guild_id, code.season, code.episode, role_id),
            )

    async def remove_role(self, guild_id: int, code: EpisodeCode) -> bool:
        removed = await self.db.execute(
            "DELETE FROM progress_roles WHERE guild_id = ? AND season = ? AND number = ?",
            (guild_id, code.season, code.episode),
        )
        return removed > 0
