"""/spoilers automod end to end, with the Message Content intent off: Discord's AutoMod blocks a leak of
a fresh spoiler word before anyone sees it, the word leaves the rule when its window ends (a durable
job, untouched by a restart), and the rule is remade or corrected after a moderator's hand."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.automod import RULE_NAME
from bot.episodes import EpisodeCode
from tests.cogs.countdowns.support import travel_to
from tests.cogs.support import DAY, air_time, severance
from tests.harness import Harness
from tests.loopback import Actor, DiscordError, Reply
from tests.loopback.automod import AutoModRule, add_rule_by_hand, delete_by_hand, edit_by_hand
from tests.support import until

RULES = r"^/guilds/\d+/auto-moderation/rules"
BLOCKED = 200000


def grant_manage_server(h: Harness) -> None:
    role = h.lb.bot_role(h.guild)
    h.lb.set_role_permissions(
        role, discord.Permissions(role.permissions | discord.Permissions(manage_guild=True).value)
    )


async def run(actor: Actor, command: str, **options: Any) -> Reply:
    reply = await actor.slash(command, **options)
    if reply.kind == "deferred":
        await reply.wait_done()
    return reply


def rule(h: Harness) -> AutoModRule:
    [ours] = [r for r in h.guild.automod_rules.values() if r.name == RULE_NAME]
    return ours


def blocked(h: Harness, text: str, *, member: str = "alice", where: str = "general") -> bool:
    """Whether Discord refuses a member's message as AutoMod would (nothing is stored or seen)."""
    channel = getattr(h.world, where)
    before = len(h.lb.channel_messages(channel))
    try:
        h.lb.post_as(h.world.members[member], channel, text)
    except DiscordError as exc:
        code = exc.code
    else:
        return False
    assert code == BLOCKED
    assert len(h.lb.channel_messages(channel)) == before
    return True


def changes(h: Harness) -> list[str]:
    """The requests that changed the rule, in order ('POST', 'PATCH', 'DELETE')."""
    return [
        r.method
        for r in h.lb.requests
        if r.method != "GET" and r.path.startswith(f"/guilds/{h.guild.id}/auto-moderation")
    ]


async def reghabi_blocked(h: Harness) -> None:
    """Severance, the bot with Manage Server, Reghabi a fresh word of S2E3, and AutoMod on."""
    await severance(h)
    grant_manage_server(h)
    await h.settle()
    await run(h.mod, "spoilers words add", episode="S2E3", word="Reghabi")
    await run(h.mod, "spoilers automod on")
    assert blocked(h, "reghabi")


async def status(h: Harness) -> str:
    reply = await h.owner.slash("config show")
    return str({f["name"]: f["value"] for f in reply.embeds[0]["fields"]}["AutoMod"])


async def test_a_fresh_word_is_blocked_until_its_window_ends_and_a_restart_changes_nothing(
    harness: Harness,
) -> None:
    h = harness
    assert not h.bot.intents.message_content  # nothing here reads members' messages
    await severance(h)
    grant_manage_server(h)
    await h.settle()
    reply = await run(h.mod, "spoilers automod on")
    assert "AutoMod is on" in reply.text and "No episode has fresh spoiler words yet" in reply.text
    assert "Manage Server" in reply.text and "exempt" in reply.text  # moderators aren't blocked: said
    assert h.guild.automod_rules == {} and changes(h) == []  # nothing to block: no rule yet
    reply = await run(h.mod, "spoilers words add", episode="S2E3", word="Reghabi")
    assert "AutoMod: on; blocking 1 keyword for S2E3" in reply.text, reply.text
    assert changes(h) == ["POST"]
    assert blocked(h, "OMG   REGHABI is back")
    assert not blocked(h, "reghabi!", where="spoilers")  # spoiler channels are exempt
    ours = rule(h)
    assert ours.actions[0]["metadata"]["custom_message"].startswith("That looks like a spoiler for S2E3")
    assert "reghabi" not in ours.actions[0]["metadata"]["custom_message"].lower()
    await run(h.mod, "spoilers words add", episode="S2E1", word="Gemma")  # aired weeks ago: stale
    assert changes(h) == ["POST"]  # the rule would not change: no request
    assert not blocked(h, "Gemma was great")

    await h.restart()
    end = await air_time(h, EpisodeCode(2, 3)) + 7 * DAY
    travel_to(h, end - 60)
    await h.bot.scheduler.wait_caught_up(h.clock.now())
    assert changes(h) == ["POST"] and blocked(h, "reghabi is back")  # a restart changed nothing
    travel_to(h, end)
    key = f"automod:end:{end}"

    async def released() -> bool:
        job = await h.bot.jobs.get(h.guild.id, "automod", key)
        return job is not None and job.state == "sent"

    await until(released, what="the window end's sync")
    assert changes(h) == ["POST", "PATCH"] and rule(h).enabled is False
    assert not blocked(h, "reghabi is back")
    assert (await status(h)).startswith("on; nothing to block")
    await h.restart()
    await h.bot.scheduler.wait_caught_up(h.clock.now())
    assert changes(h) == ["POST", "PATCH"]


async def test_without_manage_server_the_command_says_so_and_nothing_changes(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await run(h.mod, "spoilers automod on")
    assert reply.ephemeral and "**Manage Server**" in reply.text and "Server Settings > Roles" in reply.text
    assert "/spoilers automod on" in reply.text  # the example
    assert not (await h.bot.guild_store.get(h.guild.id)).automod_spoilers
    assert h.lb.requests_to("GET", RULES) == []
    assert (await status(h)).startswith("off")


async def test_a_rule_deleted_by_hand_is_made_again_and_one_edited_is_corrected(harness: Harness) -> None:
    h = harness
    await reghabi_blocked(h)
    first = rule(h)
    assert (await status(h)) == "on; blocking 1 keyword for S2E3"
    delete_by_hand(h.lb, h.guild, first)
    assert "missing" in await status(h)
    await run(h.mod, "spoilers words add", episode="S2E4", word="Cobel")
    second = rule(h)
    assert second.id != first.id and changes(h) == ["POST", "POST"]
    assert (await h.bot.guild_store.get(h.guild.id)).automod_rule_id == second.id
    assert blocked(h, "cobel knew") and blocked(h, "reghabi")

    edit_by_hand(h.lb, h.guild, second, enabled=False, exempt_channels=[h.world.general.id])
    assert "differs" in await status(h) and not blocked(h, "cobel knew")
    await run(h.mod, "spoilers words remove", episode="S2E4", word="Cobel")
    assert changes(h) == ["POST", "POST", "PATCH"]  # everything put right in one request
    assert rule(h).enabled and rule(h).exempt_channels == [h.world.spoilers.id]
    assert blocked(h, "reghabi") and not blocked(h, "cobel knew")


async def test_a_server_with_six_keyword_rules_is_refused_clearly(harness: Harness) -> None:
    h = harness
    await severance(h)
    grant_manage_server(h)
    await h.settle()
    await run(h.mod, "spoilers words add", episode="S2E3", word="Reghabi")
    for n in range(6):
        add_rule_by_hand(h.lb, h.guild, f"the mods' rule {n}", keywords=[f"word{n}"])
    reply = await run(h.mod, "spoilers automod on")
    assert "already has 6 keyword rules" in reply.text and "Nothing was changed" in reply.text
    assert "Server Settings > AutoMod" in reply.text
    assert not (await h.bot.guild_store.get(h.guild.id)).automod_spoilers and changes(h) == []
    delete_by_hand(h.lb, h.guild, next(iter(h.guild.automod_rules.values())))
    reply = await run(h.mod, "spoilers automod on")  # five of theirs: room for one of ours
    assert "AutoMod is on" in reply.text and changes(h) == ["POST"] and blocked(h, "reghabi")


@pytest.mark.parametrize("automod", [False, True], ids=["automod-off", "automod-on"])
async def test_a_word_that_cant_be_a_keyword_is_kept_and_says_why(harness: Harness, automod: bool) -> None:
    h = harness
    await severance(h)
    if automod:
        grant_manage_server(h)
        await h.settle()
        await run(h.mod, "spoilers automod on")
    reply = await run(h.mod, "spoilers words add", episode="S2E3", word="M*A*S*H")
    assert "Added" in reply.text and "AutoMod can't block" in reply.text and "wildcard" in reply.text
    assert [w.word for w in await h.bot.spoiler_words.words(h.guild.id)] == ["M*A*S*H"]
    assert h.guild.automod_rules == {}  # nothing it could block


async def test_a_schedule_change_brings_the_rule_in_line_at_once(harness: Harness) -> None:
    h = harness
    await reghabi_blocked(h)
    # The schedule was wrong: S2E3 aired a month ago, so its words are stale already.
    await h.bot.episodes.upsert(h.guild.id, [(EpisodeCode(2, 3), None, int(h.clock.now()) - 30 * DAY)])
    await until(lambda: not rule(h).enabled, what="the rule to follow the schedule")
    assert not blocked(h, "reghabi") and changes(h) == ["POST", "PATCH"]


async def test_off_removes_the_rule_and_the_discussion_channel_is_exempt(harness: Harness) -> None:
    h = harness
    await reghabi_blocked(h)
    await run(h.mod, "spoilers discussions", channel=h.world.theories)
    assert rule(h).exempt_channels == [h.world.spoilers.id, h.world.theories.id]
    reply = await run(h.mod, "spoilers automod off")
    assert "AutoMod is off" in reply.text and h.guild.automod_rules == {}
    assert not blocked(h, "reghabi")
    settings = await h.bot.guild_store.get(h.guild.id)
    assert not settings.automod_spoilers and settings.automod_rule_id is None
    pending = [
        j for j in await h.bot.jobs.list_for(h.guild.id, "automod", "automod:") if j.state == "pending"
    ]
    assert pending == []
