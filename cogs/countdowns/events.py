"""Discord Scheduled Events that mirror countdowns (external events at the release time).

Each function returns a short note for the moderator's reply; none of them raises on a Discord
refusal, because the countdown itself is already saved and works without its event.
"""

from __future__ import annotations

import datetime as dt
import logging
import re

import discord

from bot.scheduler import describe_http_error

from .store import Countdown, CountdownStore

__all__ = ["EventMirror"]

log = logging.getLogger(__name__)

EVENT_LENGTH = 3600  # Discord needs an end time for external events; an episode is about an hour
MIN_LEAD = 60  # Discord refuses events that start in the past; skip ones about to start anyway


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
    def allowed(guild: discord.Guild) -> bool:
        perms = guild.me.guild_permissions
        return perms.manage_events or perms.create_events

    @staticmethod
    def missing_note(action: str = "No Discord event") -> str:
        return f"{action}: I'm missing **Manage Events** (Server Settings > Roles > my role)."

    async def create(
        self, guild: discord.Guild, countdown: Countdown, *, location: str, description: str, now: float
    ) -> tuple[Countdown, str | None]:
        """Make the event; returns the countdown with its event id, and a note when it was skipped."""
        if countdown.release_at <= now + MIN_LEAD:
            return countdown, None
        if not self.allowed(guild):
            return countdown, self.missing_note()
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
            return countdown, f"The Discord event wasn't created: {describe_http_error(exc)}."
        updated = await self.store.update(countdown.guild_id, countdown.id, int(now), event_id=event.id)
        if updated is None:  # the countdown was deleted meanwhile: its event must not outlive it
            await self._remove(event, countdown)
            return countdown, None
        return updated, None

    async def update(
        self, guild: discord.Guild, countdown: Countdown, *, location: str, description: str, now: float
    ) -> tuple[Countdown, str | None]:
        """Move or rename the event (creating it if it was deleted by hand or never made)."""
        if countdown.event_id is None:
            return await self.create(guild, countdown, location=location, description=description, now=now)
        if not self.allowed(guild):
            return countdown, self.missing_note("The Discord event wasn't updated")
        try:
            event = await guild.fetch_scheduled_event(countdown.event_id)
            await event.edit(
                name=countdown.title,
                start_time=_when(countdown.release_at),
                end_time=_when(countdown.release_at + EVENT_LENGTH),
                location=location[:100],
                description=description[:1000],
                reason=f"Cliffhanger countdown #{countdown.id} changed",
            )
        except discord.NotFound:
            cleared = await self.store.update(countdown.guild_id, countdown.id, int(now), event_id=None)
            if cleared is None:  # deleted meanwhile: don't recreate an event for it
                return countdown, None
            return await self.create(guild, cleared, location=location, description=description, now=now)
        except discord.HTTPException as exc:
            log.warning("could not update the event of countdown %s: %s", countdown.id, exc)
            return countdown, f"The Discord event wasn't updated: {describe_http_error(exc)}."
        return countdown, None

    async def sweep(self, guild: discord.Guild) -> int:
        """Delete the bot's countdown events whose countdown is gone (or points at another event):
        what a crash between creating an event and storing its id leaves behind. Returns how many."""
        if not self.allowed(guild):
            return 0
        try:
            events = await guild.fetch_scheduled_events()
        except discord.HTTPException as exc:
            log.warning("could not list the events of guild %s to sweep them: %s", guild.id, exc)
            return 0
        swept = 0
        for event in events:
            countdown_id = _countdown_of(event, guild.me.id)
            if countdown_id is None:
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
        if not self.allowed(guild):
            return self.missing_note("Its Discord event is still there") + " Delete it by hand."
        try:
            event = await guild.fetch_scheduled_event(countdown.event_id)
            await event.delete(reason=f"Cliffhanger countdown #{countdown.id} deleted")
        except discord.NotFound:
            return None
        except discord.HTTPException as exc:
            log.warning("could not delete the event of countdown %s: %s", countdown.id, exc)
            return f"Its Discord event couldn't be deleted ({describe_http_error(exc)}); delete it by hand."
        return None
