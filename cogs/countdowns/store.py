"""SQL for countdowns and their failure notes. One small method per query, dataclasses out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.db import Database, Row
from bot.db.guilds import GuildStore
from bot.episodes import EpisodeCode

from .rules import decode_milestones, encode_milestones

__all__ = ["Countdown", "CountdownStore", "Failure", "NewCountdown", "Which"]

Which = Literal["upcoming", "released", "all"]


@dataclass(frozen=True, slots=True)
class Countdown:
    id: int
    guild_id: int
    title: str
    release_at: int
    channel_id: int | None  # None: the server's announcement channel
    role_id: int | None
    milestones: tuple[int, ...]  # seconds before release, longest first, ending with 0
    season: int | None
    episode: int | None
    event_id: int | None
    created_by: int
    created_at: int
    updated_at: int

    @property
    def code(self) -> EpisodeCode | None:
        if self.season is None or self.episode is None:
            return None
        return EpisodeCode(self.season, self.episode)

    @classmethod
    def from_row(cls, row: Row) -> Countdown:
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            title=row["title"],
            release_at=row["release_at"],
            channel_id=row["channel_id"],
            role_id=row["role_id"],
            milestones=decode_milestones(row["milestones"]),
            season=row["season"],
            episode=row["episode"],
            event_id=row["event_id"],
            created_by=row["created_by"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
        )


@dataclass(frozen=True, slots=True)
class NewCountdown:
    guild_id: int
    title: str
    release_at: int
    created_by: int
    channel_id: int | None = None
    role_id: int | None = None
    milestones: tuple[int, ...] = (0,)
    code: EpisodeCode | None = None


@dataclass(frozen=True, slots=True)
class Failure:
    countdown_id: int
    title: str
    channel_id: int
    reason: str
    failed_at: int


_EDITABLE = frozenset({"title", "release_at", "channel_id", "role_id", "milestones", "event_id"})


class CountdownStore:
    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds

    async def create(self, new: NewCountdown, now: int) -> Countdown:
        """Insert a countdown (and its server's row if needed); returns it as stored."""
        async with self.guilds.writing(new.guild_id) as conn:
            new_id = await conn.fetchval(
                """
                INSERT INTO countdowns
                    (guild_id, title, release_at, channel_id, role_id, milestones, season, episode,
                     created_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING id
                """,
                (
                    new.guild_id,
                    new.title,
                    new.release_at,
                    new.channel_id,
                    new.role_id,
                    encode_milestones(new.milestones),
                    new.code.season if new.code else None,
                    new.code.episode if new.code else None,
                    new.created_by,
                    now,
                    now,
                ),
            )
        found = await self.get(new.guild_id, int(new_id or 0))
        if found is None:  # pragma: no cover - just inserted in this task's transaction
            raise RuntimeError("the new countdown was not stored")
        return found

    async def get(self, guild_id: int, countdown_id: int) -> Countdown | None:
        row = await self.db.fetchone(
            "SELECT * FROM countdowns WHERE guild_id = ? AND id = ?", (guild_id, countdown_id)
        )
        return None if row is None else Countdown.from_row(row)

    async def by_episode(self, guild_id: int, code: EpisodeCode) -> Countdown | None:
        """The countdown for one episode, if the server has one."""
        row = await self.db.fetchone(
            "SELECT * FROM countdowns WHERE guild_id = ? AND season = ? AND episode = ?",
            (guild_id, code.season, code.episode),
        )
        return None if row is None else Countdown.from_row(row)

    async def by_title(self, guild_id: int, title: str) -> list[Countdown]:
        """Countdowns whose title matches exactly, ignoring case, soonest first."""
        rows = await self.db.fetchall(
            "SELECT * FROM countdowns WHERE guild_id = ? AND lower(title) = lower(?) ORDER BY release_at, id",
            (guild_id, title),
        )
        return [Countdown.from_row(r) for r in rows]

    async def next_up(self, guild_id: int, now: int) -> Countdown | None:
        """The nearest countdown still to be released."""
        row = await self.db.fetchone(
            "SELECT * FROM countdowns WHERE guild_id = ? AND release_at > ? ORDER BY release_at, id LIMIT 1",
            (guild_id, now),
        )
        return None if row is None else Countdown.from_row(row)

    @staticmethod
    def _filter(which: Which) -> tuple[str, str]:
        """The WHERE fragment and ORDER BY for upcoming (soonest first) or released (latest first)."""
        if which == "upcoming":
            return "AND release_at > :now", "release_at, id"
        if which == "released":
            return "AND release_at <= :now", "release_at DESC, id DESC"
        return "", "release_at > :now DESC, abs(release_at - :now), id"

    async def page(
        self, guild_id: int, now: int, which: Which, *, limit: int, offset: int
    ) -> list[Countdown]:
        """One page of the server's countdowns for /countdown list."""
        where, order = self._filter(which)
        rows = await self.db.fetchall(
            f"SELECT * FROM countdowns WHERE guild_id = :guild {where} ORDER BY {order} LIMIT :limit OFFSET :offset",
            {"guild": guild_id, "now": now, "limit": limit, "offset": offset},
        )
        return [Countdown.from_row(r) for r in rows]

    async def count(self, guild_id: int, now: int, which: Which) -> int:
        where, _ = self._filter(which)
        value = await self.db.fetchval(
            f"SELECT count(*) FROM countdowns WHERE guild_id = :guild {where}",
            {"guild": guild_id, "now": now},
        )
        return int(value or 0)

    async def search(self, guild_id: int, text: str, now: int, limit: int = 25) -> list[Countdown]:
        """For autocomplete: upcoming first (soonest first), then released (latest first); titles
        starting with `text` before titles merely containing it. Empty text lists everything."""
        needle = text.strip().lower()
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self.db.fetchall(
            """
            SELECT * FROM countdowns
            WHERE guild_id = :guild AND (lower(title) LIKE :contains ESCAPE '\\' OR CAST(id AS TEXT) = :needle)
            ORDER BY CAST(id AS TEXT) = :needle DESC,
                     lower(title) LIKE :prefix ESCAPE '\\' DESC,
                     release_at > :now DESC,
                     CASE WHEN release_at > :now THEN release_at ELSE -release_at END,
                     id
            LIMIT :limit
            """,
            {
                "guild": guild_id,
                "needle": needle,
                "contains": f"%{escaped}%",
                "prefix": f"{escaped}%",
                "now": now,
                "limit": limit,
            },
        )
        return [Countdown.from_row(r) for r in rows]

    async def update(self, guild_id: int, countdown_id: int, now: int, **changes: Any) -> Countdown | None:
        """Change some fields of a countdown; returns it as stored, or None if it is gone."""
        unknown = set(changes) - _EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        if "milestones" in changes:
            changes["milestones"] = encode_milestones(changes["milestones"])
        if changes:
            assignments = ", ".join(f"{column} = :{column}" for column in changes)
            await self.db.execute(
                f"UPDATE countdowns SET {assignments}, updated_at = :now WHERE guild_id = :guild AND id = :id",
                {**changes, "now": now, "guild": guild_id, "id": countdown_id},
            )
        return await self.get(guild_id, countdown_id)

    async def delete(self, guild_id: int, countdown_id: int) -> bool:
        """Remove a countdown (its failure notes go with it). False if it was already gone."""
        return (
            await self.db.execute(
                "DELETE FROM countdowns WHERE guild_id = ? AND id = ?", (guild_id, countdown_id)
            )
            == 1
        )

    async def episode_countdowns(self, guild_id: int, season: int) -> list[Countdown]:
        """A season's episode countdowns in episode order."""
        rows = await self.db.fetchall(
            "SELECT * FROM countdowns WHERE guild_id = ? AND season = ? ORDER BY episode", (guild_id, season)
        )
        return [Countdown.from_row(r) for r in rows]

    # -- failure notes -------------------------------------------------------------------------
    async def note_failure(self, countdown_id: int, channel_id: int, reason: str, now: int) -> bool:
        """Record that announcing in a channel failed; True only the first time (tell moderators then)."""
        return (
            await self.db.execute(
                """
                INSERT INTO countdown_failures (countdown_id, channel_id, reason, failed_at) VALUES (?, ?, ?, ?)
                ON CONFLICT (countdown_id, channel_id) DO NOTHING
                """,
                (countdown_id, channel_id, reason, now),
            )
            == 1
        )

    async def clear_failure(self, countdown_id: int, channel_id: int) -> None:
        """An announcement went through again: a later failure there is news again."""
        await self.db.execute(
            "DELETE FROM countdown_failures WHERE countdown_id = ? AND channel_id = ?",
            (countdown_id, channel_id),
        )

    async def clear_failures(self, countdown_id: int) -> None:
        """Forget every failure of a countdown (a moderator moved or fixed it)."""
        await self.db.execute("DELETE FROM countdown_failures WHERE countdown_id = ?", (countdown_id,))

    async def failures(self, guild_id: int, countdown_ids: Sequence[int] | None = None) -> list[Failure]:
        """Unresolved announcement failures in a server, newest first."""
        rows = await self.db.fetchall(
            """
            SELECT f.countdown_id, c.title, f.channel_id, f.reason, f.failed_at
            FROM countdown_failures AS f JOIN countdowns AS c ON c.id = f.countdown_id
            WHERE c.guild_id = ?
            ORDER BY f.failed_at DESC, f.countdown_id
            """,
            (guild_id,),
        )
        found = [Failure(r[0], r[1], r[2], r[3], r[4]) for r in rows]
        if countdown_ids is not None:
            wanted = set(countdown_ids)
            found = [f for f in found if f.countdown_id in wanted]
        return found
