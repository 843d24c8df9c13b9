"""What /countdown and /show share: one lock per server, the stores, the event mirror, and the one way
a countdown is created, changed or cancelled together with its milestones and its Discord event.

`/countdown create|edit|delete|season|import` and a TVmaze sync all go through here, so a sync that
moves countdowns takes the same lock as a moderator's edit, re-times milestones the same way (pending
ones move, ones already posted are never repeated) and moves events through the same mirror."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import discord

from bot.checks import ANNOUNCE_PERMISSIONS, ensure_bot_can
from bot.errors import UserError
from bot.roles import ensure_label_role
from bot.spoilers import ensure_title_safe
from bot.text import clean_title

from .events import DESCRIPTION, EventMirror
from .roles import default_role_name, make_ping_role, ping_role_warnings
from .rules import JOB_KIND, key_prefix, plan_jobs
from .store import Countdown, CountdownStore, FollowStore, NewCountdown

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["EX_CREATE", "EX_ROLE", "CountdownService", "Scheduled"]

EX_CREATE = "/countdown create title:Severance season 2 when:jan 17 9pm"
EX_ROLE = "/countdown create title:Premiere when:in 30 days role:@Severance pings"


@dataclass
class Scheduled:
    """What (re)scheduling a countdown did, for the moderator's reply."""

    passed: list[int] = field(default_factory=list)  # milestones whose time had already gone
    already_sent: list[int] = field(default_factory=list)  # announced before; not repeated


class CountdownService:
    """One per bot (the countdowns extension makes it and hands it to both its cogs)."""

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        self.store = CountdownStore(bot.db, bot.guild_store)
        self.follows = FollowStore(bot.db, bot.guild_store, bot.shard_slice)
        self.events = EventMirror(self.store)
        self._serial: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    def now(self) -> float:
        return self.bot.scheduler.clock.now()

    def serial(self, guild_id: int) -> asyncio.Lock:
        """Held while a server's countdowns are created, edited, deleted or synced together with their
        Discord events, so a delete never runs while the same countdown's event is being made or moved
        (which left orphaned events, or recreated one for a deleted countdown). A server belongs to one
        process (its shard's), so an in-process lock is enough."""
        return self._serial[guild_id]

    async def checked_title(self, guild_id: int, raw: str, *, example: str = EX_CREATE) -> str:
        """Every countdown title passes through here (create, edit, season, import, a sync), so a
        server-specific check such as spoiler-safe titles needs adding in this one place."""
        title = clean_title(raw, example=example)
        await ensure_title_safe(self.bot, guild_id, title, example=example)
        return title

    # -- the options episode countdowns share (channel, ping role) -------------------------------
    async def target_channel(
        self, guild: discord.Guild, channel: discord.TextChannel | None, *, example: str
    ) -> discord.TextChannel:
        """The channel a countdown will announce in, checked now: the given one or the server's."""
        if channel is not None:
            ensure_bot_can(channel, ANNOUNCE_PERMISSIONS, example=example)
            return channel
        settings = await self.bot.guild_store.get(guild.id)
        if settings.announce_channel_id is None:
            raise UserError(
                "This server has no announcement channel yet. Pick a channel for this countdown, or set the "
                "default with `/config announcements`.",
                example=f"{example} channel:#announcements",
            )
        default = guild.get_channel(settings.announce_channel_id)
        if not isinstance(default, discord.TextChannel):
            raise UserError(
                "The server's announcement channel was deleted. Pick a channel for this countdown, or set a "
                "new default with `/config announcements`.",
                example=f"{example} channel:#announcements",
            )
        ensure_bot_can(default, ANNOUNCE_PERMISSIONS, example=f"{example} channel:#{default.name}")
        return default

    async def ping_role(
        self,
        guild: discord.Guild,
        role: discord.Role | None,
        make_role: bool,
        *,
        moderator: discord.Member | discord.User,
        name_base: str,
        channel: discord.TextChannel,
        notes: list[str],
    ) -> discord.Role | None:
        """The role to ping (given, made, or none), with notes on what won't work yet."""
        if role is None and make_role:
            role, created = await make_ping_role(
                self.bot, guild, default_role_name(name_base), moderator=moderator, example=EX_ROLE
            )
            notes.append(
                f"{'Created' if created else 'Reusing'} the ping role {role.mention}; members get it with **Notify me**."
            )
        if role is not None:
            notes.extend(ping_role_warnings(role, channel))
        return role

    async def check_role_options(
        self,
        interaction: discord.Interaction[Cliffhanger],
        role: discord.Role | None,
        make_role: bool,
        *,
        example: str = EX_ROLE,
    ) -> None:
        """Refuse a bad ping role before anything is deferred or created."""
        if role is not None and make_role:
            raise UserError("Pick a `role` or set `make_role`, not both.", example=example)
        if role is not None:
            await ensure_label_role(self.bot, role, moderator=interaction.user, example=example)

    # -- countdowns and their milestones ---------------------------------------------------------
    async def schedule(self, countdown: Countdown, now: float) -> Scheduled:
        """Make the scheduler's jobs match the countdown: pending ones are re-timed, ones that no
        longer apply are cancelled with a reason, and ones already announced are never repeated."""
        plan = plan_jobs(countdown.guild_id, countdown.id, countdown.release_at, countdown.milestones, now)
        existing = await self.bot.jobs.list_for(countdown.guild_id, JOB_KIND, key_prefix(countdown.id))
        stale = [j.key for j in existing if j.state == "pending" and j.key not in plan.keys]
        await self.bot.scheduler.cancel_keys(
            countdown.guild_id, JOB_KIND, stale, "the countdown changed and this milestone no longer applies"
        )
        await self.bot.scheduler.schedule(plan.jobs, revive=True)
        sent = [
            int(j.payload.get("offset", -1)) for j in existing if j.key in plan.keys and j.state == "sent"
        ]
        return Scheduled(passed=plan.passed, already_sent=sent)

    async def create(self, new: NewCountdown, now: float) -> tuple[Countdown, Scheduled]:
        """Store a countdown and schedule its milestones (inside the caller's transaction)."""
        countdown = await self.store.create(new, int(now))
        return countdown, await self.schedule(countdown, now)

    async def change(
        self, guild_id: int, countdown_id: int, now: float, **changes: Any
    ) -> tuple[Countdown | None, Scheduled]:
        """Change a countdown and re-time its milestones; None if it was deleted meanwhile."""
        updated = await self.store.update(guild_id, countdown_id, int(now), **changes)
        if updated is None:
            return None, Scheduled()
        return updated, await self.schedule(updated, now)

    async def cancel(self, countdown: Countdown, reason: str) -> int:
        """Delete a countdown, cancelling its pending milestones with `reason` recorded on each (what
        was posted stays on record, retired from the countdown's keys so a new countdown that gets its
        id starts afresh). Returns how many were cancelled. Its event goes in `mirror`."""
        cancelled = await self.bot.scheduler.cancel(
            countdown.guild_id, JOB_KIND, key_prefix(countdown.id), reason
        )
        await self.bot.jobs.retire(countdown.guild_id, JOB_KIND, key_prefix(countdown.id))
        await self.store.delete(countdown.guild_id, countdown.id)
        return cancelled

    # -- Discord events --------------------------------------------------------------------------
    def event_location(self, guild: discord.Guild, countdown: Countdown, network: str | None = None) -> str:
        if network:
            return network
        channel_id = countdown.channel_id
        channel = guild.get_channel(channel_id) if channel_id else None
        return f"Announced in #{channel.name}" if channel is not None else "Announced in this server"

    @staticmethod
    def event_description(countdown: Countdown) -> str:
        return DESCRIPTION.format(id=countdown.id)

    async def mirror(
        self,
        guild: discord.Guild,
        *,
        created: Sequence[Countdown] = (),
        moved: Sequence[Countdown] = (),
        removed: Sequence[Countdown] = (),
        network: str | None = None,
        again: str,
        now: float,
    ) -> list[str]:
        """Bring the Discord events in line after countdowns were written (call under `serial`): events
        for `created` (nearest first, as many as the server has room for), `moved` ones moved or
        renamed, `removed` ones deleted, and leftovers swept. Returns the notes for a reply."""
        notes = await self.events.create_many(
            guild,
            created,
            location=lambda countdown: self.event_location(guild, countdown, network),
            description=self.event_description,
            now=now,
            again=again,
        )
        for countdown in moved:
            _, note = await self.events.update(
                guild,
                countdown,
                location=self.event_location(guild, countdown, network),
                description=self.event_description(countdown),
                now=now,
            )
            notes.append(note or "")
        for countdown in removed:
            notes.append(await self.events.delete(guild, countdown) or "")
        await self.events.sweep(guild)
        return [note for note in notes if note]
