"""Discord Scheduled Events that mirror countdowns (external events at the release time).

Each function returns a short note for the moderator's reply; none of them raises on a Discord
refusal, because the countdown itself is already saved and works without its event.

What Discord does with them, and so what the bot does:
- An external event goes active at its start and completed at its end, by itself; a completed (or
  cancelled) event can't be edited again, and an active one can't be moved. A countdown whose event
  has finished gets a new one when it moves to a time ahead; one whose event is live and moves has
  that event ended and a new one added.
- A server holds at most 100 scheduled or active events. The bot leaves the last `HEADROOM` places to
  the server's own events, and a whole season gets events for its nearest episodes first.
- The bot only ever edits or deletes events it created itself (and Create Events covers exactly those).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable, Sequence

import discord

from bot.scheduler import describe_http_error

from .store import Countdown, CountdownStore

__all__ = ["EventMirror"]

log = logging.getLogger(__name__)

EVENT_LENGTH = 3600  # Discord needs an end time for external events; an episode is about an hour
MIN_LEAD = 60  # Discord refuses events that start in the past; skip ones about to start anyway
SERVER_LIMIT = 100  # scheduled or active events per server (Discord's error 30038 past it)
HEADROOM = 10  # places the bot leaves for the server's own events
TOO_MANY_EVENTS = 30038
FINISHED = (discord.EventStatus.completed, discord.EventStatus.cancelled)


def _when(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


DESCRIPTION = "Cliffhanger countdown #{id}. Press Notify me on its announcement to be pinged when it's out."
_OURS = re.compile(r"Cliffhanger countdown #([0-9]{1,19})\.")


def _countdown_of(event: discord.ScheduledEvent, bot_id: int) -> int | None:
    """The countdown id an event of the bot's was made for (its description says), else None."""
    if event.creator_id != bot_id or not event.description:
        return None
    found = _OURS.match(event.description)
    return int(found[1]) if found else None


class EventMirror:
    """Creates, updates and deletes the scheduled event of a countdown, when the bot may."""

    def __init__(self, store: CountdownStore) -> None:
        self.store = store

    @staticmethod
    def can_create(guild: discord.Guild) -> bool:
        """Since 2026-02-23 Discord wants Create Events to create one; Manage Events alone won't do."""
        return guild.me.guild_permissions.create_events

    @staticmethod
    def can_change(guild: discord.Guild) -> bool:
        """Moving or removing an event the bot made: Create Events covers its own, as does Manage Events."""
        perms = guild.me.guild_permissions
        return perms.create_events or perms.manage_events

    @staticmethod
    def missing_note(action: str = "No Discord event") -> str:
        return f"{action}: I'm missing **Create Events** (Server Settings > Roles > my role)."

    @staticmethod
    def full_note(upcoming: int) -> str:
        return (
            f"No Discord event: the server has {upcoming} upcoming events, and Discord allows 100 upcoming "
            f"events per server; I leave the last {HEADROOM} places to your own events."
        )

    def refused_note(self, action: str, exc: discord.HTTPException) -> str:
        """Discord's refusal in words: a missing permission by name, anything else with its code."""
        if isinstance(exc, discord.Forbidden):
            return self.missing_note(action)
        return f"{action}: {describe_http_error(exc)}."

    async def room(self, guild: discord.Guild) -> tuple[int, int]:
        """(upcoming events in the server, how many more the bot may add)."""
        try:
            events = await guild.fetch_scheduled_events()
        except discord.HTTPException as exc:
            log.info("could not count the events of guild %s (%s); trying anyway", guild.id, exc)
            return 0, SERVER_LIMIT
        upcoming = sum(1 for e in events if e.status not in FINISHED)
        return upcoming, max(0, SERVER_LIMIT - HEADROOM - upcoming)

    async def create(
        self, guild: discord.Guild, countdown: Countdown, *, location: str, description: str, now: float
    ) -> tuple[Countdown, str | None]:
        """Make the event; returns the countdown with its event id, and a note when it was skipped."""
        if countdown.release_at <= now + MIN_LEAD:
            return countdown, None
        if not self.can_create(guild):
            return countdown, self.missing_note()
        upcoming, room = await self.room(guild)
        if room <= 0:
            return countdown, self.full_note(upcoming)
        made, note, _ = await self._create(
            guild, countdown, location=location, description=description, now=now
        )
        return made, note

    async def create_many(
        self,
        guild: discord.Guild,
        countdowns: Sequence[Countdown],
        *,
        location: Callable[[Countdown], str],
        description: Callable[[Countdown], str],
        now: float,
        again: str,
    ) -> list[str]:
        """Events for several countdowns (a season), nearest first, as many as the server has room for.
        `again` is the command that adds the rest later. Returns the notes for the reply."""
        wanted = sorted(
            (c for c in countdowns if c.release_at > now + MIN_LEAD), key=lambda c: (c.release_at, c.id)
        )
        if not wanted:
            return []
        if not self.can_create(guild):
            return [self.missing_note()]
        upcoming, room = await self.room(guild)
        notes: list[str] = []
        made: list[Countdown] = []
        tried = 0
        for countdown in wanted[:room]:
            _, note, full = await self._create(
                guild, countdown, location=location(countdown), description=description(countdown), now=now
            )
            if full:
                break
            tried += 1
            if note:
                notes.append(note)
            else:
                made.append(countdown)
        left = wanted[tried:]
        if left:
            have = f"{_name(made[0])} to {_name(made[-1])} have one; " if made else "None has one yet; "
            notes.append(
                f"Discord allows 100 upcoming events per server, and this one has {upcoming + len(made)} "
                f"(I leave the last {HEADROOM} places to your own events). {have}"
                f"{_name(left[0])} to {_name(left[-1])} don't yet: run `{again}` again once some have "
                "passed to add theirs."
            )
        return notes

    async def _create(
        self, guild: discord.Guild, countdown: Countdown, *, location: str, description: str, now: float
    ) -> tuple[Countdown, str | None, bool]:
        """One create: (the countdown with its event id, a note, whether Discord said the server is full)."""
        try:
            event = await guild.create_scheduled_event(
                name=countdown.title,
                start_time=_when(countdown.release_at),
                end_time=_when(countdown.release_at + EVENT_LENGTH),
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=location[:100],
                description=description[:1000],
                reason=f"Cliffhanger countdown #{countdown.id}",
            )
        except discord.HTTPException as exc:
            log.warning("could not create an event for countdown %s: %s", countdown.id, exc)
            if exc.code == TOO_MANY_EVENTS:
                return countdown, self.full_note(SERVER_LIMIT), True
            return countdown, self.refused_note("The Discord event wasn't created", exc), False
        updated = await self.store.update(countdown.guild_id, countdown.id, int(now), event_id=event.id)
        if updated is None:  # the countdown was deleted meanwhile: its event must not outlive it
            await self._remove(event, countdown)
            return countdown, None, False
        return updated, None, False

    async def _own_event(self, guild: discord.Guild, countdown: Countdown) -> discord.ScheduledEvent | None:
        """The countdown's event if it still exists and the bot made it (someone else's is never touched)."""
        if countdown.event_id is None:
            return None
        try:
            event = await guild.fetch_scheduled_event(countdown.event_id)
        except discord.NotFound:
            return None
        if event.creator_id != guild.me.id:
            log.warning(
                "countdown %s points at event %s, which someone else made; leaving it alone",
                countdown.id,
                event.id,
            )
            return None
        return event

    async def update(
        self, guild: discord.Guild, countdown: Countdown, *, location: str, description: str, now: float
    ) -> tuple[Countdown, str | None]:
        """Move or rename the event (creating it if it was deleted by hand, finished or never made)."""
        if countdown.event_id is None:
            return await self.create(guild, countdown, location=location, description=description, now=now)
        if not self.can_change(guild):
            return countdown, self.missing_note("The Discord event wasn't updated")
        start = _when(countdown.release_at)
        ended_note: str | None = None
        try:
            event = await self._own_event(guild, countdown)
            if event is not None and event.status is discord.EventStatus.active and event.start_time != start:
                # Live already: Discord won't move it, so it ends now and the new time gets its own.
                await event.end(reason=f"Cliffhanger countdown #{countdown.id} moved")
                ended_note = "Its Discord event had already started, so I ended it"
                event = None
            if event is None or event.status in FINISHED:
                cleared = await self.store.update(countdown.guild_id, countdown.id, int(now), event_id=None)
                if cleared is None:  # deleted meanwhile: don't recreate an event for it
                    return countdown, ended_note and f"{ended_note}."
                made, note = await self.create(
                    guild, cleared, location=location, description=description, now=now
                )
                if ended_note:
                    added = " and added one at the new time" if made.event_id is not None else ""
                    note = f"{ended_note}{added}." + (f" {note}" if note else "")
                return made, note
            if event.status is discord.EventStatus.active:
                await event.edit(
                    name=countdown.title,
                    location=location[:100],
                    description=description[:1000],
                    reason=f"Cliffhanger countdown #{countdown.id} changed",
                )
            else:
                await event.edit(
                    name=countdown.title,
                    start_time=start,
                    end_time=_when(countdown.release_at + EVENT_LENGTH),
                    location=location[:100],
                    description=description[:1000],
                    reason=f"Cliffhanger countdown #{countdown.id} changed",
                )
        except discord.HTTPException as exc:
            log.warning("could not update the event of countdown %s: %s", countdown.id, exc)
            return countdown, self.refused_note("The Discord event wasn't updated", exc)
        return countdown, None

    async def sweep(self, guild: discord.Guild) -> int:
        """Delete the bot's countdown events whose countdown is gone (or points at another event):
        what a crash between creating an event and storing its id leaves behind. Returns how many."""
        if not self.can_change(guild):
            return 0
        try:
            events = await guild.fetch_scheduled_events()
        except discord.HTTPException as exc:
            log.warning("could not list the events of guild %s to sweep them: %s", guild.id, exc)
            return 0
        swept = 0
        for event in events:
            countdown_id = _countdown_of(event, guild.me.id)
            if countdown_id is None or event.status in FINISHED:
                continue
            countdown = await self.store.get(guild.id, countdown_id)
            if countdown is None or countdown.event_id != event.id:
                swept += await self._remove(event, countdown)
        return swept

    async def _remove(self, event: discord.ScheduledEvent, countdown: Countdown | None) -> int:
        try:
            await event.delete(reason="Cliffhanger: its countdown no longer exists")
        except discord.NotFound:
            return 0
        except discord.HTTPException as exc:
            log.warning("could not delete orphaned event %s: %s", event.id, exc)
            return 0
        log.info("deleted event %s, left without its countdown %s", event.id, countdown and countdown.id)
        return 1

    async def delete(self, guild: discord.Guild, countdown: Countdown) -> str | None:
        """Delete the event with the countdown; a note if it has to be deleted by hand."""
        if countdown.event_id is None:
            return None
        if not self.can_change(guild):
            return self.missing_note("Its Discord event is still there") + " Delete it by hand."
        try:
            event = await self._own_event(guild, countdown)
            if event is not None:
                await event.delete(reason=f"Cliffhanger countdown #{countdown.id} deleted")
        except discord.NotFound:
            return None
        except discord.HTTPException as exc:
            log.warning("could not delete the event of countdown %s: %s", countdown.id, exc)
            return f"Its Discord event couldn't be deleted ({describe_http_error(exc)}); delete it by hand."
        return None


def _name(countdown: Countdown) -> str:
    return str(countdown.code) if countdown.code is not None else f"#{countdown.id}"
