"""The loopback's scheduled events refuse what Discord refuses: permissions since February 2026."""

from __future__ import annotations

import time
from typing import Any

import discord

from tests.harness import World
from tests.loopback import LoopbackDiscord
from tests.loopback.state import iso


def external(name: str = "Premiere", *, start: float | None = None) -> dict[str, Any]:
    at = start if start is not None else time.time() + 86_400
    return {
        "name": name,
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": iso(at),
        "scheduled_end_time": iso(at + 3600),
        "entity_metadata": {"location": "Announced in #announcements"},
    }


def bot_permissions(lb: LoopbackDiscord, world: World, **flags: bool) -> None:
    lb.set_role_permissions(lb.bot_role(world.guild), discord.Permissions(view_channel=True, **flags))


async def test_creating_an_event_needs_create_events_manage_events_alone_no_longer_does(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    path = f"/guilds/{world.guild.id}/scheduled-events"
    bot_permissions(loopback, world, manage_events=True)
    status, data = await http("POST", path, external())
    assert (status, data["code"]) == (403, 50013)
    assert world.guild.events == {}
    bot_permissions(loopback, world, create_events=True)
    status, data = await http("POST", path, external())
    assert status == 200 and data["creator_id"] == str(loopback.bot_user.id)


async def test_create_events_edits_and_deletes_only_the_bots_own_events(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    bot_permissions(loopback, world, create_events=True)
    path = f"/guilds/{world.guild.id}/scheduled-events"
    own = (await http("POST", path, external("Ours")))[1]
    theirs = loopback.add_event(
        world.guild, "Watch party", start=time.time() + 86_400, creator=world.members["mod"]
    )
    assert (await http("PATCH", f"{path}/{own['id']}", {"name": "Ours, renamed"}))[0] == 200
    status, data = await http("PATCH", f"{path}/{theirs.id}", {"name": "Hijacked"})
    assert (status, data["code"]) == (403, 50013)
    status, data = await http("DELETE", f"{path}/{theirs.id}")
    assert (status, data["code"]) == (403, 50013)
    assert world.guild.events[theirs.id].name == "Watch party"
    assert (await http("DELETE", f"{path}/{own['id']}"))[0] == 204
    # Manage Events covers everyone's events.
    bot_permissions(loopback, world, manage_events=True)
    assert (await http("PATCH", f"{path}/{theirs.id}", {"name": "Watch party!"}))[0] == 200
