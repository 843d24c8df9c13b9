"""SQL for theories, votes, the destination channel and forum tags. One small method per query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from bot.db import Database, Row
from bot.db.guilds import GuildStore
from bot.episodes import EpisodeCode

from .rules import Status, vote_change

__all__ = [
    "NewTheory",
    "Standing",
    "Theory",
    "TheoryQuery",
    "TheorySettings",
    "TheoryStore",
    "VoteResult",
]

Sort = Literal["votes", "date"]


@dataclass(frozen=True, slots=True)
class TheorySettings:
    guild_id: int
    channel_id: int
    is_forum: bool


@dataclass(frozen=True, slots=True)
class Theory:
    id: int
    guild_id: int
    number: int
    author_id: int
    title: str
    body: str
    episode: EpisodeCode  # the latest episode it builds on
    channel_id: int
    thread_id: int | None
    message_id: int | None
    status: Status
    plausible: int
    doubtful: int
    resolved_in: EpisodeCode | None
    resolved_by: int | None
    resolved_at: int | None
    deleted_at: int | None
    created_at: int

    @classmethod
    def from_row(cls, row: Row) -> Theory:
        resolved = (
            EpisodeCode(row["resolved_season"], row["resolved_episode"])
            if row["resolved_season"] is not None
            else None
        )
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            number=row["number"],
            author_id=row["author_id"],
            title=row["title"],
            body=row["body"],
            episode=EpisodeCode(row["season"], row["episode"]),
            channel_id=row["channel_id"],
            thread_id=row["thread_id"],
            message_id=row["message_id"],
            status=row["status"],
            plausible=row["plausible"],
            doubtful=row["doubtful"],
            resolved_in=resolved,
            resolved_by=row["resolved_by"],
            resolved_at=row["resolved_at"],
            deleted_at=row["deleted_at"],
            created_at=row["created_at"],
        )


@dataclass(frozen=True, slots=True)
class NewTheory:
    guild_id: int
    author_id: int
    title: str
    body: str
    episode: EpisodeCode
    channel_id: int


@dataclass(frozen=True, slots=True)
class VoteResult:
    """What a click did: 'added', 'changed', 'withdrawn', or why nothing changed ('own', 'closed',
    'gone'), and the counts afterwards."""

    outcome: Literal["added", "changed", "withdrawn", "own", "closed", "gone"]
    choice: int | None
    plausible: int
    doubtful: int
    theory: Theory | None


@dataclass(frozen=True, slots=True)
class TheoryQuery:
    """Filters for list, top and search. `progress` hides what a member has not watched yet:
    theories building on a later episode, and outcomes settled in a later episode (those theories
    look open to them)."""

    status: Status | None = None
    season: int | None = None
    author_id: int | None = None
    text: str | None = None
    sort: Sort = "votes"
    progress: EpisodeCode | None = None


@dataclass(frozen=True, slots=True)
class Standing:
    author_id: int
    confirmed: int
    plausible: int
    theories: int


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _where(guild_id: int, q: TheoryQuery) -> tuple[str, list[Any]]:
    clauses = ["guild_id = ?"]
    params: list[Any] = [guild_id]
    p = q.progress
    if p is not None:
        clauses.append("(season, episode) <= (?, ?)")
        params += [p.season, p.episode]
    if q.status is not None:
        if p is None:
            clauses.append("status = ?")
            params.append(q.status)
        elif q.status == "open":
            clauses.append("(status = 'open' OR (resolved_season, resolved_episode) > (?, ?))")
            params += [p.season, p.episode]
        else:
            clauses.append("status = ? AND (resolved_season, resolved_episode) <= (?, ?)")
            params += [q.status, p.season, p.episode]
    if q.season is not None:
        clauses.append("season = ?")
        params.append(q.season)
    if q.author_id is not None:
        clauses.append("author_id = ?")
        params.append(q.author_id)
    if q.text:
        clauses.append("(lower(title) LIKE lower(?) ESCAPE '\\' OR lower(body) LIKE lower(?) ESCAPE '\\')")
        params += [_like(q.text), _like(q.text)]
    return " AND ".join(clauses), params


ORDER = {
    "votes": "plausible DESC, doubtful, number DESC",
    "date": "number DESC",
}


class TheoryStore:
    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds

    # -- settings ---------------------------------------------------------------------------
    async def settings(self, guild_id: int) -> TheorySettings | None:
        """Where this server's theories go, if configured."""
        row = await self.db.fetchone(
            "SELECT guild_id, channel_id, is_forum FROM theory_settings WHERE guild_id = ?", (guild_id,)
        )
        return None if row is None else TheorySettings(row[0], row[1], bool(row[2]))

    async def set_settings(self, guild_id: int, channel_id: int, *, is_forum: bool, now: int) -> None:
        """Point new theories at a channel."""
        async with self.guilds.writing(guild_id) as conn:
            await conn.execute(
                "INSERT INTO theory_settings (guild_id, channel_id, is_forum, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id) DO UPDATE SET channel_id = excluded.channel_id, "
                "is_forum = excluded.is_forum, updated_at = excluded.updated_at",
                (guild_id, channel_id, int(is_forum), now),
            )

    async def tags(self, guild_id: int, channel_id: int) -> dict[str, int]:
        """The forum tags the bot uses in a forum, by key ('open', 'confirmed', 'debunked', 's2')."""
        rows = await self.db.fetchall(
            "SELECT tag_key, tag_id FROM theory_tags WHERE guild_id = ? AND channel_id = ?",
            (guild_id, channel_id),
        )
        return {r[0]: r[1] for r in rows}

    async def set_tags(self, guild_id: int, channel_id: int, tags: dict[str, int]) -> None:
        """Remember forum tag ids by key (replacing any earlier id for the same key)."""
        async with self.guilds.writing(guild_id) as conn:
            await conn.executemany(
                "INSERT INTO theory_tags (guild_id, channel_id, tag_key, tag_id) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (guild_id, channel_id, tag_key) DO UPDATE SET tag_id = excluded.tag_id",
                [(guild_id, channel_id, key, tag_id) for key, tag_id in tags.items()],
            )

    # -- theories ---------------------------------------------------------------------------
    async def create(self, new: NewTheory, *, now: int) -> Theory:
        """Store a theory under the server's next number (its thread comes later, see `attach`)."""
        async with self.guilds.writing(new.guild_id, immediate=True) as conn:
            number = int(
                await conn.fetchval(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM theories WHERE guild_id = ?", (new.guild_id,)
                )
            )
            created = await conn.fetchone(
                "INSERT INTO theories (guild_id, number, author_id, title, body, season, episode, "
                "channel_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (
                    new.guild_id,
                    number,
                    new.author_id,
                    new.title,
                    new.body,
                    new.episode.season,
                    new.episode.episode,
                    new.channel_id,
                    now,
                ),
            )
        assert created is not None  # noqa: S101 - RETURNING always yields the row
        return Theory.from_row(created)

    async def attach(self, theory_id: int, thread_id: int, message_id: int) -> None:
        """Record the thread and the vote message Discord created for a theory."""
        await self.db.execute(
            "UPDATE theories SET thread_id = ?, message_id = ? WHERE id = ?",
            (thread_id, message_id, theory_id),
        )

    async def discard(self, theory_id: int) -> None:
        """Remove a theory whose thread could not be created (nothing was posted)."""
        await self.db.execute("DELETE FROM theories WHERE id = ?", (theory_id,))

    async def get(self, theory_id: int) -> Theory | None:
        row = await self.db.fetchone("SELECT * FROM theories WHERE id = ?", (theory_id,))
        return None if row is None else Theory.from_row(row)

    async def by_number(self, guild_id: int, number: int) -> Theory | None:
        row = await self.db.fetchone(
            "SELECT * FROM theories WHERE guild_id = ? AND number = ?", (guild_id, number)
        )
        return None if row is None else Theory.from_row(row)

    async def by_title(self, guild_id: int, title: str) -> list[Theory]:
        """Theories whose title matches exactly, ignoring case (for a typed name)."""
        rows = await self.db.fetchall(
            "SELECT * FROM theories WHERE guild_id = ? AND lower(title) = lower(?) ORDER BY number LIMIT 10",
            (guild_id, title),
        )
        return [Theory.from_row(r) for r in rows]

    async def mark_deleted(self, thread_id: int, now: int) -> Theory | None:
        """Its thread is gone: keep the theory (and its votes), remember when the thread went."""
        row = await self.db.fetchone(
            "UPDATE theories SET deleted_at = ? WHERE thread_id = ? AND deleted_at IS NULL RETURNING *",
            (now, thread_id),
        )
        return None if row is None else Theory.from_row(row)

    async def mark_channel_deleted(self, guild_id: int, channel_id: int, now: int) -> int:
        """The theories channel itself was deleted (Discord sends no THREAD_DELETE for its threads):
        keep its theories, marked deleted. Returns how many."""
        return await self.db.execute(
            "UPDATE theories SET deleted_at = ? WHERE guild_id = ? AND channel_id = ? AND deleted_at IS NULL",
            (now, guild_id, channel_id),
        )

    async def resolve(
        self, theory_id: int, status: Status, settled_in: EpisodeCode, *, by: int, now: int
    ) -> Theory:
        """Set the outcome (re-resolving replaces it) and return the theory afterwards."""
        row = await self.db.fetchone(
            "UPDATE theories SET status = ?, resolved_season = ?, resolved_episode = ?, resolved_by = ?, "
            "resolved_at = ? WHERE id = ? RETURNING *",
            (status, settled_in.season, settled_in.episode, by, now, theory_id),
        )
        if row is None:
            raise LookupError(theory_id)
        return Theory.from_row(row)

    # -- votes ------------------------------------------------------------------------------
    async def vote(
        self, guild_id: int, theory_id: int, user_id: int, clicked: int, *, now: int
    ) -> VoteResult:
        """Apply one click atomically: add, switch or withdraw the member's vote and move the theory's
        counts with it, so concurrent clicks never lose or double a vote (SQLite: BEGIN IMMEDIATE;
        PostgreSQL: the theory's row is locked first, so clicks on one theory take turns, from any
        process). A theory of another server counts as gone."""
        async with self.db.transaction(immediate=True) as conn:
            row = await conn.fetchone(
                """
                SELECT * FROM theories WHERE id = ? AND guild_id = ?
                FOR NO KEY UPDATE  -- postgresql only
                """,
                (theory_id, guild_id),
            )
            if row is None:
                return VoteResult("gone", None, 0, 0, None)
            theory = Theory.from_row(row)
            if theory.author_id == user_id:
                return VoteResult("own", None, theory.plausible, theory.doubtful, theory)
            if theory.status != "open" or theory.deleted_at is not None:
                return VoteResult("closed", None, theory.plausible, theory.doubtful, theory)
            previous = await conn.fetchval(
                "SELECT choice FROM theory_votes WHERE theory_id = ? AND user_id = ?", (theory_id, user_id)
            )
            change = vote_change(previous, clicked)
            if change.new is None:
                await conn.execute(
                    "DELETE FROM theory_votes WHERE theory_id = ? AND user_id = ?", (theory_id, user_id)
                )
            else:
                await conn.execute(
                    "INSERT INTO theory_votes (theory_id, user_id, choice, voted_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (theory_id, user_id) DO UPDATE SET choice = excluded.choice, "
                    "voted_at = excluded.voted_at",
                    (theory_id, user_id, change.new, now),
                )
            counts = await conn.fetchone(
                "UPDATE theories SET plausible = plausible + ?, doubtful = doubtful + ? WHERE id = ? "
                "RETURNING plausible, doubtful",
                (change.plausible, change.doubtful, theory_id),
            )
        assert counts is not None  # noqa: S101 - the row was read in this transaction
        return VoteResult(change.kind, change.new, counts[0], counts[1], theory)

    async def vote_of(self, theory_id: int, user_id: int) -> int | None:
        """A member's current vote on a theory, if any."""
        value = await self.db.fetchval(
            "SELECT choice FROM theory_votes WHERE theory_id = ? AND user_id = ?", (theory_id, user_id)
        )
        return None if value is None else int(value)

    async def counted_votes(self, theory_id: int) -> tuple[int, int]:
        """The counts recomputed from the votes themselves (for checks and repairs)."""
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(CASE WHEN choice = 1 THEN 1 ELSE 0 END), 0), "
            "COALESCE(SUM(CASE WHEN choice = -1 THEN 1 ELSE 0 END), 0) "
            "FROM theory_votes WHERE theory_id = ?",
            (theory_id,),
        )
        return (0, 0) if row is None else (int(row[0]), int(row[1]))

    # -- listing ----------------------------------------------------------------------------
    async def count(self, guild_id: int, query: TheoryQuery) -> int:
        """How many theories match (for pagination)."""
        where, params = _where(guild_id, query)
        return int(await self.db.fetchval(f"SELECT count(*) FROM theories WHERE {where}", params))

    async def page(self, guild_id: int, query: TheoryQuery, *, limit: int, offset: int = 0) -> list[Theory]:
        """One page of matching theories, by votes (plausible first) or newest first."""
        where, params = _where(guild_id, query)
        rows = await self.db.fetchall(
            f"SELECT * FROM theories WHERE {where} ORDER BY {ORDER[query.sort]} LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
        return [Theory.from_row(r) for r in rows]

    async def suggest(
        self, guild_id: int, typed: str, progress: EpisodeCode | None, *, limit: int = 25
    ) -> list[Theory]:
        """Autocomplete: by number prefix or title words, newest first, progress-filtered."""
        typed = typed.strip().removeprefix("#")
        query = TheoryQuery(sort="date", progress=progress, text=None if typed.isdigit() else typed or None)
        where, params = _where(guild_id, query)
        if typed.isdigit():
            where += " AND CAST(number AS TEXT) LIKE ?"
            params.append(f"{typed}%")
        rows = await self.db.fetchall(
            f"SELECT * FROM theories WHERE {where} ORDER BY number DESC LIMIT ?",
            [*params, limit],
        )
        return [Theory.from_row(r) for r in rows]

    async def leaderboard(
        self, guild_id: int, progress: EpisodeCode | None, *, limit: int = 10
    ) -> list[Standing]:
        """Theorists by confirmed theories, then plausible votes received. Outcomes and theories past
        `progress` are not counted, so the board cannot spoil."""
        seen = "TRUE" if progress is None else "(season, episode) <= (?, ?)"
        confirmed = (
            "CASE WHEN status = 'confirmed' THEN 1 ELSE 0 END"
            if progress is None
            else "CASE WHEN status = 'confirmed' AND (resolved_season, resolved_episode) <= (?, ?) THEN 1 ELSE 0 END"
        )
        params: list[Any] = []
        if progress is not None:
            params += [progress.season, progress.episode]
        params.append(guild_id)
        if progress is not None:
            params += [progress.season, progress.episode]
        rows = await self.db.fetchall(
            f"SELECT author_id, COALESCE(SUM({confirmed}), 0) AS confirmed, SUM(plausible) AS plausible, "
            f"count(*) AS theories FROM theories WHERE guild_id = ? AND {seen} GROUP BY author_id "
            "ORDER BY confirmed DESC, plausible DESC, theories DESC, author_id LIMIT ?",
            [*params, limit],
        )
        return [Standing(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]
