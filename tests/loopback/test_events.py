"""The loopback's scheduled events refuse what Discord refuses: permissions since February 2026."""

from __future__ import annotations

import time
from typing import Any

import discord

from tests.clocks import ShiftedClock
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


async def test_an_external_event_goes_active_at_its_start_and_completed_at_its_end_then_is_final(
    loopback: LoopbackDiscord, world: World, http: Any, discord_clock: ShiftedClock
) -> None:
    path = f"/guilds/{world.guild.id}/scheduled-events"
    start = time.time() + 3600
    event = (await http("POST", path, external(start=start)))[1]
    assert event["status"] == 1
    one = f"{path}/{event['id']}"
    status, data = await http("PATCH", one, {"status": 3})  # SCHEDULED -> COMPLETED is not a transition
    assert (status, data["code"]) == (400, 50035)
    discord_clock.offset = 3601
    assert (await http("GET", one))[1]["status"] == 2  # active on its own at the start
    status, data = await http("PATCH", one, {"scheduled_start_time": iso(start + 86_400)})
    assert (status, data["code"]) == (400, 50035)  # an active event's start stays
    assert (await http("PATCH", one, {"name": "Premiere (live)"}))[0] == 200
    discord_clock.offset = 2 * 3600 + 1
    assert (await http("GET", one))[1]["status"] == 3  # completed at its end
    status, data = await http("PATCH", one, {"name": "Again"})
    assert (status, data["code"]) == (400, 180000)
    assert (await http("DELETE", one))[0] == 204
    # Cancelled is final too.
    other = (await http("POST", path, external("Finale", start=discord_clock.now() + 86_400)))[1]
    assert (await http("PATCH", f"{path}/{other['id']}", {"status": 4}))[0] == 200
    status, data = await http("PATCH", f"{path}/{other['id']}", {"status": 1})
    assert (status, data["code"]) == (400, 180000)


async def test_a_guild_holds_at_most_100_scheduled_or_active_events(
    loopback: LoopbackDiscord, world: World, http: Any, discord_clock: ShiftedClock
) -> None:
    soon = loopback.add_event(
        world.guild, "Watch party", start=time.time() + 60, creator=world.members["mod"]
    )
    for n in range(98):
        loopback.add_event(
            world.guild, f"Event {n}", start=time.time() + 86_400, creator=world.members["mod"]
        )
    path = f"/guilds/{world.guild.id}/scheduled-events"
    assert (await http("POST", path, external("The 100th")))[0] == 200
    status, data = await http("POST", path, external("The 101st"))
    assert (status, data["code"]) == (400, 30038)
    discord_clock.offset = 61  # the watch party started: active still counts
    assert (await http("POST", path, external("The 101st")))[1]["code"] == 30038
    discord_clock.offset = 3600 + 61  # and it ended: a place is free
    assert (await http("POST", path, external("The 101st")))[0] == 200
    assert world.guild.events[soon.id].status == 3
