"""SQL for discussion threads: the one thread each episode gets at release, and each attempt at it."""

from __future__ import annotations

from dataclasses import dataclass

from ..episodes import EpisodeCode
from . import Database, Row
from .guilds import GuildStore

__all__ = ["DiscussionStore", "DiscussionThread"]


@dataclass(frozen=True, slots=True)
class DiscussionThread:
    guild_id: int
    episode: EpisodeCode
    channel_id: int  # the text channel or forum it was (to be) created in
    thread_id: int | None  # None until Discord answered with the thread
    message_id: int | None  # the opening message: in a text channel the thread starts from it, in a
    # forum it is the post's starter (with the thread's id)
    attempted_at: int | None  # when the first request to create it was made; None: never
    failure: str | None  # why the last attempt failed, once told to the moderators

    @property
    def done(self) -> bool:
        return self.thread_id is not None and self.message_id is not None

    @classmethod
    def from_row(cls, row: Row) -> DiscussionThread:
        return cls(
            guild_id=row["guild_id"],
            episode=EpisodeCode(row["season"], row["number"]),
            channel_id=row["channel_id"],
            thread_id=row["thread_id"],
            message_id=row["message_id"],
            attempted_at=row["attempted_at"],
            failure=row["failure"],
        )


class DiscussionStore:
    """The `discussion_threads` table: written before and after each request that creates a thread, so
    a retry (after a crash, a timeout or a 5xx) knows whether one may already exist."""

    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds

    async def get(self, guild_id: int, code: EpisodeCode) -> DiscussionThread | None:
        row = await self.db.fetchone(
            "SELECT * FROM discussion_threads WHERE guild_id = ? AND season = ? AND number = ?",
            (guild_id, code.season, code.episode),
        )
        return None if row is None else DiscussionThread.from_row(row)

    async def all(self, guild_id: int) -> list[DiscussionThread]:
        """Every discussion thread of the server, in episode order."""
        rows = await self.db.fetchall(
            "SELECT * FROM discussion_threads WHERE guild_id = ? ORDER BY season, number", (guild_id,)
        )
        return [DiscussionThread.from_row(r) for r in rows]

    async def attempting(self, guild_id: int, code: EpisodeCode, channel_id: int, now: int) -> None:
        """Record, before asking Discord, that a thread for the episode may come to exist in
        `channel_id`. The first attempt's time is kept."""
        async with self.guilds.writing(guild_id) as conn:
            await conn.execute(
                """
                INSERT INTO discussion_threads (guild_id, season, number, channel_id, attempted_at)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, season, number) DO UPDATE SET
                    channel_id = excluded.channel_id,
                    attempted_at = COALESCE(discussion_threads.attempted_at, excluded.attempted_at)
                WHERE discussion_threads.thread_id IS NULL
                """,
                (guild_id, code.season, code.episode, channel_id, now),
            )

    async def created(self, guild_id: int, code: EpisodeCode, thread_id: int, message_id: int | None) -> None:
        """Discord made the thread (and, in a forum, its starter message)."""
        await self.db.execute(
            """
            UPDATE discussion_threads SET thread_id = ?, message_id = ?, failure = NULL
            WHERE guild_id = ? AND season = ? AND number = ?
            """,
            (thread_id, message_id, guild_id, code.season, code.episode),
        )

    async def opened(self, guild_id: int, code: EpisodeCode, message_id: int) -> None:
        """The opening message is posted (in a text channel, before the thread is started from it)."""
        await self.db.execute(
            """
            UPDATE discussion_threads SET message_id = ?, failure = NULL
            WHERE guild_id = ? AND season = ? AND number = ?
            """,
            (message_id, guild_id, code.season, code.episode),
        )

    async def note_failure(self, guild_id: int, code: EpisodeCode, channel_id: int, reason: str) -> bool:
        """Remember why the episode's thread could not be made; False when this reason was already
        noted (the moderators were told)."""
        async with self.guilds.writing(guild_id) as conn:
            noted = await conn.execute(
                """
                INSERT INTO discussion_threads (guild_id, season, number, channel_id, failure)
                VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, season, number) DO UPDATE SET failure = excluded.failure
                WHERE discussion_threads.failure IS NULL OR discussion_threads.failure <> excluded.failure
                """,
                (guild_id, code.season, code.episode, channel_id, reason),
            )
            return noted > 0
