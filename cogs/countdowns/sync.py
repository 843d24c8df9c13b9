"""Keeping a followed show's schedule true: TVmaze's episode list applied to a server, the notices a
change owes, and the background rounds that find what changed.

A sync of one server is one transaction: the episode schedule, the countdowns that are created, moved
or cancelled (through `CountdownService`, so milestones already posted are never repeated), and one
notice per change, scheduled as a scheduler job in that same transaction. A crash before the commit
leaves the old schedule and no notice (the next sync makes the same plan); a crash after it leaves
the notices pending, posted at the next start with their nonce and marker (`send_once`). Either way
each change is announced once. The Discord events follow after the commit, under the server's lock.

A round asks TVmaze which shows changed (`/updates/shows`, one call), fetches the episode list of
each changed show someone follows (one call per show, shared by every server following it) and syncs
those servers. Episode lists are kept in the database, so a restart does not fetch them all again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ANNOUNCE_PERMISSIONS, missing_permissions
from bot.db.jobs import Job, NewJob
from bot.episodes import EpisodeCode
from bot.errors import UserError
from bot.scheduler import JobFailed, guild_for, send_once
from bot.showsync import Held, Release, RemovalReason, Scheduled, SyncPlan, plan_sync
from bot.tvmaze import (
    CLOCK_SKEW,
    Episode,
    TVmazeDataError,
    TVmazeError,
    UpdatesPeriod,
    episodes_from_json,
    episodes_to_json,
)

from . import render
from .rules import episode_title, release_milestones
from .service import CountdownService
from .store import Countdown, Follow, NewCountdown, slot_columns

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["NOTICE_KIND", "Applied", "ShowSync", "notice_prefix"]

log = logging.getLogger(__name__)

NOTICE_KIND = "show"
DAY = 86_400
RETRY_FAILED = 1800  # seconds: a server whose sync failed (TVmaze down) is tried again this soon
STARTUP_HOLD = 30.0  # seconds the scheduler waits at start-up for a stale show's sync to be written
MAX_SLEEP = 86_400.0
PERIODS: tuple[tuple[int, UpdatesPeriod], ...] = ((DAY, "day"), (7 * DAY, "week"), (30 * DAY, "month"))


def notice_prefix() -> str:
    return "show:"


def notice_key(batch: int, index: int) -> str:
    """A notice's job key: unique per server, because `batch` counts every sync that changed something."""
    return f"show:{batch}:{index}"


@dataclass
class Applied:
    """What one sync wrote, for the events that follow and the moderator's reply."""

    plan: SyncPlan
    created: list[Countdown] = field(default_factory=list)
    moved: list[Countdown] = field(default_factory=list)  # as they are now
    removed: list[Countdown] = field(default_factory=list)  # as they were
    replaced: list[Countdown] = field(default_factory=list)  # the old show's, cancelled on a switch
    notices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def touches_events(self) -> bool:
        return bool(self.created or self.moved or self.removed or self.replaced)


class ShowSync:
    """Syncs followed shows. One per bot, made by the /show cog."""

    def __init__(self, bot: Cliffhanger, service: CountdownService) -> None:
        self.bot = bot
        self.service = service
        self.follows = service.follows
        self.store = service.store
        self.interval = bot.settings.show_sync_hours * 3600
        self.rounds = 0  # rounds finished (whether or not TVmaze answered): what tests wait for
        self.started = asyncio.Event()  # the start-up round's writes are done (or there was none)
        self._wake = asyncio.Event()
        self._saved_at: dict[int, float] = {}  # show id -> fetched_at of the episode list stored

    # -- episode lists ---------------------------------------------------------------------------
    async def seed_cache(self) -> int:
        """Load the stored episode lists into the TVmaze client, so a start costs no fetch per show."""
        lists = await self.follows.episode_lists()
        for stored in lists:
            try:
                episodes = episodes_from_json(stored.episodes)
            except TVmazeDataError:
                log.warning(
                    "the stored episode list of TVmaze show %s is damaged; fetching it again", stored.show_id
                )
                continue
            self.bot.tvmaze.remember_episodes(stored.show_id, episodes, stored.fetched_at)
            self._saved_at[stored.show_id] = stored.fetched_at
        return len(lists)

    async def episodes(
        self, show_id: int, *, fresh: bool = False, background: bool = False
    ) -> tuple[Episode, ...]:
        """A show's episodes from TVmaze (or the client's cache), stored for the next start if new."""
        episodes = await self.bot.tvmaze.episodes(show_id, fresh=fresh, background=background)
        fetched_at = self.bot.tvmaze.episodes_fetched_at(show_id)
        if fetched_at is not None and fetched_at > self._saved_at.get(show_id, -1.0):
            await self.follows.save_list(show_id, int(fetched_at), episodes_to_json(episodes))
            self._saved_at[show_id] = fetched_at
        return episodes

    # -- one server ------------------------------------------------------------------------------
    async def apply(
        self, follow: Follow, episodes: Sequence[Episode], *, notify: bool, replacing: str | None = None
    ) -> Applied:
        """Make the server's schedule and countdowns say what `episodes` say, in one transaction, with
        one notice per change when `notify`. `replacing` names the show the server followed before: its
        countdowns still to come are cancelled and its schedule emptied first. The caller holds
        `service.serial(follow.guild_id)`."""
        guild_id = follow.guild_id
        now = self.service.now()
        async with self.bot.db.transaction(immediate=True):
            replaced = await self._drop_schedule(guild_id, replacing, now) if replacing is not None else []
            current = await self.follows.get(guild_id) or follow
            schedule = {
                e.code: Scheduled(e.title, e.air_at) for e in await self.bot.episodes.schedule(guild_id)
            }
            countdowns = {c.id: c for c in await self.store.with_episodes(guild_id)}
            plan = plan_sync(
                episodes,
                schedule,
                [Held(c.id, c.slots, c.release_at, c.by_hand) for c in countdowns.values()],
                now=int(now),
                include_specials=follow.specials,
            )
            names = {
                EpisodeCode(e.season, e.number): e.name for e in episodes if e.number is not None and e.name
            }
            applied = Applied(plan, replaced=replaced)
            await self.bot.episodes.set_rows(guild_id, [(r.code, r.title, r.air_at) for r in plan.schedule])
            await self.bot.episodes.delete_many(guild_id, list(plan.unscheduled))
            for removal in plan.removed:
                countdown = countdowns[removal.ref]
                await self.service.cancel(countdown, f"{follow.name} on TVmaze: {removal.reason}")
                applied.removed.append(countdown)
            # Regrouped countdowns let go of their episodes first, so no episode is held twice meanwhile.
            regrouped = [m.ref for m in plan.moved if m.before.slots != m.after.slots]
            await self.store.release_episodes(guild_id, regrouped, int(now))
            for move in plan.moved:
                changes: dict[str, Any] = {"release_at": move.after.at}
                if move.ref in regrouped:
                    changes |= slot_columns(move.after.slots)
                    changes["title"] = await self.title(follow, move.after, names)
                updated, _ = await self.service.change(guild_id, move.ref, now, **changes)
                if updated is not None:
                    applied.moved.append(updated)
            for release in (*plan.new, *plan.dated):
                countdown, _ = await self.service.create(
                    NewCountdown(
                        guild_id=guild_id,
                        title=await self.title(follow, release, names),
                        release_at=release.at,
                        created_by=follow.followed_by,
                        channel_id=follow.channel_id,
                        role_id=follow.role_id,
                        milestones=release_milestones(release.premiere, follow.milestones),
                        slots=release.slots,
                    ),
                    now,
                )
                applied.created.append(countdown)
            if notify:
                applied.notices = self._notices(plan, follow)
                await self.bot.scheduler.schedule(
                    NewJob(
                        guild_id, NOTICE_KIND, notice_key(current.syncs + 1, index), int(now), payload=notice
                    )
                    for index, notice in enumerate(applied.notices)
                )
            await self.follows.synced(guild_id, int(now), changed=bool(applied.notices))
        if not plan.is_empty or replaced:
            log.info(
                "guild %s: synced %s: %d new, %d dated, %d moved, %d removed, %d notices",
                guild_id,
                follow.name,
                len(plan.new),
                len(plan.dated),
                len(plan.moved),
                len(plan.removed),
                len(applied.notices),
            )
        return applied

    async def _drop_schedule(self, guild_id: int, old_show: str, now: float) -> list[Countdown]:
        """Following another show: cancel the old show's countdowns still to come (their reason
        recorded), let its released ones go from the episodes they covered, and empty the schedule."""
        cancelled: list[Countdown] = []
        released: list[int] = []
        for countdown in await self.store.with_episodes(guild_id):
            if countdown.release_at > now:
                await self.service.cancel(
                    countdown, f"the server stopped following {old_show} to follow another show"
                )
                cancelled.append(countdown)
            else:
                released.append(countdown.id)
        await self.store.release_episodes(guild_id, released, int(now))
        await self.bot.episodes.clear(guild_id)
        return cancelled

    async def title(self, follow: Follow, release: Release, names: dict[EpisodeCode, str]) -> str:
        """The countdown's (and its event's) name: the episode code, so it can't spoil, unless the
        moderators opted in to titles. Through the one title check: a title that fails it (a fresh
        spoiler word, a mention) falls back to the code."""
        name = None
        if follow.titles and len(release.slots) == 1 and isinstance(release.slots[0], EpisodeCode):
            name = names.get(release.slots[0])
        candidates = [
            episode_title(follow.name, release.label, name),
            episode_title(follow.name, release.label),
        ]
        candidates.append(episode_title(None, release.label))
        for candidate in dict.fromkeys(candidates):
            try:
                return await self.service.checked_title(follow.guild_id, candidate)
            except UserError:
                continue
        return release.label

    @staticmethod
    def _notices(plan: SyncPlan, follow: Follow) -> list[dict[str, Any]]:
        reasons = {r.release.label: r.reason for r in plan.removed}
        return [
            {
                "kind": n.kind,
                "label": n.label,
                "at": n.at,
                "was_at": n.was_at,
                "was_label": n.was_label,
                "reason": str(reasons.get(n.label, RemovalReason.GONE)) if n.kind == "removed" else None,
                "show": follow.name,
                "channel_id": follow.channel_id,
            }
            for n in plan.notices()
        ]

    async def mirror(self, guild: discord.Guild, follow: Follow, applied: Applied) -> list[str]:
        """The Discord events after a sync: new countdowns (and older ones still without one) get
        theirs, moved ones move, removed and replaced ones go. Call under the server's lock."""
        now = self.service.now()
        moved = {c.id for c in applied.moved}
        lacking = [c for c in await self.store.without_event(guild.id, int(now)) if c.id not in moved]
        return await self.service.mirror(
            guild,
            created=lacking,
            moved=applied.moved,
            removed=[*applied.removed, *applied.replaced],
            network=follow.network,
            again="/show sync",
            now=now,
        )

    async def sync_server(
        self, follow: Follow, episodes: Sequence[Episode], *, notify: bool = True
    ) -> Applied | None:
        """Apply and mirror one server (None if it stopped following that show meanwhile)."""
        async with self.service.serial(follow.guild_id):
            current = await self.follows.get(follow.guild_id)
            if current is None or current.show_id != follow.show_id:
                return None
            applied = await self.apply(current, episodes, notify=notify)
            guild = self.bot.get_guild(follow.guild_id)
            if guild is not None and not guild.unavailable and applied.touches_events:
                await self.mirror(guild, current, applied)
        return applied

    # -- notices ---------------------------------------------------------------------------------
    async def post_notice(self, job: Job) -> str:
        """The scheduler handler for notices: one message per change in the announcement channel."""
        guild = guild_for(self.bot, job)
        settings = await self.bot.guild_store.get(guild.id)
        channel_id = job.payload.get("channel_id") or settings.announce_channel_id
        if channel_id is None:
            raise JobFailed("no announcement channel is set for this server")
        channel = guild.get_channel(int(channel_id))
        if not isinstance(channel, discord.TextChannel):
            raise JobFailed("the announcement channel was deleted")
        missing = missing_permissions(channel.permissions_for(guild.me), ANNOUNCE_PERMISSIONS)
        if missing:
            raise JobFailed(f"I'm missing {', '.join(missing)} in #{channel.name}")
        message = await send_once(
            job, channel, now=self.service.now(), embed=render.schedule_notice(job.payload)
        )
        return f"{channel.id}/{message.id}"

    # -- rounds ----------------------------------------------------------------------------------
    def wake(self) -> None:
        """Look at when the next round is due again (a server followed or unfollowed a show)."""
        self._wake.set()

    async def startup_hold(self) -> None:
        """Held by the scheduler before its first claim: a stale show's sync may move what fell due
        while the bot was down, so it is written first, for at most STARTUP_HOLD seconds."""
        try:
            await asyncio.wait_for(self.started.wait(), STARTUP_HOLD)
        except TimeoutError:
            log.warning(
                "the start-up sync of followed shows took over %.0f s; announcing meanwhile", STARTUP_HOLD
            )

    def due_at(self, follow: Follow) -> float:
        """When a server's show is next due a sync: the interval after its last one; after a failed
        try, RETRY_FAILED after that try (sooner than the interval, and never at once again: an outage
        is not hammered)."""
        if follow.sync_error is not None:
            return float((follow.tried_at or 0) + RETRY_FAILED)
        return float((follow.synced_at or 0) + self.interval)

    async def run(self) -> None:
        """The background task (started in cog_load): at start-up a round if any show is stale, then
        one whenever the next is due. Never raises; a failed round is logged and retried later."""
        try:
            follows = await self.follows.all()
            if follows and min(self.due_at(f) for f in follows) <= self.service.now():
                await self._round_logged()
        finally:
            self.started.set()
        while True:
            # Cleared before the look, not after: a server that follows a show while the follows are
            # read wakes the sleep that comes next instead of waiting for the old due time.
            self._wake.clear()
            follows = await self.follows.all()
            wait = MAX_SLEEP
            if follows:
                wait = min(MAX_SLEEP, min(self.due_at(f) for f in follows) - self.service.now())
            if wait > 0:
                await self._sleep(wait)
                continue
            await self._round_logged()

    async def _sleep(self, seconds: float) -> None:
        sleeper = asyncio.ensure_future(self.bot.scheduler.clock.sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    async def _round_logged(self) -> None:
        try:
            await self.round()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("a sync round of followed shows failed; trying again in %d s", RETRY_FAILED)
            follows = await self.follows.all()
            await self.follows.failed(
                [f.guild_id for f in follows], int(self.service.now()), "internal error"
            )
        finally:
            self.started.set()
            self.rounds += 1

    async def round(self) -> None:
        """One sync of every followed show: which changed (one call), their episode lists (one call
        each), each of their servers synced; servers of unchanged shows are marked in sync. The writes
        come first and the Discord events after, so the start-up hold ends as soon as the writes do."""
        now = self.service.now()
        follows = await self.follows.all()
        by_show: defaultdict[int, list[Follow]] = defaultdict(list)
        for follow in follows:
            by_show[follow.show_id].append(follow)
        synced = [f.synced_at for f in follows if f.synced_at is not None]
        age = now - min(synced) if synced else None
        period = next((name for span, name in PERIODS if age is not None and age < span - CLOCK_SKEW), None)
        updates: dict[int, int] | None = None  # None: too long ago to ask, so every show counts as changed
        if period is not None:
            try:
                updates = await self.bot.tvmaze.updated_since(period, background=True)
            except TVmazeError as exc:
                log.warning("could not ask TVmaze which shows changed: %s", exc)
                await self.follows.failed([f.guild_id for f in follows], int(now), str(exc))
                return
        to_mirror: list[tuple[Follow, Applied]] = []
        for show_id, group in by_show.items():
            to_mirror += await self._sync_show(show_id, group, updates, now)
        self.started.set()
        await self.bot.wait_until_ready()
        for follow, applied in to_mirror:
            guild = self.bot.get_guild(follow.guild_id)
            if guild is None or guild.unavailable:
                continue
            async with self.service.serial(follow.guild_id):
                await self.mirror(guild, follow, applied)

    async def _sync_show(
        self, show_id: int, group: list[Follow], updates: dict[int, int] | None, now: float
    ) -> list[tuple[Follow, Applied]]:
        """Sync the servers following one show, if it changed since their last sync (or their last
        attempt failed). Returns the syncs whose Discord events are still to be brought in line."""
        # Changed since the list the servers were synced with: TVmaze stamped it after their last sync,
        # or after the cached list was fetched (updated_since dropped that list from the cache).
        oldest = min((f.synced_at or 0) for f in group)
        changed = updates is None or (
            show_id in updates
            and (self.bot.tvmaze.cached_episodes(show_id) is None or updates[show_id] >= oldest - CLOCK_SKEW)
        )
        due = group if changed else [f for f in group if f.synced_at is None or f.sync_error is not None]
        if not changed:
            await self.follows.unchanged(show_id, int(now))
        if not due:
            return []
        try:
            episodes = await self.episodes(show_id, background=True)
        except TVmazeError as exc:
            log.warning("could not fetch the episodes of TVmaze show %s: %s", show_id, exc)
            await self.follows.failed([f.guild_id for f in due], int(now), str(exc))
            return []
        to_mirror: list[tuple[Follow, Applied]] = []
        for follow in due:
            try:
                async with self.service.serial(follow.guild_id):
                    current = await self.follows.get(follow.guild_id)
                    if current is None or current.show_id != show_id:
                        continue
                    applied = await self.apply(current, episodes, notify=True)
            except Exception:  # one server's failure must not stop the others' syncs
                log.exception("guild %s: the sync of TVmaze show %s failed", follow.guild_id, show_id)
                await self.follows.failed([follow.guild_id], int(now), "internal error")
                continue
            if applied.touches_events:
                to_mirror.append((current, applied))
        return to_mirror
