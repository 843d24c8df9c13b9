"""Discord Scheduled Events that mirror countdowns (external events at the release time).

Each function returns a short note for the moderator's reply; none of them raises on a Discord
refusal, because the countdown itself is already saved and works without its event.
"""

from __future__ import annotations

import datetime as dt
import logging

import discord

from bot.scheduler import describe_http_error

from .store import Countdown, CountdownStore

__all__ = ["EventMirror"]

log = logging.getLogger(__name__)

EVENT_LENGTH = 3600  # Discord needs an end time for external events; an episode is about an hour
MIN_LEAD = 60  # Discord refuses events that start in the past; skip ones about to start anyway


def _when(ts: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, dt.UTC)


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

    def refused_note(self, action: str, exc: discord.HTTPException) -> str:
        """Discord's refusal in words: a missing permission by name, anything else with its code."""
        if isinstance(exc, discord.Forbidden):
            return self.missing_note(action)
        return f"{action}: {describe_http_error(exc)}."

    async def create(
        self, guild: discord.Guild, countdown: Countdown, *, location: str, description: str, now: float
    ) -> tuple[Countdown, str | None]:
        """Make the event; returns the countdown with its event id, and a note when it was skipped."""
        if countdown.release_at <= now + MIN_LEAD:
            return countdown, None
        if not self.can_create(guild):
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
            return countdown, self.refused_note("The Discord event wasn't created", exc)
        updated = await self.store.update(countdown.guild_id, countdown.id, int(now), event_id=event.id)
        return updated or countdown, None

    async def update(
        self, guild: discord.Guild, countdown: Countdown, *, location: str, description: str, now: float
    ) -> tuple[Countdown, str | None]:
        """Move or rename the event (creating it if it was deleted by hand or never made)."""
        if countdown.event_id is None:
            return await self.create(guild, countdown, location=location, description=description, now=now)
        if not self.can_change(guild):
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
            return await self.create(
                guild, cleared or countdown, location=location, description=description, now=now
            )
        except discord.HTTPException as exc:
            log.warning("could not update the event of countdown %s: %s", countdown.id, exc)
            return countdown, self.refused_note("The Discord event wasn't updated", exc)
        return countdown, None

    async def delete(self, guild: discord.Guild, countdown: Countdown) -> str | None:
        """Delete the event with the countdown; a note if it has to be deleted by hand."""
        if countdown.event_id is None:
            return None
        if not self.can_change(guild):
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
