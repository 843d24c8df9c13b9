"""Scheduled events: creating, editing and deleting them, with Discord's permissions and time rules.

Permissions since 2026-02-23 (change log 2025-11-24, "Permission Changes Going into Effect February
2026"): creating an event needs Create Events (`1 << 44`); Manage Events alone no longer does. Create
Events also lets the creator edit and delete the events it made; other people's events need Manage
Events.
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


class Events(Gateway):
    """A guild's scheduled events (countdowns mirror premieres as external events)."""

    @route("GET", "/guilds/{guild}/scheduled-events")
    async def handle_list_events(self, req: Request) -> Any:
        return [e.to_dict() for e in self._guild(req.params["guild"]).events.values()]

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
        return self._event(req.params["guild"], req.params["event"]).to_dict()

    @route("PATCH", "/guilds/{guild}/scheduled-events/{event}")
    async def handle_edit_event(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        event = self._event(req.params["guild"], req.params["event"])
        self._require_event_change(guild, event)
        body = req.body or {}
        _check_event({**event.to_dict(), **body}, creating=False, now=self.clock())
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
