"""/spoilers end to end through the loopback: channels, window, words, roles, the guard, and who may."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from bot.episodes import EpisodeCode
from tests.cogs.support import DAY, severance, with_message_content
from tests.harness import Harness
from tests.loopback import Actor, ClientRefused
from tests.support import PING, unescape, visible_outside_spoilers


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ("spoilers channel add", {"channel": "spoilers"}),
        ("spoilers channel list", {}),
        ("spoilers window", {"length": "3 days"}),
        ("spoilers words add", {"episode": "S2E3", "word": "Reghabi"}),
        ("spoilers guard on", {}),
        ("spoilers roles list", {}),
    ],
)
async def test_members_cannot_run_moderator_commands(
    harness: Harness, command: str, options: dict[str, str]
) -> None:
    h = harness
    values: dict[str, Any] = {k: (h.world.spoilers if v == "spoilers" else v) for k, v in options.items()}
    reply = await h.alice.slash(command, **values)
    assert reply.ephemeral
    assert "Only moderators can do that" in reply.text
    assert await h.bot.spoiler_words.words(h.guild.id) == []


async def test_channels_add_list_remove(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.mod.slash("spoilers channel add", channel=h.world.spoilers)
    assert "already is a spoiler channel" in reply.text
    reply = await h.mod.slash("spoilers channel list")
    assert f"<#{h.world.spoilers.id}>" in reply.text
    reply = await h.mod.slash("spoilers channel remove", channel=h.world.general)
    assert "isn't a spoiler channel" in reply.text and "Example" in reply.text
    reply = await h.mod.slash("spoilers channel remove", channel=h.world.spoilers)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text
    reply = await h.mod.slash("spoilers channel list")
    assert "none yet" in reply.text


async def test_adding_a_channel_names_the_missing_permission(harness: Harness) -> None:
    h = harness
    h.lb.set_overwrite(
        h.world.spoilers, h.lb.bot_role(h.guild), deny=discord.Permissions(manage_messages=True)
    )
    await h.settle()
    reply = await h.owner.slash("spoilers channel add", channel=h.world.spoilers)
    assert reply.ephemeral
    assert "**Manage Messages**" in reply.text
    assert "Example" in reply.text
    assert await h.bot.spoiler_channels.ids(h.guild.id) == frozenset()


async def test_window_reads_lengths_and_refuses_nonsense(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.mod.slash("spoilers window", length="36 hours")
    assert "1 day 12 hours" in reply.text
    assert (await h.bot.guild_store.get(h.guild.id)).spoiler_window_seconds == 36 * 3600
    for bad in ("hello", "0 hours", "400 days", "3 fortnights"):
        reply = await h.mod.slash("spoilers window", length=bad)
        assert reply.text.startswith("\N{CROSS MARK}"), bad
        assert "/spoilers window length:7 days" in reply.text
    reply = await h.owner.slash("config show")
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert "1 day 12 hours" in fields["Spoilers"]
    assert f"<#{h.world.spoilers.id}>" in fields["Spoiler channels"]


@pytest.mark.parametrize(
    ("code", "expected"),
    [("S0E0", "numbered from 1"), ("hello", "not an episode code"), ("S2E99", "Season 2 has 10 episodes")],
)
async def test_bad_episode_codes_are_refused_everywhere(harness: Harness, code: str, expected: str) -> None:
    h = harness
    await severance(h)
    cases: list[tuple[Actor, str, dict[str, Any]]] = [
        (h.mod, "spoilers words add", {"word": "Reghabi"}),
        (h.alice, "progress set", {}),
        (h.mod, "recap write", {}),
    ]
    for actor, command, options in cases:
        reply = await actor.slash(command, episode=code, **options)
        assert reply.kind == "message" and reply.ephemeral, (command, reply)
        assert expected in reply.text, (command, reply.text)
        assert "Example" in reply.text
    assert await h.bot.progress.get(h.guild.id, h.alice.id) is None
    assert await h.bot.spoiler_words.words(h.guild.id) == []


async def test_words_add_list_remove_stay_hidden(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.mod.slash("spoilers words add", episode="2x03", word="Reghabi")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text and "||Reghabi||" in reply.text
    reply = await h.mod.slash("spoilers words add", episode="s02e03", word="REGHABI")
    assert "already is a spoiler word" in reply.text
    reply = await h.mod.slash("spoilers words add", episode="S2E3", word="!!!")
    assert "at least one letter" in reply.text
    reply = await h.mod.slash("spoilers words list")
    assert "**S2E3**: ||Reghabi||" in reply.text
    reply = await h.mod.slash("spoilers words remove", episode="S2E3", word="reghabi")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text
    reply = await h.mod.slash("spoilers words remove", episode="S2E3", word="reghabi")
    assert "no such spoiler word" in reply.text
    reply = await h.mod.slash("spoilers words list")
    assert "no spoiler words" in reply.text


async def test_over_long_input_is_refused_by_discord_before_the_bot(harness: Harness) -> None:
    h = harness
    await severance(h)
    with pytest.raises(ClientRefused):
        await h.mod.slash("spoilers words add", episode="S2E3", word="x" * 101)
    reply = await h.mod.slash("recap write", episode="S2E3")
    with pytest.raises(ClientRefused):
        await h.mod.submit(reply, text="x" * 4001)


async def test_spoiler_words_keep_titles_neutral(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.mod.slash("spoilers words add", episode="S2E3", word="Reghabi")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text
    reply = await h.owner.slash("config announcements", channel=h.world.announcements)
    reply = await h.owner.slash("countdown create", title="Is réghabi back?", when="in 3 days")
    assert "spoiler word for S2E3" in reply.text and "Reghabi" not in reply.text
    # After the window (7 days from yesterday's airing) the word is no longer a spoiler.
    h.clock.jump(7 * DAY)
    reply = await h.owner.slash("countdown create", title="Is réghabi back?", when="in 3 days")
    if reply.kind == "deferred":
        await reply.wait_done()
    assert "\N{WHITE HEAVY CHECK MARK} Countdown #" in reply.text


async def test_the_guard_refuses_without_the_message_content_intent(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.mod.slash("spoilers guard on")
    assert reply.ephemeral
    assert "Message Content" in reply.text and "MESSAGE_CONTENT_INTENT=true" in reply.text
    assert not (await h.bot.guild_store.get(h.guild.id)).spoiler_guard


async def test_the_guard_removes_and_reposts_a_leak(harness: Harness) -> None:
    h = harness
    await severance(h)
    await with_message_content(h)
    await h.mod.slash("spoilers words add", episode="S2E3", word="Reghabi")
    await h.mod.slash("spoilers words add", episode="S2E1", word="Gemma")  # aired weeks ago: stale
    reply = await h.mod.slash("spoilers guard on")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text

    alice = h.world.members["alice"]
    old = h.lb.post_as(alice, h.world.general, "Gemma was great")
    safe = h.lb.post_as(alice, h.world.spoilers, "Reghabi!!")  # spoiler channels are left alone
    tagged = h.lb.post_as(alice, h.world.general, "guess who: ||Reghabi||")  # already behind tags
    leak = h.lb.post_as(alice, h.world.general, "OMG reghabi is back @everyone <@&1>")
    repost = await h.lb.wait_for_message(
        lambda m: (
            m.author.id == h.lb.bot_user.id
            and m.channel_id == h.world.general.id
            and not m.ephemeral
            and "||" in m.content
        )
    )
    await h.settle()
    assert leak.deleted and not old.deleted and not safe.deleted
    assert "@helly" in repost.content and "S2E3" in repost.content
    assert "reghabi" not in repost.content.split("||")[0]  # the header is spoiler-free
    assert not repost.pinged_everyone and not repost.pinged_roles and not repost.pinged_users
    assert not PING.search(repost.content)
    await h.lb.wait_for_message(lambda m: m.channel_id in h.lb.dm_channels)
    dms = h.lb.dms_to(alice.user)
    assert len(dms) == 1 and "S2E3" in dms[0].content and "||like this||" in dms[0].content
    assert not tagged.deleted

    # Editing a spoiler into a harmless message counts too.
    harmless = h.lb.post_as(alice, h.world.general, "what a week")
    await h.settle()
    h.lb.edit_as(harmless, "what a week, Reghabi!")
    await h.lb.wait_for_message(
        lambda m: (
            m.author.id == h.lb.bot_user.id
            and not m.ephemeral
            and "what a week, Reghabi!" in unescape(m.content)
        )
    )
    assert harmless.deleted

    reply = await h.mod.slash("spoilers guard off")
    assert "off" in reply.text
    later = h.lb.post_as(alice, h.world.general, "reghabi again")
    await h.settle()
    assert not later.deleted


# -- recaps -----------------------------------------------------------------------------------------


async def test_the_guard_needs_manage_messages(harness: Harness) -> None:
    h = harness
    await severance(h)
    await with_message_content(h)
    h.lb.set_role_permissions(
        h.lb.bot_role(h.guild), discord.Permissions(view_channel=True, send_messages=True)
    )
    await h.settle()
    reply = await h.mod.slash("spoilers guard on")
    assert "**Manage Messages**" in reply.text
    assert not (await h.bot.guild_store.get(h.guild.id)).spoiler_guard


async def test_the_guard_hands_the_text_back_when_it_cannot_repost(harness: Harness) -> None:
    h = harness
    await severance(h)
    await with_message_content(h)
    await h.mod.slash("spoilers words add", episode="S2E3", word="Reghabi")
    await h.mod.slash("spoilers guard on")
    fan = h.lb.add_member(h.guild, "reghabi")  # a display name that is itself a spoiler word
    await h.settle()
    h.lb.post_as(fan, h.world.general, "Reghabi did it")
    repost = await h.lb.wait_for_message(
        lambda m: m.author.id == h.lb.bot_user.id and m.channel_id == h.world.general.id and not m.ephemeral
    )
    assert repost.content.startswith("\N{SPEAKING HEAD IN SILHOUETTE} From a member, with spoilers for S2E3")

    h.lb.set_overwrite(h.world.general, h.lb.bot_role(h.guild), deny=discord.Permissions(send_messages=True))
    await h.settle()
    leak = h.lb.post_as(fan, h.world.general, "Reghabi did it again")
    await h.lb.wait_for_message(lambda m: m.channel_id in h.lb.dm_channels and m.content.startswith("||"))
    assert leak.deleted
    dms = h.lb.dms_to(fan.user)
    assert "couldn't repost it" in dms[-2].content
    assert unescape(dms[-1].content) == "||Reghabi did it again||"


async def test_the_guard_reads_code_spans_as_discord_does(harness: Harness) -> None:
    """Backticks around the spoiler bars make them code, so the word between them shows in Discord."""
    h = harness
    await severance(h)
    await with_message_content(h)
    await h.mod.slash("spoilers words add", episode="S2E3", word="Reghabi")
    await h.mod.slash("spoilers guard on")
    alice = h.world.members["alice"]
    hidden = h.lb.post_as(alice, h.world.general, "`code` and ||Reghabi did it||")
    leak = h.lb.post_as(alice, h.world.general, "`||`Reghabi did it`||`")
    repost = await h.lb.wait_for_message(
        lambda m: (
            m.author.id == h.lb.bot_user.id
            and m.channel_id == h.world.general.id
            and not m.ephemeral
            and "with spoilers for S2E3" in m.content
        )
    )
    await h.settle()
    assert leak.deleted
    assert "Reghabi did it" in unescape(repost.content)
    assert not hidden.deleted


async def test_long_lists_fit_and_never_cut_a_spoiler_tag(harness: Harness) -> None:
    """/config show failed past 1,024 characters of spoiler channels; the words list cut inside ||."""
    h = harness
    await severance(h)
    for n in range(50):
        channel = h.lb.add_channel(h.guild, f"spoilers-{n:02}-{'x' * 60}")
        if n % 5 == 0:  # some with a missing permission, which adds a warning line
            h.lb.set_overwrite(
                channel, h.lb.bot_role(h.guild), deny=discord.Permissions(manage_messages=True)
            )
        await h.bot.spoiler_channels.add(h.guild.id, channel.id, h.owner.id, 0)
    for n in range(40):
        await h.bot.spoiler_words.add_word(
            h.guild.id, EpisodeCode(2, 3), f"Word{n:02} " + "Reghabi " * 10, h.owner.id
        )
    await h.settle()
    shown = await h.mod.slash("config show")
    assert shown.embeds and not h.lb.violations
    field = next(f for f in shown.embeds[0]["fields"] if f["name"] == "Spoiler channels")
    assert len(field["value"]) <= 1024 and "more" in field["value"]
    listed = await h.mod.slash("spoilers channel list")
    assert len(listed.content) <= 2000 and not h.lb.violations
    words = await h.mod.slash("spoilers words list", episode="S2E3")
    assert len(words.content) <= 2000 and "more lines" in words.content
    for line in words.content.split("\n"):
        visible_outside_spoilers(line)  # raises on a line with an unbalanced tag
        assert "Reghabi" not in visible_outside_spoilers(line)
