"""SQL for roles the bot refused to hand out when a member asked: told to moderators once, shown in
/config show until the role is fine again."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import Database
from .guilds import GuildStore

__all__ = ["RoleRefusal", "RoleRefusalStore"]


@dataclass(frozen=True, slots=True)
class RoleRefusal:
    role_id: int
    reason: str
    refused_at: int


class RoleRefusalStore:
    """The `role_refusals` table. bot/roles.py writes it when a grant is refused; /config show reads it."""

    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds

    async def note(self, guild_id: int, role_id: int, reason: str, now: int) -> bool:
        """Record a refused grant; True only the first time for this role (tell the moderators then)."""
        async with self.guilds.writing(guild_id) as conn:
            added = await conn.execute(
                """
                INSERT INTO role_refusals (guild_id, role_id, reason, refused_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (guild_id, role_id) DO NOTHING
                """,
                (guild_id, role_id, reason, now),
            )
            return added == 1

    async def clear(self, guild_id: int, role_ids: Iterable[int]) -> None:
        """These roles were handed out (or configured) again: a later refusal is news again."""
        for role_id in role_ids:
            await self.db.execute(
                "DELETE FROM role_refusals WHERE guild_id = ? AND role_id = ?", (guild_id, role_id)
            )

    async def all(self, guild_id: int) -> list[RoleRefusal]:
        """The server's refused roles, newest first."""
        rows = await self.db.fetchall(
            "SELECT role_id, reason, refused_at FROM role_refusals WHERE guild_id = ? "
            "ORDER BY refused_at DESC, role_id",
            (guild_id,),
        )
        return [RoleRefusal(r["role_id"], r["reason"], r["refused_at"]) for r in rows]
