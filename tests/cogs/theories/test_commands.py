"""/theory and /config theories end to end through the loopback Discord."""

from __future__ import annotations

import asyncio
from typing import Any

import discord

from bot.episodes import EpisodeCode
from cogs.theories.store import Theory
from cogs.theories.views import EDIT_INTERVAL
from tests.harness import Harness
from tests.loopback import Actor, Channel, Message
from tests.loopback.actor import Reply
from tests.support import slow_bot, until, visible_outside_spoilers


def cog(h: Harness) -> Any:
    return h.bot.get_cog("Theories")


async def configure(h: Harness, channel: Channel | None = None) -> Reply:
    reply = await h.owner.slash("config theories", channel=channel or h.world.general)
    await reply.wait_done()
    return reply


async def new_theory(
    h: Harness,
    actor: Actor,
    title: str = "Helly is Helena",
    text: str = "Look at the badge.",
    episode: str = "S1E9",
) -> Reply:
    modal = await actor.slash("theory new", episode=episode)
    assert modal.kind == "modal", modal
    submitted = await actor.submit(modal, title=title, text=text)
    if submitted.kind == "deferred":
        await submitted.wait_done()
    return submitted


def vote_message(h: Harness, number: int = 1) -> Message:
    for message in reversed(list(h.lb.messages.values())):
        if (
            message.buttons()
            and any((b.get("custom_id") or "").startswith("theory:vote:") for b in message.buttons())
            and f"Theory #{number} " in message.content
        ):
            return message
    raise AssertionError(f"no vote message for theory #{number}")


def labels(message: Message) -> list[str]:
    return [b["label"] for b in message.buttons()]


async def edits_done(h: Harness) -> None:
    """Let the vote-edit interval pass on the bot's clock (not sat out) until no count edit is pending."""
    editor = cog(h).editor

    def settled() -> bool:
        if editor.pending():
            h.clock.jump(EDIT_INTERVAL)  # wakes the edit that waits; one in flight just finishes
        return not editor.pending()

    await until(settled, what="the vote counts' edits")


async def counts_shown(h: Harness, number: int, plausible: int, doubtful: int) -> None:
    await edits_done(h)
    message = vote_message(h, number)
    assert labels(message) == [f"Plausible \N{MIDDLE DOT} {plausible}", f"Doubtful \N{MIDDLE DOT} {doubtful}"]


async def test_text_channel_theory_gets_a_thread_and_votes(harness: Harness) -> None:
    h = harness
    reply = await configure(h)
    assert "general" in reply.text or "New theories go to" in reply.text, reply
    created = await new_theory(h, h.alice)
    assert "Theory **#1**" in created.text, created
    thread = next(c for c in h.lb.channels.values() if c.is_thread)
    assert thread.name == "#1 \N{MIDDLE DOT} Helly is Helena"
    message = vote_message(h)
    assert message.channel_id == thread.id
    assert "||" in message.content  # fresh episode: spoiler-tagged
    voted = await h.bob.click(message, "theory:vote:1:p")
    assert voted.ephemeral and "plausible" in voted.text
    await counts_shown(h, 1, 1, 0)


async def test_count_edits_go_in_the_background_lane(harness: Harness) -> None:
    # Behind announcements and whatever a member waits for, so a flood of votes cannot delay them.
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    limiter = h.bot.rate_limiter
    before = limiter.background_acquired
    await h.bob.click(vote_message(h), "theory:vote:1:p")
    await counts_shown(h, 1, 1, 0)
    assert limiter.background_acquired == before + 1  # the one edit of the counts, and nothing else


async def test_a_vote_can_be_changed_and_withdrawn(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    message = vote_message(h)
    first = await h.bob.click(message, "theory:vote:1:p")
    assert "You find theory #1 **plausible**" in first.text
    await counts_shown(h, 1, 1, 0)
    changed = await h.bob.click(vote_message(h), "theory:vote:1:d")
    assert "Changed" in changed.text and "doubtful" in changed.text
    await counts_shown(h, 1, 0, 1)
    withdrawn = await h.bob.click(vote_message(h), "theory:vote:1:d")
    assert "withdrawn" in withdrawn.text
    await counts_shown(h, 1, 0, 0)
    theory = await cog(h).store.by_number(h.guild.id, 1)
    assert await cog(h).store.vote_of(theory.id, h.bob.id) is None


async def test_a_vote_the_bot_reaches_late_is_deferred_and_its_reply_follows(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    slow_bot(h)  # overloaded: it reaches the click after the deferral point, and reads slowly
    h.lb.add_channel(h.guild, "watch-party")
    reply = await h.bob.click(vote_message(h), "theory:vote:1:p")
    assert not reply.interaction.expired  # answered within 3 s: by the deferral
    assert reply.interaction.response_type == 5 and reply.ephemeral
    await reply.wait_done(timeout=10)
    assert "You find theory #1 **plausible**" in reply.text, reply.text


async def test_the_author_cannot_vote_on_their_own_theory(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    refused = await h.alice.click(vote_message(h), "theory:vote:1:p")
    assert refused.ephemeral and "can't vote on your own theory" in refused.text
    theory = await cog(h).store.by_number(h.guild.id, 1)
    assert (theory.plausible, theory.doubtful) == (0, 0)


async def test_two_hundred_concurrent_votes_are_counted_exactly(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    voters = [
        Actor(h.lb, h.guild, h.lb.add_member(h.guild, f"refiner{i}"), h.world.general) for i in range(200)
    ]
    await h.settle()
    message = vote_message(h)
    replies = await asyncio.gather(
        *(v.click(message, "theory:vote:1:p" if i % 4 else "theory:vote:1:d") for i, v in enumerate(voters))
    )
    assert all(r.ephemeral and "You find theory #1" in r.text for r in replies)
    theory = await cog(h).store.by_number(h.guild.id, 1)
    assert (theory.plausible, theory.doubtful) == (150, 50)
    assert await cog(h).store.counted_votes(theory.id) == (150, 50)
    await counts_shown(h, 1, 150, 50)
    # Clicks were coalesced: far fewer edits than clicks.
    assert len(vote_message(h).history) < 50


async def test_vote_buttons_keep_working_after_a_restart(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    await h.bob.click(vote_message(h), "theory:vote:1:p")
    await h.mod.click(vote_message(h), "theory:vote:1:p")  # lands while the first edit is pending
    await h.restart()  # no waiting: shutdown refreshes pending counts
    assert labels(vote_message(h))[0] == "Plausible \N{MIDDLE DOT} 2"
    again = await h.owner.click(vote_message(h), "theory:vote:1:p")
    assert "You find theory #1 **plausible**" in again.text
    await counts_shown(h, 1, 3, 0)


async def test_a_vote_unarchives_an_archived_thread(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    thread = next(c for c in h.lb.channels.values() if c.is_thread)
    h.lb.archive_thread(thread)
    await h.settle()
    await h.bob.click(vote_message(h), "theory:vote:1:d")
    await counts_shown(h, 1, 0, 1)
    assert not thread.archived


async def test_forum_posts_carry_status_and_season_tags(harness: Harness) -> None:
    h = harness
    forum = h.world.theories
    reply = await configure(h, forum)
    assert "forum posts" in reply.text, reply
    names = {t["name"] for t in forum.available_tags}
    assert {"Open", "Confirmed", "Debunked"} <= names
    await new_theory(h, h.alice, episode="S2E3")
    post = next(c for c in h.lb.channels.values() if c.is_thread and c.parent_id == forum.id)
    assert post.name == "#1 \N{MIDDLE DOT} Helly is Helena"
    by_id = {int(t["id"]): t["name"] for t in forum.available_tags}
    assert sorted(by_id[t] for t in post.applied_tags) == ["Open", "Season 2"]
    await h.bob.click(vote_message(h), "theory:vote:1:p")
    await counts_shown(h, 1, 1, 0)
    resolved = await h.owner.slash(
        "theory resolve", theory="1", outcome="Debunked", episode="S2E5", lock=True
    )
    await resolved.wait_done()
    assert "Debunked" in resolved.text, resolved
    assert sorted(by_id.get(t) or "" for t in post.applied_tags) == ["Debunked", "Season 2"]
    assert post.locked


async def test_a_title_with_a_fresh_spoiler_word_is_refused(harness: Harness) -> None:
    h = harness
    await configure(h)
    await h.bot.guild_store.ensure(h.guild.id)
    await h.bot.spoiler_words.add_word(h.guild.id, EpisodeCode(2, 3), "Helena", h.owner.id)
    refused = await new_theory(h, h.alice, title="Helena runs Lumon", episode="S2E3")
    assert refused.ephemeral and "S2E3" in refused.text and "Helena" not in refused.text, refused
    assert not any(c.is_thread for c in h.lb.channels.values())
    assert await cog(h).store.by_number(h.guild.id, 1) is None


async def test_a_title_with_a_mention_is_refused_and_control_characters_go(harness: Harness) -> None:
    # Theory titles name threads, where a mention would show as a raw id or ping in notifications.
    h = harness
    await configure(h)
    refused = await new_theory(h, h.alice, title="@everyone Helly is Helena")
    assert refused.ephemeral and "The title can't contain mentions" in refused.text, refused
    assert "**Example:** `/theory new episode:S2E3`" in refused.text
    assert await cog(h).store.by_number(h.guild.id, 1) is None
    posted = await new_theory(h, h.alice, title="Helly\u0000is\u001bHelena")
    assert "\N{WHITE HEAVY CHECK MARK}" in posted.text, posted
    theory = await cog(h).store.by_number(h.guild.id, 1)
    assert theory is not None and theory.title == "Helly is Helena"


async def test_missing_thread_permissions_are_named(harness: Harness) -> None:
    h = harness
    h.lb.set_overwrite(
        h.world.general,
        h.lb.bot_role(h.guild),
        deny=discord.Permissions(create_public_threads=True, manage_threads=True),
    )
    await h.settle()
    refused = await h.owner.slash("config theories", channel=h.world.general)
    assert refused.ephemeral
    assert "Create Public Threads" in refused.text and "Manage Threads" in refused.text, refused
    assert await cog(h).store.settings(h.guild.id) is None


async def test_theory_commands_need_a_configured_channel(harness: Harness) -> None:
    refused = await harness.alice.slash("theory new", episode="S1E1")
    assert refused.ephemeral and "/config theories" in refused.text


async def test_resolve_by_a_moderator_renames_posts_and_closes_votes(harness: Harness) -> None:
    h = harness
    await configure(h)
    await h.owner.slash("config moderator-role", role=h.world.mod_role)
    await new_theory(h, h.alice)
    refused = await h.alice.slash("theory resolve", theory="1", outcome="Confirmed", episode="S2E1")
    assert refused.ephemeral and "Only moderators" in refused.text
    assert (await cog(h).store.by_number(h.guild.id, 1)).status == "open"
    done = await h.mod.slash("theory resolve", theory="#1", outcome="Confirmed", episode="S2E1")
    await done.wait_done()
    assert "Confirmed" in done.text, done
    thread = next(c for c in h.lb.channels.values() if c.is_thread)
    assert thread.name == "\N{WHITE HEAVY CHECK MARK} #1 \N{MIDDLE DOT} Helly is Helena"
    outcome = h.lb.channel_messages(thread)[-1]
    assert "settled in S2E1" in outcome.content and "||Confirmed" in outcome.content
    await edits_done(h)
    assert all(b.get("disabled") for b in vote_message(h).buttons())
    theory = await cog(h).store.by_number(h.guild.id, 1)
    assert (theory.status, str(theory.resolved_in), theory.resolved_by) == ("confirmed", "S2E1", h.mod.id)


async def test_progress_hides_a_resolution(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice, episode="S1E2")
    done = await h.owner.slash("theory resolve", theory="1", outcome="Confirmed", episode="S1E9")
    await done.wait_done()
    await h.bot.progress.set(h.guild.id, h.bob.id, EpisodeCode(1, 4))
    shown = await h.bob.slash("theory show", theory="1")
    assert shown.ephemeral and "S1E9" in shown.text and "Confirmed" not in shown.text, shown
    assert "your progress: S1E4" in shown.text
    listed = await h.bob.slash("theory list")
    assert "Open" in listed.text and "Confirmed" not in listed.text, listed
    confirmed_only = await h.bob.slash("theory list", status="confirmed")
    assert "#1" not in confirmed_only.text
    assert shown.message is not None
    revealed = await h.bob.click(shown.message, "Show anyway")
    assert "Confirmed" in revealed.text
    # Caught up: nothing is hidden.
    await h.bot.progress.set(h.guild.id, h.bob.id, EpisodeCode(1, 9))
    assert "Confirmed" in (await h.bob.slash("theory show", theory="1")).text
    # A member without progress has not opted in: nothing hidden either.
    assert "Confirmed" in (await h.alice.slash("theory show", theory="1")).text


async def test_theories_past_progress_are_hidden_from_lists_and_autocomplete(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice, title="Goats are a test", episode="S1E3")
    await new_theory(h, h.alice, title="The Chikhai Bardo", episode="S2E4")
    await h.bot.progress.set(h.guild.id, h.bob.id, EpisodeCode(2, 1))
    listed = await h.bob.slash("theory top")
    assert "Goats" in listed.text and "Chikhai" not in listed.text
    choices = await h.bob.autocomplete("theory show", "theory", theory="")
    assert [c["value"] for c in choices] == ["1"]
    all_choices = await h.alice.autocomplete("theory show", "theory", theory="chik")
    assert [c["value"] for c in all_choices] == ["2"]
    hidden = await h.bob.slash("theory show", theory="2")
    assert hidden.message is not None
    assert "S2E4" in hidden.text and "Chikhai" not in hidden.text
    revealed = await h.bob.click(hidden.message, "Show anyway")
    assert "Chikhai Bardo" in revealed.text and "||" in revealed.text
    found = await h.alice.slash("theory search", text="goats")
    assert "Goats are a test" in found.text and "Chikhai" not in found.text


async def test_the_leaderboard_ranks_confirmed_then_votes(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice, title="One")  # 1: alice, confirmed
    await new_theory(h, h.bob, title="Two")  # 2: bob, 2 plausible
    await new_theory(h, h.mod, title="Three")  # 3: mod, 1 plausible
    await h.mod.click(vote_message(h, 2), "theory:vote:2:p")
    await h.alice.click(vote_message(h, 2), "theory:vote:2:p")
    await h.bob.click(vote_message(h, 3), "theory:vote:3:p")
    resolved = await h.owner.slash("theory resolve", theory="1", outcome="Confirmed", episode="S2E1")
    await resolved.wait_done()  # it defers: the outcome is stored by the time its answer comes
    board = await h.owner.slash("theory leaderboard")
    text = board.text
    order = [text.index(f"<@{a.id}>") for a in (h.alice, h.bob, h.mod)]
    assert order == sorted(order), text
    assert "1 confirmed" in text


async def test_a_deleted_thread_marks_the_theory_deleted(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    await h.bob.click(vote_message(h), "theory:vote:1:p")
    thread = next(c for c in h.lb.channels.values() if c.is_thread)
    h.lb.delete_channel(thread)
    await h.settle()

    async def marked() -> Theory | None:  # the listener writes after the event was dispatched
        found = await cog(h).store.by_number(h.guild.id, 1)
        return found if found is not None and found.deleted_at is not None else None

    await until(marked, what="the theory marked deleted")
    theory = await marked()
    assert theory is not None and theory.plausible == 1
    shown = await h.bob.slash("theory show", theory="1")
    assert "thread was deleted" in shown.text
    listed = await h.bob.slash("theory list")
    assert "(thread deleted)" in listed.text
    done = await h.owner.slash("theory resolve", theory="1", outcome="Debunked", episode="S2E1")
    await done.wait_done()
    assert "only the record changed" in done.text


async def test_lists_are_paginated(harness: Harness) -> None:
    h = harness
    await configure(h)
    for i in range(12):
        await new_theory(h, h.alice, title=f"Theory number {i + 1}")
    first = await h.bob.slash("theory list")
    one = "#1 \N{MIDDLE DOT} Theory number 1]"
    assert "Page 1 of 2" in first.text and "Theory number 12]" in first.text and one not in first.text
    assert first.message is not None
    second = await h.bob.click(first.message, "Next")
    assert "Page 2 of 2" in second.text and one in second.text


async def test_config_show_lists_the_theories_channel(harness: Harness) -> None:
    h = harness
    await configure(h)
    shown = await h.owner.slash("config show")
    assert "Theories" in shown.text and f"<#{h.world.general.id}>" in shown.text


async def test_a_forum_without_manage_channels_still_gets_the_theory(harness: Harness) -> None:
    h = harness
    forum = h.world.theories
    h.lb.set_overwrite(forum, h.lb.bot_role(h.guild), deny=discord.Permissions(manage_channels=True))
    await h.settle()
    refused = await h.owner.slash("config theories", channel=forum)
    await refused.wait_done()
    assert "Manage Channels" in refused.text, refused  # the status tags can't be created
    h.lb.set_overwrite(forum, h.lb.bot_role(h.guild))
    await h.settle()
    await configure(h, forum)
    h.lb.set_overwrite(forum, h.lb.bot_role(h.guild), deny=discord.Permissions(manage_channels=True))
    await h.settle()
    created = await new_theory(h, h.alice, episode="S3E1")
    assert "Theory **#1**" in created.text, created
    post = next(c for c in h.lb.channels.values() if c.is_thread and c.parent_id == forum.id)
    by_id = {int(t["id"]): t["name"] for t in forum.available_tags}
    assert [by_id[t] for t in post.applied_tags] == ["Open"]


async def test_only_moderators_set_the_theories_channel(harness: Harness) -> None:
    h = harness
    refused = await h.alice.slash("config theories", channel=h.world.general)
    assert refused.ephemeral and "Only moderators" in refused.text
    assert await cog(h).store.settings(h.guild.id) is None


async def test_deleting_the_theories_channel_keeps_its_theories(harness: Harness) -> None:
    h = harness
    await configure(h, h.world.spoilers)
    await new_theory(h, h.alice)
    h.lb.delete_channel(h.world.spoilers)
    await h.settle()
    theory = await cog(h).store.by_number(h.guild.id, 1)
    assert theory is not None and theory.deleted_at is not None
    refused = await h.bob.slash("theory new", episode="S1E1")
    assert "was deleted" in refused.text and "/config theories" in refused.text


async def test_text_about_an_episode_past_the_spoiler_window_is_not_tagged(harness: Harness) -> None:
    h = harness
    await configure(h)
    aired = int(h.clock.now()) - 30 * 86_400
    await h.bot.episodes.upsert(h.guild.id, [(EpisodeCode(1, 2), None, aired)])
    await new_theory(h, h.alice, text="The goats are for Kier.", episode="S1E2")
    message = vote_message(h)
    assert "The goats are for Kier." in message.content and "||" not in message.content


async def test_a_vote_reopens_an_archived_locked_thread(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    thread = next(c for c in h.lb.channels.values() if c.is_thread)
    h.lb.archive_thread(thread, locked=True)
    await h.settle()
    await h.bob.click(vote_message(h), "theory:vote:1:p")
    await counts_shown(h, 1, 1, 0)
    assert not thread.archived


async def test_resolve_refuses_an_episode_before_the_theory(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice, episode="S2E3")
    refused = await h.owner.slash("theory resolve", theory="1", outcome="Debunked", episode="S2E1")
    assert refused.ephemeral and "builds on S2E3" in refused.text and "episode:S2E3" in refused.text
    unknown = await h.owner.slash("theory resolve", theory="99", outcome="Debunked", episode="S2E4")
    assert "No theory in this server matches" in unknown.text
    assert (await cog(h).store.by_number(h.guild.id, 1)).status == "open"


async def test_episode_autocomplete_offers_aired_episodes_up_to_progress(harness: Harness) -> None:
    h = harness
    now = int(h.clock.now())
    await h.bot.episodes.upsert(
        h.guild.id,
        [(EpisodeCode(2, n), f"secret title {n}", now + (n - 4) * 7 * 86_400) for n in range(1, 7)],
    )
    choices = await h.alice.autocomplete("theory new", "episode", episode="")
    assert [c["value"] for c in choices] == ["S2E4", "S2E3", "S2E2", "S2E1"]
    assert not any("secret" in c["name"] for c in choices)
    await h.bot.progress.set(h.guild.id, h.bob.id, EpisodeCode(2, 2))
    behind = await h.bob.autocomplete("theory new", "episode", episode="s2")
    assert [c["value"] for c in behind] == ["S2E2", "S2E1"]


async def test_resolve_names_missing_thread_permissions_and_changes_nothing(harness: Harness) -> None:
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    h.lb.set_overwrite(h.world.general, h.lb.bot_role(h.guild), deny=discord.Permissions(manage_threads=True))
    await h.settle()
    refused = await h.owner.slash("theory resolve", theory="1", outcome="Confirmed", episode="S2E1")
    await refused.wait_done()
    assert "Manage Threads" in refused.text, refused
    assert (await cog(h).store.by_number(h.guild.id, 1)).status == "open"


async def test_a_theory_that_cannot_be_posted_leaves_no_thread_and_no_row(harness: Harness) -> None:
    h = harness
    await configure(h)
    h.lb.inject(403, method="POST", path=r"/channels/\d+/messages", times=1)
    failed = await new_theory(h, h.alice)
    assert failed.ephemeral and "Theory **#1**" not in failed.text, failed
    assert "wouldn't let me post your theory" in failed.text, failed.text
    assert await cog(h).store.by_number(h.guild.id, 1) is None
    assert not any(c.is_thread for c in h.lb.channels.values())
    retried = await new_theory(h, h.alice)
    assert "Theory **#1**" in retried.text


async def test_odd_numbers_for_a_theory_get_a_clear_answer(harness: Harness) -> None:
    """ "²".isdigit() is true and int("²") raises; a vote id past SQLite's integers overflowed."""
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    reply = await h.bob.slash("theory show", theory="\u00b2")
    assert reply.ephemeral and "No theory in this server matches" in reply.text, reply.text
    message = vote_message(h)
    forged = h.lb.seed_bot_message(
        h.lb.channels[message.channel_id],
        {
            "content": "forged",
            "components": [
                {
                    "type": 1,
                    "components": [
                        {"type": 2, "style": 1, "label": "Vote", "custom_id": f"theory:vote:{'9' * 19}:p"}
                    ],
                }
            ],
        },
    )
    clicked = await h.bob.click(forged, "Vote")
    assert clicked.ephemeral and "This theory no longer exists" in clicked.text, clicked.text


async def test_a_theory_on_an_old_episode_hides_a_fresh_spoiler_word_in_its_body(harness: Harness) -> None:
    """Text the bot posts for a member is checked against the fresh words when it is posted."""
    h = harness
    await configure(h)
    t = int(h.clock.now())
    await h.bot.episodes.upsert(
        h.guild.id, [(EpisodeCode(1, 9), None, t - 60 * 86400), (EpisodeCode(2, 3), None, t - 86400)]
    )
    await h.bot.spoiler_words.add_word(h.guild.id, EpisodeCode(2, 3), "Reghabi", h.owner.id)
    leaky = await new_theory(h, h.alice, title="The badge", text="It was R\u0435ghabi all along.")
    assert "\N{WHITE HEAVY CHECK MARK}" in leaky.text, leaky.text
    plain = await new_theory(h, h.bob, title="The goats", text="The goats are for the baby.")
    assert "\N{WHITE HEAVY CHECK MARK}" in plain.text, plain.text
    first, second = vote_message(h, 1), vote_message(h, 2)
    assert "ghabi" not in visible_outside_spoilers(first.content), first.content
    assert "||" in first.content
    assert "The goats are for the baby." in second.content and "||" not in second.content


async def test_a_long_lived_busy_theory_stops_editing_at_discords_cap_and_catches_up(
    harness: Harness,
) -> None:
    """Two hours after posting, the vote message is old: Discord caps its edits (30046). The bot
    stops editing it instead of asking again on every click, /theory show stays exact, and the
    buttons catch up once the pause is over."""
    h = harness
    await configure(h)
    await new_theory(h, h.alice)
    await edits_done(h)
    h.clock.jump(2 * 3600)
    message = vote_message(h)
    edits = rf"^/channels/{message.channel_id}/messages/{message.id}$"
    clicks = 0
    while h.lb.old_edits_refused == 0:  # bob votes and withdraws: every click changes the counts
        await h.bob.click(vote_message(h), "theory:vote:1:p")
        clicks += 1
        await edits_done(h)
    assert clicks == h.lb.old_edit_limit + 1
    refused_at = len(h.lb.requests_to("PATCH", edits))
    for _ in range(2):  # still busy: each click is counted, none edits the message
        await h.bob.click(vote_message(h), "theory:vote:1:p")
        await edits_done(h)
    assert len(h.lb.requests_to("PATCH", edits)) == refused_at
    assert h.lb.old_edits_refused == 1
    plausible = (clicks + 2) % 2  # an odd number of clicks leaves bob's vote in
    shown = await h.mod.slash("theory show", theory="1")
    assert f"{plausible} plausible" in shown.text
    assert "The counts here are exact" in shown.text
    stale = labels(vote_message(h))
    assert stale != [f"Plausible \N{MIDDLE DOT} {plausible}", "Doubtful \N{MIDDLE DOT} 0"]
    # An hour on, Discord's window has rolled: the catch-up edits once with the counts as they are.
    h.clock.jump(3600)
    await until(
        lambda: (
            labels(vote_message(h)) == [f"Plausible \N{MIDDLE DOT} {plausible}", "Doubtful \N{MIDDLE DOT} 0"]
        ),
        what="the catch-up edit",
    )
    assert h.lb.old_edits_refused == 1

    async def one_catch_up_sent() -> bool:
        jobs = await h.bot.jobs.list_for(h.guild.id, "theory-counts", "theory:")
        return [j.state for j in jobs] == ["sent"]

    # The edit lands before its job is marked sent (on PostgreSQL under load, visibly so).
    await until(one_catch_up_sent, what="one catch-up job, marked sent")
