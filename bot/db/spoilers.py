"""SQL for the shared spoiler tables: per-episode spoiler words and members' watch progress."""

from __future__ import annotations

from dataclasses import dataclass

from ..episodes import EpisodeCode
from ..folding import fold
from . import Database, Row

__all__ = ["SpoilerStore", "SpoilerWord"]


@dataclass(frozen=True, slots=True)
class SpoilerWord:
    guild_id: int
    episode: EpisodeCode
    word: str

    @classmethod
    def from_row(cls, row: Row) -> SpoilerWord:
        return cls(row["guild_id"], EpisodeCode(row["season"], row["number"]), row["word"])


class SpoilerStore:
    """Spoiler words and watch progress; theories and spoilers both read these."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def progress(self, guild_id: int, user_id: int) -> EpisodeCode | None:
        """The last episode the member has watched, or None when they never set it."""
        row = await self.db.fetchone(
            "SELECT season, number FROM watch_progress WHERE guild_id = ? AND user_id = ?",
            (guild_id, user_id),
        )
        return None if row is None else EpisodeCode(row["season"], row["number"])

    async def set_progress(self, guild_id: int, user_id: int, code: EpisodeCode) -> None:
        """Record how far the member has watched (replacing what was there)."""
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO guilds (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,))
            await conn.execute(
                """
                INSERT INTO watch_progress (guild_id, user_id, season, number, updated_at)
                VALUES (?, ?, ?, ?, CAST(strftime('%s', 'now') AS INTEGER))
                ON CONFLICT (guild_id, user_id) DO UPDATE SET
                    season = excluded.season, number = excluded.number, updated_at = excluded.updated_at
                """,
                (guild_id, user_id, code.season, code.episode),
            )

    async def clear_progress(self, guild_id: int, user_id: int) -> bool:
        """Forget the member's progress; False when there was none."""
        removed = await self.db.execute(
            "DELETE FROM watch_progress WHERE guild_id = ? AND user_id = ?", (guild_id, user_id)
        )
        return removed > 0

    async def add_word(self, guild_id: int, code: EpisodeCode, word: str, created_by: int) -> bool:
        """Add a spoiler word for an episode; False when that episode already has it (any case)."""
        async with self.db.transaction() as conn:
            await conn.execute("INSERT INTO guilds (guild_id) VALUES (?) ON CONFLICT DO NOTHING", (guild_id,))
            cursor = await conn.execute(
                """
                INSERT INTO spoiler_words (guild_id, season, number, word, word_key, created_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?, CAST(strftime('%s', 'now') AS INTEGER))
                ON CONFLICT (guild_id, season, number, word_key) DO NOTHING
                """,
                (guild_id, code.season, code.episode, word, fold(word), created_by),
            )
            return cursor.rowcount > 0

    async def remove_word(self, guild_id: int, code: EpisodeCode, word: str) -> bool:
        """Remove a spoiler word (matched case- and accent-insensitively); False when it was not there."""
        removed = await self.db.execute(
            "DELETE FROM spoiler_words WHERE guild_id = ? AND season = ? AND number = ? AND word_key = ?",
            (guild_id, code.season, code.episode, fold(word)),
        )
        return removed > 0

    async def words(self, guild_id: int, code: EpisodeCode | None = None) -> list[SpoilerWord]:
        """Spoiler words in episode order, then alphabetically: one episode's, or all of them."""
        if code is None:
            rows = await self.db.fetchall(
                "SELECT * FROM spoiler_words WHERE guild_id = ? ORDER BY season, number, word_key",
                (guild_id,),
            )
        else:
            rows = await self.db.fetchall(
                """
                SELECT * FROM spoiler_words WHERE guild_id = ? AND season = ? AND number = ?
                ORDER BY word_key
                """,
                (guild_id, code.season, code.episode),
            )
        return [SpoilerWord.from_row(r) for r in rows]

    async def fresh_words(self, guild_id: int, now: int, window_seconds: int) -> list[SpoilerWord]:
        """Words whose episode is fresh: not aired yet, aired less than `window_seconds` ago, or with
        no air time in `episodes` (unknown counts as fresh: the safe side)."""
        rows = await self.db.fetchall(
            """
            SELECT w.* FROM spoiler_words AS w
            LEFT JOIN episodes AS e
                ON e.guild_id = w.guild_id AND e.season = w.season AND e.number = w.number
            WHERE w.guild_id = ? AND (e.air_at IS NULL OR e.air_at + ? > ?)
            ORDER BY w.season, w.number, w.word_key
            """,
            (guild_id, window_seconds, now),
        )
        return [SpoilerWord.from_row(r) for r in rows]
