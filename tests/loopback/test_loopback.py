"""The loopback Discord itself: it must refuse what Discord refuses, or the other tests prove nothing."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import discord
import pytest

from bot.core import IDENTIFY_WINDOW
from tests.harness import Harness, World
from tests.loopback import BOT_TOKEN, LoopbackDiscord
from tests.loopback.limits import DiscordLimits
from tests.loopback.spec import SHARED_SPEC_PATH, SPEC_PATH, validate_body


def test_the_vendored_spec_matches_the_shared_one() -> None:
    if not SHARED_SPEC_PATH.is_file():
        pytest.skip("../shared is not beside this checkout")
    assert json.loads(SPEC_PATH.read_text()) == json.loads(SHARED_SPEC_PATH.read_text())


def test_spec_validation_catches_what_discord_refuses() -> None:
    assert (
        validate_body("POST", "/channels/1/messages", {"content": "hi", "allowed_mentions": {"parse": []}})
        == []
    )
    assert (
        validate_body("POST", "/channels/1/messages", {"content": "x" * 2001})[0]
        == "content: 2001 characters, the limit is 2000"
    )
    assert any(
        "nonce" in p
        for p in validate_body("POST", "/channels/1/messages", {"content": "x", "nonce": "n" * 26})
    )
    embed = {"title": "t" * 257}
    assert validate_body("POST", "/channels/1/messages", {"embeds": [embed]})
    big = {"description": "d" * 4000, "fields": [{"name": "n", "value": "v" * 1000}] * 3}
    assert "embed text totals" in " ".join(validate_body("POST", "/channels/1/messages", {"embeds": [big]}))
    mentions = {"content": "x", "allowed_mentions": {"parse": ["users"], "users": ["1"]}}
    assert "parse 'users' together with a users list" in " ".join(
        validate_body("POST", "/channels/1/messages", mentions)
    )
    assert validate_body(
        "POST",
        "/interactions/1/t/callback",
        {"type": 8, "data": {"choices": [{"name": "a", "value": "a"}] * 26}},
    )
    assert validate_body("POST", "/not/a/route", {}) == [
        "POST /not/a/route is not an endpoint in Discord's OpenAPI spec"
    ]


async def test_invalid_bodies_are_refused_and_recorded(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    status, data = await http("POST", f"/channels/{world.general.id}/messages", {"content": "x" * 2001})
    assert status == 400 and data["code"] == 50035
    assert loopback.violations == [
        f"POST /channels/{world.general.id}/messages: content: 2001 characters, the limit is 2000"
    ]
    loopback.violations.clear()  # expected here; any other test with a violation fails


async def test_embed_limits_are_refused_per_message_not_only_per_embed(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    path = f"/channels/{world.general.id}/messages"
    half = {"title": "Season", "description": "x" * 3500}
    fine = {"embeds": [{"title": "Season", "description": "x" * 2900}] * 2}
    assert (await http("POST", path, fine))[0] == 200
    for body, problem in (
        ({"embeds": [half, half]}, "embeds: 7012 characters in all, the limit is 6000 per message"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v" * 1025}]}]}, "the limit is 1024"),
        ({"embeds": [{"fields": [{"name": "n", "value": "v"}] * 26}]}, "fields: 26, the limit is 25"),
    ):
        status, data = await http("POST", path, body)
        assert status == 400 and data["code"] == 50035, body
        assert any(problem in v for v in loopback.violations), loopback.violations
        loopback.violations.clear()


async def test_permissions_follow_discords_algorithm(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    bot_role = loopback.bot_role(world.guild)
    path = f"/channels/{world.spoilers.id}/messages"
    assert (await http("POST", path, {"content": "ok"}))[0] == 200
    loopback.set_overwrite(world.spoilers, world.guild.everyone, deny=discord.Permissions(view_channel=True))
    status, data = await http("POST", path, {"content": "hidden"})
    assert (status, data["code"]) == (403, 50001)
    loopback.set_overwrite(
        world.spoilers,
        bot_role,
        allow=discord.Permissions(view_channel=True),
        deny=discord.Permissions(send_messages=True),
    )
    status, data = await http("POST", path, {"content": "no send"})
    assert (status, data["code"], data["message"]) == (403, 50013, "Missing Permissions")
    # A member overwrite beats the role overwrite.
    loopback.set_overwrite(world.spoilers, loopback.bot_user, allow=discord.Permissions(send_messages=True))
    assert (await http("POST", path, {"content": "member allow"}))[0] == 200
    # Administrator overrides everything.
    loopback.set_role_permissions(bot_role, discord.Permissions(administrator=True))
    loopback.set_overwrite(world.spoilers, loopback.bot_user, deny=discord.Permissions(send_messages=True))
    assert (await http("POST", path, {"content": "admin"}))[0] == 200


async def test_nonce_with_enforce_nonce_returns_the_existing_message(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    body = {"content": "premiere!", "nonce": "ch7", "enforce_nonce": True}
    first = await http("POST", f"/channels/{world.general.id}/messages", body)
    second = await http("POST", f"/channels/{world.general.id}/messages", body)
    assert first[1]["id"] == second[1]["id"]
    assert len(loopback.bot_messages(world.general)) == 1


async def test_interactions_answer_once_and_within_the_deadline(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    loopback.interaction_deadline = 0.2
    member = world.members["alice"]
    inter = loopback.new_interaction(
        type=2, guild=world.guild, channel=world.general, member=member, data={"name": "x"}
    )
    path = f"/interactions/{inter.id}/{inter.token}/callback"
    assert (await http("POST", path, {"type": 4, "data": {"content": "one"}}))[0] == 200
    status, data = await http("POST", path, {"type": 4, "data": {"content": "two"}})
    assert (status, data["code"]) == (400, 40060)

    late = loopback.new_interaction(
        type=2, guild=world.guild, channel=world.general, member=member, data={"name": "x"}
    )
    await asyncio.wait_for(late.answered.wait(), 5)  # set by the deadline: Discord gave up on it
    assert late.expired
    status, data = await http(
        "POST", f"/interactions/{late.id}/{late.token}/callback", {"type": 4, "data": {"content": "late"}}
    )
    assert (status, data["code"]) == (404, 10062)
    assert late.expired and late.late_response


async def test_the_real_client_survives_injected_5xx_and_429(harness: Harness) -> None:
    lb = harness.lb
    lb.inject(502, method="POST", path=r"/channels/\d+/messages$")
    lb.inject(429, method="POST", path=r"/channels/\d+/messages$", retry_after=0.05, is_global=True)
    channel = harness.bot.get_channel(harness.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    message = await channel.send("still delivered")
    assert [m.content for m in lb.bot_messages(harness.world.general)] == ["still delivered"]
    assert message.id == lb.bot_messages(harness.world.general)[0].id
    assert [r.status for r in lb.requests_to("POST", r"/channels/\d+/messages$")] == [502, 429, 200]


async def test_a_lost_reply_is_deduplicated_by_the_nonce(harness: Harness) -> None:
    """The request reaches Discord but the answer is lost: the retry with the nonce creates nothing new."""
    lb = harness.lb
    lb.inject(500, method="POST", path=r"/channels/\d+/messages$", after=True)
    channel = harness.bot.get_channel(harness.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("once", nonce="ch99")
    assert [m.content for m in lb.bot_messages(harness.world.general)] == ["once"]


async def test_reidentify_after_an_invalidated_session(harness: Harness) -> None:
    ready_again = asyncio.get_running_loop().create_future()

    async def on_ready() -> None:
        if not ready_again.done():
            ready_again.set_result(True)

    harness.bot.add_listener(on_ready)
    await harness.lb.invalidate_sessions()
    await asyncio.wait_for(ready_again, 10)
    assert harness.lb.identify_count == 2
    # The bot waited its turn to IDENTIFY (on PostgreSQL by the database's clock, which moved on a
    # little since the first IDENTIFY).
    assert harness.identify_clock.slept == [pytest.approx(IDENTIFY_WINDOW, abs=1.0)]
    reply = await harness.owner.slash("about")
    assert reply.embeds


async def test_message_content_needs_the_intent(harness: Harness) -> None:
    """Without the privileged intent, other members' messages reach the bot without content."""
    seen: list[str] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    harness.bot.add_listener(on_message)
    harness.lb.post_as(harness.world.members["alice"], harness.world.general, "secret words")
    await harness.settle()
    assert seen == []  # no GUILD_MESSAGES intent either: the event is not even sent


async def test_a_privileged_intent_the_app_lacks_closes_with_4014(
    loopback: LoopbackDiscord, world: World
) -> None:
    client = discord.Client(intents=discord.Intents(guilds=True, message_content=True, guild_messages=True))
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with client:
            await client.start(BOT_TOKEN)


async def test_realistic_mode_refuses_past_50_requests_per_second(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    loopback.limits = DiscordLimits()
    statuses = [(await http("GET", "/users/@me"))[0] for _ in range(60)]
    assert statuses.count(200) == 50
    assert statuses.count(429) == 10
    assert loopback.limits.refused["global"] == 10
    inter = loopback.new_interaction(
        type=2, guild=world.guild, channel=world.general, member=world.members["alice"], data={}
    )
    # Interaction responses do not count against the global limit.
    assert (
        await http(
            "POST", f"/interactions/{inter.id}/{inter.token}/callback", {"type": 4, "data": {"content": "ok"}}
        )
    )[0] == 200


async def test_realistic_mode_paces_the_real_client_per_channel(harness: Harness) -> None:
    harness.lb.limits = limits = DiscordLimits(channel_period=0.5)
    channel = harness.bot.get_channel(harness.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    await asyncio.gather(*(channel.send(f"message {i}") for i in range(12)))
    assert len(harness.lb.bot_messages(harness.world.general)) == 12
    # discord.py read the X-RateLimit headers and waited instead of hitting the bucket.
    assert limits.refused["channel"] == 0, limits.refused
    assert limits.refused["global"] == 0


def test_each_route_has_one_handler_across_the_resource_modules() -> None:
    from tests.loopback.core import route

    class Twice(LoopbackDiscord):
        @route("POST", "/channels/{channel}/messages")
        async def handle_another_create_message(self, req: object) -> None:
            return None

    class Overridden(LoopbackDiscord):
        @route("POST", "/channels/{channel}/messages")
        async def handle_create_message(self, req: object) -> None:
            return None

    with pytest.raises(RuntimeError, match=re.escape("two loopback handlers for POST /channels/{channel}")):
        Twice()
    assert Overridden()._routes  # overriding the same handler is fine
    routes = {(m, p.pattern) for m, p, _ in LoopbackDiscord()._routes}
    assert len(routes) == len(LoopbackDiscord()._routes) >= 38
