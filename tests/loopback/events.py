"""Scheduled events: creating, editing and deleting them, with Discord's permissions, lifecycle and cap.

Permissions since 2026-02-23 (change log 2025-11-24, "Permission Changes Going into Effect February
2026"): creating an event needs Create Events (`1 << 44`); Manage Events alone no longer does. Create
Events also lets the creator edit and delete the events it made; other people's events need Manage
Events.

Lifecycle (Guild Scheduled Event docs, "Status Update Automation" and "Valid Status Transitions"): an
external event becomes ACTIVE at its start and COMPLETED at its end, on Discord's clock; the only
transitions are SCHEDULED -> ACTIVE -> COMPLETED and SCHEDULED -> CANCELED, and a COMPLETED or
CANCELED event is final (editing it is error 180000). A guild holds at most 100 SCHEDULED or ACTIVE
events (creating another is error 30038). ASSUMED, as the docs don't say: an ACTIVE event's start time
can no longer be moved, and a SCHEDULED event's start can't be moved into the past.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from . import permissions as P
from .core import (
    DiscordError,
    Request,
    invalid_form,
    missing_permissions,
    route,
)
from .gateway import Gateway
from .state import (
    Guild,
    Member,
    ScheduledEvent,
    User,
    iso,
)

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
EXTERNAL = 3
MAX_UPCOMING = 100
TRANSITIONS = {(SCHEDULED, ACTIVE), (ACTIVE, COMPLETED), (SCHEDULED, CANCELED)}


class Events(Gateway):
    """A guild's scheduled events (countdowns mirror premieres as external events)."""

    def tick_events(self, guild: Guild) -> None:
        """Move external events along on Discord's clock: ACTIVE at their start, COMPLETED at their end
        (every route looks first, so a test that jumped in time sees what Discord would)."""
        now = self.clock()
        for event in guild.events.values():
            if event.entity_type != EXTERNAL:
                continue
            start = _ts(event.scheduled_start_time)
            end = _ts(event.scheduled_end_time) if event.scheduled_end_time else None
            changed = False
            if event.status == SCHEDULED and now >= start:
                event.status, changed = ACTIVE, True
            if event.status == ACTIVE and end is not None and now >= end:
                event.status, changed = COMPLETED, True
            if changed:
                self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event.to_dict(), guild_id=guild.id)

    def upcoming_events(self, guild: Guild) -> list[ScheduledEvent]:
        """The events that count against the cap: SCHEDULED or ACTIVE."""
        self.tick_events(guild)
        return [e for e in guild.events.values() if e.status in (SCHEDULED, ACTIVE)]

    @route("GET", "/guilds/{guild}/scheduled-events")
    async def handle_list_events(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        self.tick_events(guild)
        return [e.to_dict() for e in guild.events.values()]

    def add_event(
        self,
        guild: Guild,
        name: str,
        *,
        start: float,
        creator: Member | User,
        end: float | None = None,
        status: int = 1,
    ) -> ScheduledEvent:
        """An external event someone else (a moderator, another bot) created in the server."""
        user = creator.user if isinstance(creator, Member) else creator
        event = ScheduledEvent(
            self.ids.next(),
            guild.id,
            name,
            iso(start),
            iso(end if end is not None else start + 3600),
            3,
            status=status,
            location="Somewhere",
            creator_id=user.id,
        )
        guild.events[event.id] = event
        self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event.to_dict(), guild_id=guild.id)
        return event

    @route("POST", "/guilds/{guild}/scheduled-events")
    async def handle_create_event(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        self._require_guild(guild, P.CREATE_EVENTS)
        body = req.body or {}
        _check_event(body, creating=True, now=self.clock())
        if len(self.upcoming_events(guild)) >= MAX_UPCOMING:
            raise DiscordError(
                400, 30038, "Maximum number of uncompleted guild scheduled events reached (100)"
            )
        event = ScheduledEvent(
            self.ids.next(),
            guild.id,
            body["name"],
            body["scheduled_start_time"],
            body.get("scheduled_end_time"),
            int(body["entity_type"]),
            privacy_level=int(body.get("privacy_level", 2)),
            description=body.get("description"),
            channel_id=int(body["channel_id"]) if body.get("channel_id") else None,
            location=(body.get("entity_metadata") or {}).get("location"),
            creator_id=self.bot_user.id,
        )
        guild.events[event.id] = event
        self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event.to_dict(), guild_id=guild.id)
        return event.to_dict()

    @route("GET", "/guilds/{guild}/scheduled-events/{event}")
    async def handle_get_event(self, req: Request) -> Any:
        self.tick_events(self._guild(req.params["guild"]))
        return self._event(req.params["guild"], req.params["event"]).to_dict()

    @route("PATCH", "/guilds/{guild}/scheduled-events/{event}")
    async def handle_edit_event(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        event = self._event(req.params["guild"], req.params["event"])
        self._require_event_change(guild, event)
        body = req.body or {}
        self.tick_events(guild)
        if event.status in (COMPLETED, CANCELED):
            raise DiscordError(400, 180000, "Cannot update a finished event")
        _check_event({**event.to_dict(), **body}, creating=False, now=self.clock())
        wanted = int(body.get("status", event.status))
        if wanted != event.status and (event.status, wanted) not in TRANSITIONS:
            raise invalid_form("status", f"Cannot change the status from {event.status} to {wanted}.")
        moves = "scheduled_start_time" in body and _ts(body["scheduled_start_time"]) != _ts(
            event.scheduled_start_time
        )
        if moves and event.status == ACTIVE:
            raise invalid_form("scheduled_start_time", "Cannot change the start time of an active event.")
        if moves and _ts(body["scheduled_start_time"]) <= self.clock():
            raise invalid_form("scheduled_start_time", "Cannot schedule event in the past.")
        for key in ("name", "description", "scheduled_start_time", "scheduled_end_time"):
            if key in body:
                setattr(event, key, body[key])
        if "status" in body:
            event.status = int(body["status"])
        if body.get("entity_metadata"):
            event.location = body["entity_metadata"].get("location")
        self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event.to_dict(), guild_id=guild.id)
        return event.to_dict()

    @route("DELETE", "/guilds/{guild}/scheduled-events/{event}")
    async def handle_delete_event(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        event = self._event(req.params["guild"], req.params["event"])
        self._require_event_change(guild, event)
        del guild.events[event.id]
        self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event.to_dict(), guild_id=guild.id)
        return None

    def _require_event_change(self, guild: Guild, event: ScheduledEvent) -> None:
        """Editing or deleting: the bot's own events with Create Events or Manage Events, anyone
        else's with Manage Events only."""
        have = guild.base_permissions(self.bot_user.id)
        own = event.creator_id == self.bot_user.id
        if not have & (P.MANAGE_EVENTS | (P.CREATE_EVENTS if own else 0)):
            raise missing_permissions()

    def _event(self, guild_id: str, event_id: str) -> ScheduledEvent:
        event = self._guild(guild_id).events.get(int(event_id))
        if event is None:
            raise DiscordError(404, 10070, "Unknown Guild Scheduled Event")
        return event


def _ts(value: str | None) -> float:
    return dt.datetime.fromisoformat(str(value)).timestamp()


def _check_event(body: dict[str, Any], *, creating: bool, now: float) -> None:
    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise invalid_form("name", "Must be between 1 and 100 in length.")
    if int(body.get("entity_type") or 0) == 3:
        if not (body.get("entity_metadata") or {}).get("location"):
            raise invalid_form("entity_metadata", "An external event needs a location.")
        if not body.get("scheduled_end_time"):
            raise invalid_form("scheduled_end_time", "An external event needs an end time.")
    start = dt.datetime.fromisoformat(str(body["scheduled_start_time"]))
    if creating and start.timestamp() <= now:
        raise invalid_form("scheduled_start_time", "Cannot schedule event in the past.")
    end = body.get("scheduled_end_time")
    if end and dt.datetime.fromisoformat(str(end)) <= start:
        raise invalid_form("scheduled_end_time", "The end must be after the start.")
