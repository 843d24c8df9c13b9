"""SQL for the spoilers cog's own tables: spoiler channels, recaps and their messages, progress roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.db import Database, Row
from bot.episodes import EpisodeCode

__all__ = ["ProgressRole", "Recap", "SpoilersStore"]


@dataclass(frozen=True, slots=True)
class Recap:
    id: int
    guild_id: int
    episode: EpisodeCode
    author_id: int
    body: str
    channel_id: int  # where the messages are: the spoiler channel, or the thread in it
    thread_id: int | None
    message_ids: tuple[int, ...]
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, row: Row, message_ids: Sequence[int]) -> Recap:
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            episode=EpisodeCode(row["season"], row["number"]),
            author_id=row["author_id"],
            body=row["body"],
            channel_id=row["channel_id"],
            thread_id=row["thread_id"],
            message_ids=tuple(message_ids),
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class ProgressRole:
    episode: EpisodeCode
    role_id: int


class SpoilersStore:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._channels: dict[int, frozenset[int]] = {}  # the guard reads these on every message

    # -- spoiler channels ------------------------------------------------------------------------
    async def channels(self, guild_id: int) -> frozenset[int]:
        """The server's spoiler channel ids (cached; every change goes through this store)."""
        cached = self._channels.get(guild_id)
        if cached is None:
            rows = await self.db.fetchall(
                "SELECT channel_id FROM spoiler_channels WHERE guild_id = ? ORDER BY added_at, channel_id",
                (guild_id,),
            )
            cached = self._channels[guild_id] = frozenset(r["channel_id"] for r in rows)
        return cached

    async def ordered_channels(self, guild_id: int) -> list[int]:
        """Spoiler channel ids in the order they were added."""
        rows = await self.db.fetchall(
            "SELECT channel_id FROM spoiler_channels WHERE guild_id = ? ORDER BY added_at, channel_id",
            (guild_id,),
        )
        return [r["channel_id"] for r in rows]

    async def add_channel(self, guild_id: int, channel_id: int, added_by: int, now: int) -> bool:
        """Mark a spoiler channel; False when it already was one."""
        self._channels.pop(guild_id, None)
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO guilds (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,))
            cursor = await conn.execute(
                "INSERT INTO spoiler_channels (guild_id, channel_id, added_by, added_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (guild_id, channel_id, added_by, now),
            )
            added = cursor.rowcount > 0
        self._channels.pop(guild_id, None)
        return added

    async def remove_channel(self, guild_id: int, channel_id: int) -> bool:
        """Unmark a spoiler channel; False when it was not one."""
        self._channels.pop(guild_id, None)
        removed = await self.db.execute(
            "DELETE FROM spoiler_channels WHERE guild_id = ? AND channel_id = ?", (guild_id, channel_id)
        )
        self._channels.pop(guild_id, None)
        return removed > 0

    # -- recaps ----------------------------------------------------------------------------------
    async def _with_messages(self, row: Row | None) -> Recap | None:
        if row is None:
            return None
        ids = await self.db.fetchall(
            "SELECT message_id FROM recap_messages WHERE recap_id = ? ORDER BY position", (row["id"],)
        )
        return Recap.from_row(row, [r["message_id"] for r in ids])

    async def recap(self, guild_id: int, code: EpisodeCode) -> Recap | None:
        """The server's recap of one episode."""
        row = await self.db.fetchone(
            "SELECT * FROM recaps WHERE guild_id = ? AND season = ? AND number = ?",
            (guild_id, code.season, code.episode),
        )
        return await self._with_messages(row)

    async def recap_by_id(self, guild_id: int, recap_id: int) -> Recap | None:
        row = await self.db.fetchone(
            "SELECT * FROM recaps WHERE guild_id = ? AND id = ?", (guild_id, recap_id)
        )
        return await self._with_messages(row)

    async def recaps(self, guild_id: int) -> list[Recap]:
        """Every recap of the server in episode order (without message ids)."""
        rows = await self.db.fetchall(
            "SELECT * FROM recaps WHERE guild_id = ? ORDER BY season, number", (guild_id,)
        )
        return [Recap.from_row(r, ()) for r in rows]

    async def create_recap(
        self,
        guild_id: int,
        code: EpisodeCode,
        *,
        author_id: int,
        body: str,
        channel_id: int,
        thread_id: int | None,
        message_ids: Sequence[int],
        now: int,
    ) -> Recap | None:
        """Store a posted recap with its message ids; None when the episode got a recap meanwhile."""
        async with self.db.transaction(immediate=True) as conn:
            await conn.execute("INSERT INTO guilds (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,))
            cursor = await conn.execute(
                """
                INSERT INTO recaps (guild_id, season, number, author_id, body, channel_id, thread_id,
                                    created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, season, number) DO NOTHING
                """,
                (guild_id, code.season, code.episode, author_id, body, channel_id, thread_id, now, now),
            )
            if cursor.rowcount == 0:
                return None
            recap_id = cursor.lastrowid
            await conn.executemany(
                "INSERT INTO recap_messages (recap_id, position, message_id) VALUES (?, ?, ?)",
                [(recap_id, i, m) for i, m in enumerate(message_ids)],
            )
        return await self.recap(guild_id, code)

    async def update_recap(self, recap_id: int, body: str, message_ids: Sequence[int], now: int) -> None:
        """Replace a recap's text and the messages it is posted as."""
        async with self.db.transaction(immediate=True) as conn:
            await conn.execute(
                "UPDATE recaps SET body = ?, updated_at = ? WHERE id = ?", (body, now, recap_id)
            )
            await conn.execute("DELETE FROM recap_messages WHERE recap_id = ?", (recap_id,))
            await conn.executemany(
                "INSERT INTO recap_messages (recap_id, position, message_id) VALUES (?, ?, ?)",
                [(recap_id, i, m) for i, m in enumerate(message_ids)],
            )

    async def delete_recap(self, recap_id: int) -> bool:
        return await self.db.execute("DELETE FROM recaps WHERE id = ?", (recap_id,)) > 0

    # -- progress roles --------------------------------------------------------------------------
    async def progress_roles(self, guild_id: int) -> list[ProgressRole]:
        """The "watched up to" roles in episode order."""
        rows = await self.db.fetchall(
            "SELECT season, number, role_id FROM progress_roles WHERE guild_id = ? ORDER BY season, number",
            (guild_id,),
        )
        return [ProgressRole(EpisodeCode(r["season"], r["number"]), r["role_id"]) for r in rows]

    async def set_progress_role(self, guild_id: int, code: EpisodeCode, role_id: int) -> None:
        """Map an episode to a role (a role maps to one episode; mapping it again moves it)."""
        async with self.db.transaction(immediate=True) as conn:
            await conn.execute("INSERT INTO guilds (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,))
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

    async def remove_progress_role(self, guild_id: int, code: EpisodeCode) -> bool:
        removed = await self.db.execute(
            "DELETE FROM progress_roles WHERE guild_id = ? AND season = ? AND number = ?",
            (guild_id, code.season, code.episode),
        )
        return removed > 0
