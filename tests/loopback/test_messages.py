"""The loopback's messages refuse what Discord refuses: edits of hour-old messages past the cap."""

from __future__ import annotations

from typing import Any

from tests.clocks import ShiftedClock
from tests.harness import World
from tests.loopback import LoopbackDiscord
from tests.loopback.messages import OLD_EDIT_WINDOW, created_at

HOUR = 3600.0


async def test_edits_of_hour_old_messages_stop_at_the_cap_with_30046_on_discords_clock(
    loopback: LoopbackDiscord, world: World, http: Any, discord_clock: ShiftedClock
) -> None:
    path = f"/channels/{world.general.id}/messages"
    old = (await http("POST", path, {"content": "votes: 0"}))[1]
    discord_clock.offset += 2 * HOUR  # two hours later on Discord's clock, not the wall's
    fresh = (await http("POST", path, {"content": "new"}))[1]
    assert created_at(int(fresh["id"])) - created_at(int(old["id"])) >= 2 * HOUR  # ids follow the clock
    for n in range(loopback.old_edit_limit):
        assert (await http("PATCH", f"{path}/{old['id']}", {"content": f"votes: {n + 1}"}))[0] == 200
    status, data = await http("PATCH", f"{path}/{old['id']}", {"content": "votes: 99"})
    assert (status, data["code"]) == (429, 30046)
    assert "retry_after" not in data  # not a bucket discord.py could wait out
    assert loopback.messages[int(old["id"])].content == f"votes: {loopback.old_edit_limit}"
    # A message younger than an hour is not counted, even in the same channel.
    assert (await http("PATCH", f"{path}/{fresh['id']}", {"content": "edited"}))[0] == 200
    # Another channel has its own count.
    spoilers = f"/channels/{world.spoilers.id}/messages"
    other = (await http("POST", spoilers, {"content": "x"}))[1]
    discord_clock.offset += 2 * HOUR
    assert (await http("PATCH", f"{spoilers}/{other['id']}", {"content": "y"}))[0] == 200
    # The window rolls on: within the hour of the first edits still refused, after it allowed again.
    discord_clock.offset = 2 * HOUR + OLD_EDIT_WINDOW - 60
    assert (await http("PATCH", f"{path}/{old['id']}", {"content": "votes: 6"}))[0] == 429
    discord_clock.offset = 2 * HOUR + OLD_EDIT_WINDOW + 1
    assert (await http("PATCH", f"{path}/{old['id']}", {"content": "votes: 6"}))[0] == 200
    assert loopback.old_edits_refused == 2


async def test_a_repeated_nonce_is_dropped_only_within_the_window_on_discords_clock(
    loopback: LoopbackDiscord, world: World, http: Any, discord_clock: ShiftedClock
) -> None:
    assert loopback.nonce_window == 120  # Discord: "the past few minutes"; the loopback takes two
    path = f"/channels/{world.general.id}/messages"
    body = {"content": "premiere!", "nonce": "ch7", "enforce_nonce": True}
    first = (await http("POST", path, body))[1]
    discord_clock.offset += loopback.nonce_window - 1
    assert (await http("POST", path, body))[1]["id"] == first["id"]
    assert loopback.nonce_hits == 1
    discord_clock.offset += 2  # past the window, counted from the first send: Discord has forgotten the nonce
    again = (await http("POST", path, body))[1]
    assert again["id"] != first["id"]
    assert [m.content for m in loopback.bot_messages(world.general)] == ["premiere!", "premiere!"]
    loopback.nonce_window = 600  # configurable
    discord_clock.offset += 500
    assert (await http("POST", path, body))[1]["id"] == again["id"]


async def test_a_message_of_only_embeds_without_embed_links_is_refused_not_stored_empty(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    import discord

    loopback.set_overwrite(
        world.general, loopback.bot_role(world.guild), deny=discord.Permissions(embed_links=True)
    )
    path = f"/channels/{world.general.id}/messages"
    status, data = await http("POST", path, {"embeds": [{"title": "Premiere", "description": "in 1 hour"}]})
    assert (status, data["code"]) == (400, 50006)
    assert loopback.bot_messages(world.general) == []
    # With content beside them, the embeds are dropped and the content is posted.
    status, data = await http(
        "POST", path, {"content": "Premiere in 1 hour", "embeds": [{"title": "Premiere"}]}
    )
    assert status == 200 and data["embeds"] == []
