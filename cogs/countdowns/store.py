"""SQL for countdowns and their failure notes. One small method per query, dataclasses out."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.db import Database, Row
from bot.db.guilds import GuildStore
from bot.episodes import EpisodeCode
from bot.shards import ShardSlice
from bot.showsync import Slot, decode_slots, encode_slots, release_label

from .rules import decode_milestones, encode_milestones

__all__ = [
    "Countdown",
    "CountdownStore",
    "EpisodeList",
    "Failure",
    "Follow",
    "FollowStore",
    "NewCountdown",
    "Which",
    "slot_columns",
]

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
    episodes: str | None = None  # several episodes (a drop) or a special: see `slots`
    by_hand: bool = False  # a moderator changed its time or title: a sync leaves it as they set it

    @property
    def code(self) -> EpisodeCode | None:
        """The (first) episode it counts down to; None for a countdown that is not an episode's."""
        if self.season is None or self.episode is None:
            return None
        return EpisodeCode(self.season, self.episode)

    @property
    def slots(self) -> tuple[Slot, ...]:
        """Every episode it covers: one, a drop's several, a special, or none."""
        if self.episodes:
            return decode_slots(self.episodes)
        code = self.code
        return () if code is None else (code,)

    @property
    def is_drop(self) -> bool:
        """Covers more than one episode (or a special): announced by its label, not one episode's title."""
        return self.episodes is not None

    @property
    def label(self) -> str | None:
        """'S2E4', a drop's 'S1E1-E6' (an en dash), 'S5 special'; None for a countdown that is not an episode's."""
        slots = self.slots
        return release_label(slots) if slots else None

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
            episodes=row["episodes"],
            by_hand=bool(row["by_hand"]),
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
    slots: tuple[Slot, ...] = ()  # several episodes or a special; `code` is then left out


def slot_columns(slots: tuple[Slot, ...]) -> dict[str, Any]:
    """The season, episode and episodes columns for a countdown covering `slots`."""
    numbered = [s for s in slots if isinstance(s, EpisodeCode)]
    first = min(numbered) if numbered else None
    return {
        "season": first.season if first else None,
        "episode": first.episode if first else None,
        "episodes": encode_slots(slots) if len(slots) > 1 or (slots and first is None) else None,
    }


@dataclass(frozen=True, slots=True)
class Failure:
    countdown_id: int
    title: str
    channel_id: int
    reason: str
    failed_at: int


_EDITABLE = frozenset(
    {
        "title",
        "release_at",
        "channel_id",
        "role_id",
        "milestones",
        "event_id",
        "season",
        "episode",
        "episodes",
        "by_hand",
    }
)


class CountdownStore:
    def __init__(self, db: Database, guilds: GuildStore) -> None:
        self.db = db
        self.guilds = guilds

    async def create(self, new: NewCountdown, now: int) -> Countdown:
        """Insert a countdown (and its server's row if needed); returns it as stored."""
        columns = slot_columns(new.slots or ((new.code,) if new.code else ()))
        async with self.guilds.writing(new.guild_id) as conn:
            new_id = await conn.fetchval(
                """
                INSERT INTO countdowns
                    (guild_id, title, release_at, channel_id, role_id, milestones, season, episode,
                     episodes, created_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                RETURNING id
                """,
                (
                    new.guild_id,
                    new.title,
                    new.release_at,
                    new.channel_id,
                    new.role_id,
                    encode_milestones(new.milestones),
                    columns["season"],
                    columns["episode"],
                    columns["episodes"],
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

    async def with_episodes(self, guild_id: int) -> list[Countdown]:
        """Every countdown of the server that counts down to episodes (past ones too), soonest first."""
        rows = await self.db.fetchall(
            """
            SELECT * FROM countdowns
            WHERE guild_id = ? AND (season IS NOT NULL OR episodes IS NOT NULL)
            ORDER BY release_at, id
            """,
            (guild_id,),
        )
        return [Countdown.from_row(r) for r in rows]

    async def without_event(self, guild_id: int, now: int) -> list[Countdown]:
        """Upcoming episode countdowns that have no Discord event (the server's events were full, or
        the bot lacked Create Events), soonest first."""
        rows = await self.db.fetchall(
            """
            SELECT * FROM countdowns
            WHERE guild_id = ? AND release_at > ? AND event_id IS NULL
              AND (season IS NOT NULL OR episodes IS NOT NULL)
            ORDER BY release_at, id
            """,
            (guild_id, now),
        )
        return [Countdown.from_row(r) for r in rows]

    async def release_episodes(self, guild_id: int, countdown_ids: Sequence[int], now: int) -> None:
        """Forget which episodes these countdowns cover (they stay, as plain countdowns), so the
        episodes are free for others: a regrouping sync, or the released countdowns of a show the
        server stopped following."""
        if not countdown_ids:
            return
        await self.db.execute(
            f"""
            UPDATE countdowns SET season = NULL, episode = NULL, episodes = NULL, updated_at = ?
            WHERE guild_id = ? AND id IN ({",".join("?" for _ in countdown_ids)})
            """,
            (now, guild_id, *countdown_ids),
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


# -- followed shows ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Follow:
    """The show a server follows on TVmaze, how its countdowns are made, and how syncing it went."""

    guild_id: int
    show_id: int
    name: str
    label: str
    network: str | None = None
    specials: bool = False
    titles: bool = False
    channel_id: int | None = None
    role_id: int | None = None
    milestones: tuple[int, ...] | None = None  # None: the premiere's 7d,1d,1h and 1h after
    followed_by: int = 0
    followed_at: int = 0
    synced_at: int | None = None
    syncs: int = 0
    tried_at: int | None = None
    sync_error: str | None = None

    @classmethod
    def from_row(cls, row: Row) -> Follow:
        return cls(
            guild_id=row["guild_id"],
            show_id=row["show_id"],
            name=row["name"],
            label=row["label"],
            network=row["network"],
            specials=bool(row["specials"]),
            titles=bool(row["titles"]),
            channel_id=row["channel_id"],
            role_id=row["role_id"],
            milestones=decode_milestones(row["milestones"]) if row["milestones"] else None,
            followed_by=row["followed_by"],
            followed_at=row["followed_at"],
            synced_at=row["synced_at"],
            syncs=row["syncs"],
            tried_at=row["tried_at"],
            sync_error=row["sync_error"],
        )


@dataclass(frozen=True, slots=True)
class EpisodeList:
    """A show's episode list as TVmaze last sent it (JSON), and when it was fetched."""

    show_id: int
    fetched_at: int
    episodes: str


class FollowStore:
    """The followed show of each server, and the episode lists fetched for them (per show). With a
    shard slice (several processes on PostgreSQL), `all` and `unchanged` see only the servers on this
    process's shards: each process syncs its own servers, never another's."""

    def __init__(self, db: Database, guilds: GuildStore, shards: ShardSlice | None = None) -> None:
        self.db = db
        self.guilds = guilds
        self._mine = "" if shards is None else shards.sql()
        self._mine_as_f = "" if shards is None else shards.sql("f.guild_id")  # in a subquery on f

    async def get(self, guild_id: int) -> Follow | None:
        row = await self.db.fetchone("SELECT * FROM followed_shows WHERE guild_id = ?", (guild_id,))
        return None if row is None else Follow.from_row(row)

    async def all(self) -> list[Follow]:
        """Every server's followed show, by show (the background sync groups servers by show)."""
        rows = await self.db.fetchall(
            f"SELECT * FROM followed_shows WHERE 1 = 1{self._mine} ORDER BY show_id, guild_id"
        )
        return [Follow.from_row(r) for r in rows]

    async def follow(self, follow: Follow) -> None:
        """Make `follow` the server's show. A different show starts unsynced; `syncs` carries on, so
        notice keys never repeat."""
        async with self.guilds.writing(follow.guild_id) as conn:
            await conn.execute(
                """
                INSERT INTO followed_shows
                    (guild_id, show_id, name, label, network, specials, titles, channel_id, role_id,
                     milestones, followed_by, followed_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (guild_id) DO UPDATE SET
                    show_id = excluded.show_id,
                    name = excluded.name,
                    label = excluded.label,
                    network = excluded.network,
                    specials = excluded.specials,
                    titles = excluded.titles,
                    channel_id = excluded.channel_id,
                    role_id = excluded.role_id,
                    milestones = excluded.milestones,
                    followed_by = excluded.followed_by,
                    followed_at = excluded.followed_at,
                    synced_at = NULL,
                    tried_at = NULL,
                    sync_error = NULL
                """,
                (
                    follow.guild_id,
                    follow.show_id,
                    follow.name,
                    follow.label,
                    follow.network,
                    int(follow.specials),
                    int(follow.titles),
                    follow.channel_id,
                    follow.role_id,
                    encode_milestones(follow.milestones) if follow.milestones else None,
                    follow.followed_by,
                    follow.followed_at,
                ),
            )

    async def unfollow(self, guild_id: int) -> bool:
        """Stop following; False if the server followed nothing."""
        return await self.db.execute("DELETE FROM followed_shows WHERE guild_id = ?", (guild_id,)) == 1

    async def synced(self, guild_id: int, now: int, *, changed: bool) -> None:
        """A sync reached TVmaze and was applied (and changed something: one more notice batch)."""
        await self.db.execute(
            """
            UPDATE followed_shows SET synced_at = ?, tried_at = ?, sync_error = NULL, syncs = syncs + ?
            WHERE guild_id = ?
            """,
            (now, now, 1 if changed else 0, guild_id),
        )

    async def unchanged(self, show_id: int, now: int) -> int:
        """TVmaze has no news of a show: every server following it (whose last sync worked) is in
        sync as of `now`. Returns how many."""
        return await self.db.execute(
            f"""
            UPDATE followed_shows SET synced_at = ?, tried_at = ?
            WHERE show_id = ? AND sync_error IS NULL AND synced_at IS NOT NULL{self._mine}
            """,
            (now, now, show_id),
        )

    async def failed(self, guild_ids: Sequence[int], now: int, error: str) -> None:
        """A sync of these servers could not be done: record why; their last good schedule stays."""
        for start in range(0, len(guild_ids), 500):
            chunk = guild_ids[start : start + 500]
            await self.db.execute(
                f"""
                UPDATE followed_shows SET tried_at = ?, sync_error = ?
                WHERE guild_id IN ({",".join("?" for _ in chunk)})
                """,
                (now, error, *chunk),
            )

    # -- episode lists ---------------------------------------------------------------------------
    async def episode_lists(self) -> list[EpisodeList]:
        """Every stored episode list of a show one of our servers follows (the others are not worth
        loading)."""
        rows = await self.db.fetchall(
            f"""
            SELECT l.show_id, l.fetched_at, l.episodes FROM tvmaze_episode_lists AS l
            WHERE EXISTS (SELECT 1 FROM followed_shows AS f WHERE f.show_id = l.show_id{self._mine_as_f})
            """
        )
        return [EpisodeList(r[0], r[1], r[2]) for r in rows]

    async def list_fetched_at(self, show_id: int) -> int | None:
        value = await self.db.fetchval(
            "SELECT fetched_at FROM tvmaze_episode_lists WHERE show_id = ?", (show_id,)
        )
        return None if value is None else int(value)

    async def save_list(self, show_id: int, fetched_at: int, episodes: str) -> None:
        """Keep a show's newest episode list for the next start."""
        await self.db.execute(
            """
            INSERT INTO tvmaze_episode_lists (show_id, fetched_at, episodes) VALUES (?, ?, ?)
            ON CONFLICT (show_id) DO UPDATE SET fetched_at = excluded.fetched_at, episodes = excluded.episodes
            WHERE excluded.fetched_at > tvmaze_episode_lists.fetched_at
            """,
            (show_id, fetched_at, episodes),
        )
