"""/spoilers, /recap and /progress end to end through the loopback: every command and refusal."""

from __future__ import annotations

import re
from typing import Any

import discord
import pytest

from bot.episodes import EpisodeCode
from tests.cogs.spoilers.support import DAY, severance, with_message_content, write_recap
from tests.harness import Harness
from tests.loopback import Actor, ClientRefused
from tests.support import unescape

PING = re.compile(r"@everyone|@here|<@!?\d|<@&\d")


# -- moderators only ------------------------------------------------------------------------------


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
    assert await h.bot.spoiler_store.words(h.guild.id) == []


# -- spoiler channels -------------------------------------------------------------------------------


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
    assert await h.bot.get_cog("Spoilers").store.channels(h.guild.id) == frozenset()  # type: ignore[union-attr]


# -- window and words -------------------------------------------------------------------------------


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
    assert await h.bot.spoiler_store.progress(h.guild.id, h.alice.id) is None
    assert await h.bot.spoiler_store.words(h.guild.id) == []


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


# -- the spoiler-safe title check -----------------------------------------------------------------


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


async def test_a_recap_thread_name_is_checked_too(harness: Harness) -> None:
    h = harness
    await severance(h)
    await h.mod.slash("spoilers words add", episode="S2E4", word="Severance")  # not aired: fresh
    reply = await h.mod.slash("recap write", episode="S2E3", thread=True)
    assert "spoiler word for S2E4" in reply.text


# -- the guard --------------------------------------------------------------------------------------


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

TRICKY = "Mark meets || Reghabi || in the @everyone <@&1> room\n# Big reveal\n" + "Helly is Helena. " * 200


async def test_a_recap_is_posted_hidden_split_and_never_pings(harness: Harness) -> None:
    h = harness
    await severance(h)
    posted = await write_recap(h, "2x03", TRICKY)
    assert len(posted) > 1
    assert all(m.channel_id == h.world.spoilers.id for m in posted)
    assert posted[0].content.startswith("\N{CLAPPER BOARD} Recap: Severance S2E3, spoilers below\n||")
    for message in posted:
        assert len(message.content) <= 2000
        assert message.content.endswith("||")
        assert not message.pinged_everyone and not message.pinged_roles and not message.pinged_users
        assert not PING.search(message.content)
    assert "\\|\\| Reghabi \\|\\|" in posted[0].content
    recap = await h.bot.get_cog("Spoilers").store.recap(h.guild.id, EpisodeCode(2, 3))  # type: ignore[union-attr]
    assert recap is not None and recap.message_ids == tuple(m.id for m in posted)

    reply = await h.alice.slash("recap write", episode="S2E3")
    assert "already has a recap" in reply.text and "/recap edit episode:S2E3" in reply.text


async def test_recaps_only_go_in_spoiler_channels(harness: Harness) -> None:
    h = harness
    await severance(h, spoiler_channel=False)
    reply = await h.mod.slash("recap write", episode="S2E3")
    assert "no spoiler channel" in reply.text and "/spoilers channel add" in reply.text
    await h.owner.slash("spoilers channel add", channel=h.world.spoilers)
    reply = await h.mod.slash("recap write", episode="S2E3", channel=h.world.general)
    assert "isn't a spoiler channel" in reply.text
    h.lb.set_overwrite(h.world.spoilers, h.lb.bot_role(h.guild), deny=discord.Permissions(send_messages=True))
    await h.settle()
    reply = await h.mod.slash("recap write", episode="S2E3")
    assert "**Send Messages**" in reply.text


async def test_a_recap_in_a_thread(harness: Harness) -> None:
    h = harness
    await severance(h)
    posted = await write_recap(h, "S2E3", "Short recap.", thread=True)
    [message] = posted
    thread = h.lb.channels[message.channel_id]
    assert thread.parent_id == h.world.spoilers.id and thread.name == "Severance S2E3 recap"


async def test_read_edit_delete_and_who_may(harness: Harness) -> None:
    h = harness
    await severance(h)
    posted = await write_recap(h, "S2E3", "First draft. " * 200, actor=h.alice)
    reply = await h.bob.slash("recap read", episode="S2E3")
    assert reply.ephemeral and "First draft." in reply.text and "||" in reply.content

    reply = await h.bob.slash("recap edit", episode="S2E3")
    assert "Only the recap's author or a moderator" in reply.text
    reply = await h.bob.slash("recap delete", episode="S2E3")
    assert "Only the recap's author or a moderator" in reply.text

    reply = await h.alice.slash("recap edit", episode="S2E3")
    assert reply.kind == "modal"
    done = await h.alice.submit(reply, text="Second draft, shorter.")
    await done.wait_done()
    assert "updated in place" in done.text
    assert "Second draft" in posted[0].content and posted[0].history  # edited, not reposted
    assert all(m.deleted for m in posted[1:])  # the recap got shorter
    reply = await h.alice.slash("recap list")
    assert "**S2E3**" in reply.text

    reply = await h.mod.slash("recap delete", episode="S2E3")
    await reply.wait_done()
    assert "deleted" in reply.text
    assert posted[0].deleted
    reply = await h.alice.slash("recap read", episode="S2E3")
    assert "no recap of S2E3" in reply.text


# -- watch progress ---------------------------------------------------------------------------------


async def test_progress_set_show_clear(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.alice.slash("progress show")
    assert "haven't set" in reply.text
    reply = await h.alice.slash("progress set", episode="s02e02")
    assert "**S2E2**" in reply.text
    reply = await h.alice.slash("progress show")
    assert "**S2E2**" in reply.text
    reply = await h.alice.slash("progress clear")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text
    reply = await h.alice.slash("progress clear")
    assert "nothing to clear" in reply.text


async def test_progress_hides_a_recap_and_show_anyway_works_after_a_restart(harness: Harness) -> None:
    h = harness
    await severance(h)
    await write_recap(h, "S2E3", "Reghabi returns.")
    await write_recap(h, "S2E1", "The elevator.")
    await h.alice.slash("progress set", episode="S2E2")

    choices = await h.alice.autocomplete("recap read", "episode", episode="")
    assert [c["value"] for c in choices] == ["S2E1"]  # S2E3 is past her progress
    choices = await h.bob.autocomplete("recap read", "episode", episode="")
    assert [c["value"] for c in choices] == ["S2E1", "S2E3"]

    notice = await h.alice.slash("recap read", episode="S2E3")
    assert notice.ephemeral and "haven't reached it yet" in notice.text and "S2E2" in notice.text
    assert "Reghabi" not in notice.text

    await h.restart()
    shown = await h.alice.click(notice.message, "Show anyway")  # type: ignore[arg-type]
    assert shown.ephemeral and "Reghabi returns." in shown.text and "||" in shown.content

    # The recap deleted meanwhile: the button says so.
    await (await h.mod.slash("recap delete", episode="S2E3")).wait_done()
    gone = await h.alice.click(notice.message, "Show anyway")  # type: ignore[arg-type]
    assert "deleted" in gone.text


async def test_progress_roles_follow_progress(harness: Harness) -> None:
    h = harness
    await severance(h)
    watched = h.lb.add_role(h.guild, "Watched S2E3")
    await h.settle()
    reply = await h.mod.slash("spoilers roles set", episode="S2E3", role=watched)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text
    reply = await h.mod.slash("spoilers roles list")
    assert f"<@&{watched.id}>" in reply.text
    await h.alice.slash("progress set", episode="S2E4")
    await h.settle()
    assert watched.id in h.alice.role_ids
    await h.alice.slash("progress set", episode="S2E2")
    await h.settle()
    assert watched.id not in h.alice.role_ids
    reply = await h.mod.slash("spoilers roles remove", episode="S2E3")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text


async def test_a_refused_post_saves_nothing_and_says_why(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.mod.slash("recap write", episode="S2E3")
    h.lb.inject(403, method="POST", path=r"/channels/\d+/messages$")
    done = await h.mod.submit(reply, text="A recap.")
    await done.wait_done()
    assert "wouldn't let me post" in done.text and "Nothing was saved" in done.text
    assert await h.bot.get_cog("Spoilers").store.recap(h.guild.id, EpisodeCode(2, 3)) is None  # type: ignore[union-attr]
    assert not [m for m in h.lb.channel_messages(h.world.spoilers) if not m.deleted]


async def test_an_edit_that_grows_posts_more_and_replaces_messages_removed_by_hand(harness: Harness) -> None:
    h = harness
    await severance(h)
    [first] = await write_recap(h, "S2E3", "Short.")
    reply = await h.mod.slash("recap edit", episode="S2E3")
    done = await h.mod.submit(reply, text="Long. " * 600)
    await done.wait_done()
    recap = await h.bot.get_cog("Spoilers").store.recap(h.guild.id, EpisodeCode(2, 3))  # type: ignore[union-attr]
    assert recap is not None and len(recap.message_ids) == 2 and recap.message_ids[0] == first.id
    assert first.history and "Long." in first.content
    # A moderator removes the first message by hand; the next edit reposts that part.
    h.lb._delete_message(first)
    reply = await h.mod.slash("recap edit", episode="S2E3")
    done = await h.mod.submit(reply, text="Back to short.")
    await done.wait_done()
    recap = await h.bot.get_cog("Spoilers").store.recap(h.guild.id, EpisodeCode(2, 3))  # type: ignore[union-attr]
    assert recap is not None and len(recap.message_ids) == 1 and recap.message_ids[0] != first.id
    assert "Back to short." in h.lb.messages[recap.message_ids[0]].content


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


async def test_progress_autocomplete_offers_every_episode(harness: Harness) -> None:
    h = harness
    await severance(h)
    await h.alice.slash("progress set", episode="S2E2")
    choices = await h.alice.autocomplete("progress set", "episode", episode="s2e1")
    assert [c["value"] for c in choices] == ["S2E1", "S2E10"]
    choices = await h.alice.autocomplete("progress set", "episode", episode="")
    assert len(choices) == 10


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
