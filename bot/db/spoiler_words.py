"""SQL for spoiler words: per-episode words and names that keep titles neutral and the guard awake."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..episodes import EpisodeCode
from ..folding import fold
from . import Database, Row
from .guilds import GuildStore

__all__ = ["SpoilerWord", "SpoilerWordStore"]


@dataclass(frozen=True, slots=True)
class SpoilerWord:
    guild_id: int
    episode: EpisodeCode
    word: str

    @classmethod
    def from_row(cls, row: Row) -> SpoilerWord:
        return cls(row["guild_id"], EpisodeCode(row["season"], row["number"]), row["word"])


class SpoilerWordStore:
    """The `spoiler_words` table. /spoilers words writes it; every title check and the guard read it."""

    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds

    async def add_word(self, guild_id: int, code: EpisodeCode, word: str, created_by: int) -> bool:
        """Add a spoiler word for an episode; False when that episode already has it (any case,
        accents, invisible characters or look-alike letters)."""
        async with self.guilds.writing(guild_id) as conn:
            if await self._same_words(conn, guild_id, code, word):
                return False
            added = await conn.execute(
                """
                INSERT INTO spoiler_words (guild_id, season, number, word, word_key, created_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (guild_id, season, number, word_key) DO NOTHING
                """,
                (guild_id, code.season, code.episode, word, fold(word), created_by, int(time.time())),
            )
            return added > 0

    async def remove_word(self, guild_id: int, code: EpisodeCode, word: str) -> bool:
        """Remove a spoiler word (matched as fold() reads it); False when it was not there."""
        async with self.db.transaction() as conn:
            same = await self._same_words(conn, guild_id, code, word)
            for stored in same:
                await conn.execute(
                    "DELETE FROM spoiler_words WHERE guild_id = ? AND season = ? AND number = ? AND word = ?",
                    (guild_id, code.season, code.episode, stored),
                )
            return bool(same)

    @staticmethod
    async def _same_words(conn: Database, guild_id: int, code: EpisodeCode, word: str) -> list[str]:
        """The episode's stored words that fold like `word`. Compared here rather than by the stored
        word_key, which holds fold() as it was when the word was added (fold has grown since)."""
        rows = await conn.fetchall(
            "SELECT word FROM spoiler_words WHERE guild_id = ? AND season = ? AND number = ?",
            (guild_id, code.season, code.episode),
        )
        key = fold(word)
        return [row["word"] for row in rows if fold(row["word"]) == key]

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
