"""SQL for recaps: the text of each episode's recap and the messages it was posted as."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.db import Database, Row
from bot.db.guilds import GuildStore
from bot.episodes import EpisodeCode

__all__ = ["Recap", "RecapStore"]


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
    format: str = "tags"  # how it was posted, kept when edited: "cards" or "tags"

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
            format=row["format"],
        )


class RecapStore:
    """The `recaps` and `recap_messages` tables, owned by the recaps cog."""

    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds

    async def _with_messages(self, row: Row | None) -> Recap | None:
        if row is None:
            return None
        ids = await self.db.fetchall(
            "SELECT message_id FROM recap_messages WHERE recap_id = ? ORDER BY position", (row["id"],)
        )
        return Recap.from_row(row, [r["message_id"] for r in ids])

    async def get(self, guild_id: int, code: EpisodeCode) -> Recap | None:
        """The server's recap of one episode."""
        row = await self.db.fetchone(
            "SELECT * FROM recaps WHERE guild_id = ? AND season = ? AND number = ?",
            (guild_id, code.season, code.episode),
        )
        return await self._with_messages(row)

    async def by_id(self, guild_id: int, recap_id: int) -> Recap | None:
        row = await self.db.fetchone(
            "SELECT * FROM recaps WHERE guild_id = ? AND id = ?", (guild_id, recap_id)
        )
        return await self._with_messages(row)

    async def all(self, guild_id: int) -> list[Recap]:
        """Every recap of the server in episode order (without message ids)."""
        rows = await self.db.fetchall(
            "SELECT * FROM recaps WHERE guild_id = ? ORDER BY season, number", (guild_id,)
        )
        return [Recap.from_row(r, ()) for r in rows]

    async def create(
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
        post_format: str = "tags",
    ) -> Recap | None:
        """Store a posted recap with its message ids and the format it was posted in; None when the
        episode got a recap meanwhile."""
        async with self.guilds.writing(guild_id, immediate=True) as conn:
            recap_id = await conn.fetchval(
                """
                INSERT INTO recaps (guild_id, season, number, author_id, body, channel_id, thread_id,
                                    created_at, updated_at, format)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, season, number) DO NOTHING
                RETURNING id
                """,
                (
                    guild_id,
                    code.season,
                    code.episode,
                    author_id,
                    body,
                    channel_id,
                    thread_id,
                    now,
                    now,
                    post_format,
                ),
            )
            if recap_id is None:
                return None
            await conn.executemany(
                "INSERT INTO recap_messages (recap_id, position, message_id) VALUES (?, ?, ?)",
                [(recap_id, i, m) for i, m in enumerate(message_ids)],
            )
        return await self.get(guild_id, code)

    async def update(self, recap_id: int, body: str, message_ids: Sequence[int], now: int) -> None:
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

    async def delete(self, recap_id: int) -> bool:
        return await self.db.execute("DELETE FROM recaps WHERE id = ?", (recap_id,)) > 0
