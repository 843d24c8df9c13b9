"""The loopback's AutoMod: it must refuse and block what Discord does, or the AutoMod tests prove nothing."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from tests.harness import Harness, World
from tests.loopback import ChannelType, DiscordError, LoopbackDiscord
from tests.loopback.automod import (
    CUSTOM_MESSAGE_LIMIT,
    add_rule_by_hand,
    blocking_rule,
    delete_by_hand,
    keyword_matches,
)

RULES = "/guilds/{}/auto-moderation/rules"


def keyword_rule(keywords: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Cliffhanger: fresh spoilers",
        "event_type": 1,
        "trigger_type": 1,
        "trigger_metadata": {"keyword_filter": keywords},
        "actions": [{"type": 1, "metadata": {"custom_message": "Fresh spoiler for S2E3"}}],
        "enabled": True,
        **extra,
    }


def grant_manage_server(lb: LoopbackDiscord, world: World) -> None:
    role = lb.bot_role(world.guild)
    lb.set_role_permissions(
        role, discord.Permissions(role.permissions | discord.Permissions(manage_guild=True).value)
    )


def expect_violation(lb: LoopbackDiscord, fragment: str) -> None:
    """The refusal was recorded as a body the bot should never have sent; clear it (it is expected here)."""
    assert any(fragment in v for v in lb.violations), lb.violations
    lb.violations.clear()


# -- the documented matching strategies -------------------------------------------------------------
@pytest.mark.parametrize(
    ("keyword", "content", "matches"),
    [
        # Prefix: the word must start with the keyword.
        ("cat*", "catch", True),
        ("cat*", "Catapult", True),
        ("cat*", "CAttLE", True),
        ("cat*", "wildcat", False),
        ("the mat*", "see the matrix", True),
        # Suffix: the word must end with the keyword.
        ("*cat", "wildcat", True),
        ("*cat", "copyCat here", True),
        ("*cat", "catch", False),
        ("*the mat", "breathe mat", True),
        # Anywhere.
        ("*cat*", "location", True),
        ("*cat*", "eduCation", True),
        ("*the mat*", "breathe matter", True),
        # Whole word or phrase, surrounded by whitespace.
        ("cat", "cat", True),
        ("cat", "a cat sat", True),
        ("cat", "catch", False),
        ("cat", "wildcat", False),
        ("the mat", "on the mat today", True),
        ("the mat", "on the   mat", True),  # a run of spaces counts as one
        ("the mat", "on the matrix", False),
        ("the mat", "breathe mat", False),
        ("cat", "a cat!", False),  # the docs say whitespace, so punctuation is part of the word
        # Case-insensitive; accents are letters of their own (the docs promise no folding).
        ("HÉLLY", "hélly", True),
        ("hélly", "helly", False),
        ("helly", "hélly", False),
        # A lone or inner * is no wildcard.
        ("*", "anything", False),
        ("m*a*s*h", "m*a*s*h", True),
        ("m*a*s*h", "mash", False),
    ],
)
def test_keyword_matching_follows_discords_strategies(keyword: str, content: str, matches: bool) -> None:
    assert keyword_matches(keyword, content) is matches


# -- permissions and the rule endpoints ------------------------------------------------------------
async def test_every_automod_endpoint_needs_manage_server(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    path = RULES.format(world.guild.id)
    rule = add_rule_by_hand(loopback, world.guild, "hand made", keywords=["x"])
    for method, where, body in [
        ("GET", path, None),
        ("POST", path, keyword_rule(["reghabi"])),
        ("GET", f"{path}/{rule.id}", None),
        ("PATCH", f"{path}/{rule.id}", {"enabled": False}),
        ("DELETE", f"{path}/{rule.id}", None),
    ]:
        status, data = await http(method, where, body)
        assert (status, data["code"]) == (403, 50013), (method, where)
    assert list(world.guild.automod_rules) == [rule.id]
    assert rule.enabled


async def test_create_list_get_modify_delete(loopback: LoopbackDiscord, world: World, http: Any) -> None:
    grant_manage_server(loopback, world)
    path = RULES.format(world.guild.id)
    status, created = await http(
        "POST", path, keyword_rule(["reghabi"], exempt_channels=[str(world.spoilers.id)])
    )
    assert status == 200
    assert created["creator_id"] == str(loopback.bot_user.id)
    assert created["trigger_metadata"] == {
        "keyword_filter": ["reghabi"],
        "regex_patterns": [],
        "allow_list": [],
    }
    assert created["exempt_channels"] == [str(world.spoilers.id)] and created["exempt_roles"] == []
    assert (await http("GET", path, None)) == (200, [created])
    rule_path = f"{path}/{created['id']}"
    assert (await http("GET", rule_path, None)) == (200, created)

    status, changed = await http(
        "PATCH", rule_path, {"trigger_metadata": {"keyword_filter": ["gemma", "helly r"]}}
    )
    assert status == 200
    assert changed["trigger_metadata"]["keyword_filter"] == ["gemma", "helly r"]
    assert changed["exempt_channels"] == created["exempt_channels"]  # untouched fields stay
    assert (await http("DELETE", rule_path, None)) == (204, None)
    assert (await http("GET", path, None)) == (200, [])
    assert (await http("GET", rule_path, None))[0] == 404
    assert (await http("PATCH", rule_path, {"enabled": True}))[0] == 404


async def test_a_rule_is_created_disabled_unless_asked(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    grant_manage_server(loopback, world)
    body = keyword_rule(["reghabi"])
    del body["enabled"]
    status, created = await http("POST", RULES.format(world.guild.id), body)
    assert status == 200 and created["enabled"] is False
    assert blocking_rule(world.guild, world.members["alice"], world.general, "reghabi") is None


async def test_at_most_six_keyword_rules_per_server(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    grant_manage_server(loopback, world)
    for i in range(5):
        add_rule_by_hand(loopback, world.guild, f"moderators' rule {i}", keywords=[f"word{i}"])
    add_rule_by_hand(loopback, world.guild, "spam filter", trigger_type=3)  # other trigger types don't count
    path = RULES.format(world.guild.id)
    status, sixth = await http("POST", path, keyword_rule(["reghabi"]))
    assert status == 200
    status, data = await http("POST", path, keyword_rule(["gemma"]))
    assert (status, data["code"], data["message"]) == (400, 50035, "Invalid Form Body")
    assert data["errors"] == {
        "0": {
            "_errors": [
                {
                    "code": "AUTO_MODERATION_MAX_RULES_OF_TYPE_EXCEEDED",
                    "message": "Maximum number of rules with trigger type 1 is 6",
                }
            ]
        }
    }
    assert loopback.violations == []  # a full server is a state the bot must cope with, not a bad body
    # Deleting one makes room again; one spam rule is the most a server gets.
    assert (await http("DELETE", f"{path}/{sixth['id']}", None))[0] == 204
    assert (await http("POST", path, keyword_rule(["gemma"])))[0] == 200
    spam = {"name": "spam", "event_type": 1, "trigger_type": 3, "actions": [{"type": 1}]}
    status, data = await http("POST", path, spam)
    assert status == 400 and "trigger type 3 is 1" in str(data["errors"])


@pytest.mark.parametrize(
    ("body", "where"),
    [
        (keyword_rule(["x" * 61]), "trigger_metadata"),
        (keyword_rule([f"w{i}" for i in range(1001)]), "trigger_metadata"),
        (keyword_rule([""]), "trigger_metadata"),
        (keyword_rule(["x"], exempt_channels=[str(i + 1) for i in range(51)]), "exempt_channels"),
        (keyword_rule(["x"], exempt_roles=[str(i + 1) for i in range(21)]), "exempt_roles"),
        (
            keyword_rule(
                ["x"], actions=[{"type": 1, "metadata": {"custom_message": "m" * (CUSTOM_MESSAGE_LIMIT + 1)}}]
            ),
            "custom_message",
        ),
        ({k: v for k, v in keyword_rule(["x"]).items() if k != "trigger_metadata"}, "trigger_metadata"),
        ({k: v for k, v in keyword_rule(["x"]).items() if k != "actions"}, "actions"),
        (keyword_rule(["x"], name="n" * 101), "name"),
    ],
    ids=[
        "keyword-61-chars",
        "1001-keywords",
        "empty-keyword",
        "51-exempt-channels",
        "21-exempt-roles",
        "custom-message-151",
        "no-trigger-metadata",
        "no-actions",
        "name-101",
    ],
)
async def test_rule_bodies_over_discords_limits_are_refused(
    loopback: LoopbackDiscord, world: World, http: Any, body: dict[str, Any], where: str
) -> None:
    grant_manage_server(loopback, world)
    status, data = await http("POST", RULES.format(world.guild.id), body)
    assert (status, data["code"]) == (400, 50035)
    expect_violation(loopback, where)
    assert world.guild.automod_rules == {}


async def test_limits_hold_on_modify_too_and_nothing_half_changes(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    grant_manage_server(loopback, world)
    path = RULES.format(world.guild.id)
    _, created = await http("POST", path, keyword_rule(["reghabi"]))
    rule_path = f"{path}/{created['id']}"
    too_long = {"type": 1, "metadata": {"custom_message": "m" * (CUSTOM_MESSAGE_LIMIT + 1)}}
    status, _ = await http("PATCH", rule_path, {"enabled": False, "actions": [too_long]})
    assert status == 400
    expect_violation(loopback, "custom_message")
    status, _ = await http("PATCH", rule_path, {"trigger_metadata": {"keyword_filter": ["y" * 61]}})
    assert status == 400
    expect_violation(loopback, "trigger_metadata")
    status, _ = await http("PATCH", rule_path, {"trigger_type": 3})
    assert status == 400
    expect_violation(loopback, "trigger_type")
    assert (await http("GET", rule_path, None))[1] == created
    exactly = {"type": 1, "metadata": {"custom_message": "m" * CUSTOM_MESSAGE_LIMIT}}
    assert (await http("PATCH", rule_path, {"actions": [exactly]}))[0] == 200


async def test_a_timeout_action_needs_moderate_members(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    grant_manage_server(loopback, world)
    body = keyword_rule(["x"], actions=[{"type": 3, "metadata": {"duration_seconds": 60}}])
    status, data = await http("POST", RULES.format(world.guild.id), body)
    assert (status, data["code"]) == (403, 50013)


# -- blocking a member's message ----------------------------------------------------------------------
def test_a_member_message_that_trips_a_rule_is_refused_and_never_stored(
    loopback: LoopbackDiscord, world: World
) -> None:
    alice = world.members["alice"]
    add_rule_by_hand(
        loopback, world.guild, "fresh", keywords=["reghabi", "helly r"], exempt_channels=[world.spoilers.id]
    )
    before = dict(loopback.messages)
    for leak in ("Reghabi is back", "so HELLY R was", "wow\nreghabi"):
        with pytest.raises(DiscordError) as refused:
            loopback.post_as(alice, world.general, leak)
        assert (refused.value.status, refused.value.code) == (400, 200000)
        assert refused.value.message == "Message was blocked by automatic moderation"
    assert loopback.messages == before
    # Not a whole word, an exempt channel, or a thread in one: let through.
    loopback.post_as(alice, world.general, "reghabis everywhere")
    loopback.post_as(alice, world.spoilers, "reghabi is back")
    thread = loopback.add_channel(world.guild, "s2e3", type=ChannelType.PUBLIC_THREAD, parent=world.spoilers)
    loopback.post_as(alice, thread, "reghabi again")
    assert len(loopback.messages) == len(before) + 3


def test_edits_are_checked_too(loopback: LoopbackDiscord, world: World) -> None:
    alice = world.members["alice"]
    add_rule_by_hand(loopback, world.guild, "fresh", keywords=["reghabi"])
    message = loopback.post_as(alice, world.general, "what a week")
    with pytest.raises(DiscordError) as refused:
        loopback.edit_as(message, "what a week, reghabi is back")
    assert refused.value.code == 200000
    assert message.content == "what a week" and message.history == []


def test_who_and_where_a_rule_does_not_reach(loopback: LoopbackDiscord, world: World) -> None:
    alice, owner = world.members["alice"], world.members["owner"]
    rule = add_rule_by_hand(loopback, world.guild, "fresh", keywords=["reghabi"])
    # A disabled rule blocks nothing.
    rule.enabled = False
    loopback.post_as(alice, world.general, "reghabi")
    rule.enabled = True
    # The owner, and members with Manage Server or Administrator, are not subject to AutoMod.
    loopback.post_as(owner, world.general, "reghabi")
    admin_role = loopback.add_role(world.guild, "Admins", discord.Permissions(manage_guild=True))
    admin = loopback.add_member(world.guild, "cobel", roles=[admin_role])
    loopback.post_as(admin, world.general, "reghabi")
    # An exempt role.
    crew = loopback.add_role(world.guild, "Recap crew")
    writer = loopback.add_member(world.guild, "irving", roles=[crew])
    rule.exempt_roles = [crew.id]
    loopback.post_as(writer, world.general, "reghabi")
    # A channel in an exempt category.
    category = loopback.add_channel(world.guild, "Spoiler zone", type=ChannelType.CATEGORY)
    inside = loopback.add_channel(world.guild, "s2-talk", parent=category)
    rule.exempt_channels = [category.id]
    loopback.post_as(alice, inside, "reghabi")
    with pytest.raises(DiscordError):
        loopback.post_as(alice, world.general, "reghabi")
    # A rule whose last keyword was deleted by hand blocks nothing more.
    delete_by_hand(loopback, world.guild, rule)
    loopback.post_as(alice, world.general, "reghabi")


async def test_the_real_client_drives_the_rules_and_a_blocked_leak_never_reaches_it(harness: Harness) -> None:
    lb, world = harness.lb, harness.world
    grant_manage_server(lb, world)
    await harness.settle()
    guild = harness.bot.get_guild(world.guild.id)
    assert guild is not None
    rule = await guild.create_automod_rule(
        name="Cliffhanger: fresh spoilers",
        event_type=discord.AutoModRuleEventType.message_send,
        trigger=discord.AutoModTrigger(
            type=discord.AutoModRuleTriggerType.keyword, keyword_filter=["reghabi"]
        ),
        actions=[
            discord.AutoModRuleAction(custom_message="Fresh spoiler for S2E3, still in its window here.")
        ],
        enabled=True,
        exempt_channels=[discord.Object(world.spoilers.id)],
    )
    fetched = await guild.fetch_automod_rules()
    assert [r.id for r in fetched] == [rule.id]
    assert fetched[0].trigger.keyword_filter == ["reghabi"]
    assert fetched[0].actions[0].custom_message == "Fresh spoiler for S2E3, still in its window here."
    assert fetched[0].exempt_channel_ids == {world.spoilers.id}

    frames = sum(len(s.buffer) for s in lb.sessions.values())
    with pytest.raises(DiscordError):
        lb.post_as(world.members["alice"], world.general, "Reghabi did it")
    assert sum(len(s.buffer) for s in lb.sessions.values()) == frames  # nothing dispatched

    edited = await rule.edit(
        trigger=discord.AutoModTrigger(type=discord.AutoModRuleTriggerType.keyword, keyword_filter=["gemma"])
    )
    assert edited.trigger.keyword_filter == ["gemma"]
    lb.post_as(world.members["alice"], world.general, "Reghabi did it")
    await rule.delete()
    assert await guild.fetch_automod_rules() == []
