"""/spoilers discussions end to end: a thread (or forum post) "S2E3 discussion" at each release, exactly
once whoever asks and whatever fails, linked from the release announcement, caught up after downtime
like announcements, and within Discord's limits for a streaming drop."""

from __future__ import annotations

import discord
import pytest

from bot.db.jobs import Job
from bot.discussions import CATCH_UP
from bot.episodes import EpisodeCode
from cogs.countdowns.rules import LATE_RELEASE_LIMIT
from tests.cogs.countdowns.support import announcements, configure, travel_to
from tests.cogs.support import DAY, air_time, severance, with_message_content
from tests.harness import Harness
from tests.loopback import Channel
from tests.loopback.limits import DiscordLimits
from tests.support import PING, migrated, until

HOUR = 3600
FINISHED = {"sent", "skipped", "failed", "cancelled"}
ACTIVE = r"^/guilds/\d+/threads/active$"


def s2(n: int) -> EpisodeCode:
    return EpisodeCode(2, n)


async def job(h: Harness, code: EpisodeCode) -> Job | None:
    return await h.bot.jobs.get(h.guild.id, "discussion", f"discussion:{code.season}:{code.episode}")


async def finished(h: Harness, code: EpisodeCode) -> Job:
    """Wait for the release's discussion job to finish (sent, skipped, failed or cancelled)."""
    found: list[Job] = []

    async def done() -> bool:
        row = await job(h, code)
        found[:] = [row] if row is not None else []
        return row is not None and row.state in FINISHED

    await until(done, what=f"the discussion job of {code} to finish")
    await h.bot.scheduler.wait_idle()
    return found[0]


def threads(h: Harness, name: str, parent: Channel | None = None) -> list[Channel]:
    """Threads of that name (in `parent`, when given), oldest first."""
    return sorted(
        (
            c
            for c in h.lb.channels.values()
            if c.is_thread and c.name == name and (parent is None or c.parent_id == parent.id)
        ),
        key=lambda c: c.id,
    )


async def discussions_in(h: Harness, channel: Channel) -> str:
    reply = await h.owner.slash("spoilers discussions", channel=channel)
    if reply.kind == "deferred":
        await reply.wait_done()
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text
    return reply.text


async def test_a_release_opens_one_forum_post_and_never_a_second_across_restarts(harness: Harness) -> None:
    h = harness
    await severance(h)
    text = await discussions_in(h, h.world.theories)
    air = await air_time(h, s2(4))
    assert f"Next: **S2E4** <t:{air}:R>" in text and "a post in" in text
    await h.restart()  # the job is in the database, not in memory
    travel_to(h, air - 60)
    await h.bot.scheduler.wait_caught_up(h.clock.now())
    assert threads(h, "S2E4 discussion") == []  # a minute early: nothing
    travel_to(h, air)
    row = await finished(h, s2(4))
    assert row.state == "sent", row.reason
    [post] = threads(h, "S2E4 discussion", h.world.theories)
    assert row.result == f"{h.world.theories.id}/{post.id}"
    season = next(t for t in h.world.theories.available_tags if t["name"] == "Season 2")
    assert post.applied_tags == [int(season["id"])]
    [starter] = h.lb.channel_messages(post)
    assert "**Severance S2E4** is out" in starter.text and not PING.search(starter.text)
    assert not starter.pinged_users and not starter.pinged_roles and not starter.pinged_everyone
    await h.restart()
    travel_to(h, air + HOUR)
    await h.bot.scheduler.wait_caught_up(h.clock.now())
    assert len(threads(h, "S2E4 discussion")) == 1
    assert len(h.lb.requests_to("POST", rf"^/channels/{h.world.theories.id}/threads$")) == 1
    stored = await h.bot.discussions.store.get(h.guild.id, s2(4))
    assert stored is not None and stored.thread_id == post.id and stored.done
    reply = await h.owner.slash("config show")
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Discussions"].startswith(f"<#{h.world.theories.id}>: a post per episode")
    assert f"<t:{await air_time(h, s2(5))}:R>" in fields["Discussions"]  # the next one


async def test_in_a_text_channel_the_release_announcement_links_to_its_thread(harness: Harness) -> None:
    """/countdown season makes the episodes and their countdowns; each release announcement links to the
    thread opened for it, started from a neutral opening message in the discussion channel."""
    h = harness
    await configure(h)
    reply = await h.owner.slash(
        "countdown season", season=3, first="in 2 hours", episodes=2, cadence="daily", milestones="release"
    )
    if reply.kind == "deferred":
        await reply.wait_done()
    text = await discussions_in(h, h.world.general)
    assert "Next: **S3E1**" in text and "a thread in" in text
    s3e1 = EpisodeCode(3, 1)
    travel_to(h, await air_time(h, s3e1))
    row = await finished(h, s3e1)
    assert row.state == "sent", row.reason
    [thread] = threads(h, "S3E1 discussion", h.world.general)
    opening = h.lb.messages[thread.id]  # the thread starts from the opening message
    assert opening.channel_id == h.world.general.id and "S3E1** is out" in opening.text
    assert opening.nonce == row.nonce
    await until(lambda: len(announcements(h)) == 1, what="the release announcement")
    [announcement] = announcements(h)
    assert f"Talk about it in <#{thread.id}>" in announcement.embeds[0]["description"]
    assert len(threads(h, "S3E1 discussion")) == 1


async def test_a_forum_post_discord_made_behind_a_503_is_found_not_made_again(harness: Harness) -> None:
    """Discord creates the post, but the answer is lost (a 503 after processing). A post has no nonce:
    the retry, ten minutes later, finds it among the active threads and records it."""
    h = harness
    await severance(h)
    await discussions_in(h, h.world.theories)
    h.lb.inject(503, method="POST", path=rf"^/channels/{h.world.theories.id}/threads$", after=True)
    travel_to(h, await air_time(h, s2(4)))
    await until(lambda: len(threads(h, "S2E4 discussion")) == 1, what="the post")

    async def retrying() -> bool:
        row = await job(h, s2(4))
        return row is not None and row.state == "pending" and "503" in (row.reason or "")

    await until(retrying, what="the job to wait for its retry")
    h.clock.jump(10 * 60)
    row = await finished(h, s2(4))
    assert row.state == "sent" and row.attempts == 2
    [post] = threads(h, "S2E4 discussion")
    assert row.result == f"{h.world.theories.id}/{post.id}"
    assert len(h.lb.requests_to("POST", rf"^/channels/{h.world.theories.id}/threads$")) == 1
    assert h.lb.requests_to("GET", ACTIVE)  # looked before posting again


@pytest.mark.parametrize("down_for", [0, 2 * HOUR], ids=["back-at-once", "back-two-hours-later"])
async def test_a_crash_mid_opening_in_a_text_channel_leaves_one_message_and_one_thread(
    harness: Harness, down_for: int
) -> None:
    """The process died after Discord made the opening message and its thread but before either was
    recorded. Back at once the nonce, back two hours later the marker, finds the message; Discord
    refuses a second thread on it (160004), naming the one that exists."""
    h = harness
    await severance(h)
    await discussions_in(h, h.world.general)
    travel_to(h, await air_time(h, s2(4)))
    row = await finished(h, s2(4))
    [thread] = threads(h, "S2E4 discussion")
    await h.stop()
    async with migrated(h.settings.database_location) as db, db.transaction():
        await db.execute(
            "UPDATE scheduled_jobs SET state = 'sending', result = NULL, finished_at = NULL WHERE id = ?",
            (row.id,),
        )
        await db.execute("UPDATE discussion_threads SET thread_id = NULL, message_id = NULL")
    h.clock.jump(down_for)
    await h.start()
    row = await finished(h, s2(4))
    assert row.state == "sent" and row.result == f"{h.world.general.id}/{thread.id}"
    assert threads(h, "S2E4 discussion") == [thread]
    opening = [m for m in h.lb.channel_messages(h.world.general) if "S2E4** is out" in m.text]
    assert [m.id for m in opening] == [thread.id]
    stored = await h.bot.discussions.store.get(h.guild.id, s2(4))
    assert stored is not None and (stored.thread_id, stored.message_id) == (thread.id, thread.id)


async def test_a_500_that_discord_py_retries_itself_makes_no_second_thread(harness: Harness) -> None:
    h = harness
    await severance(h)
    await discussions_in(h, h.world.general)
    h.lb.inject(
        500, method="POST", path=rf"^/channels/{h.world.general.id}/messages/\d+/threads$", after=True
    )
    travel_to(h, await air_time(h, s2(4)))
    row = await finished(h, s2(4))
    assert row.state == "sent", row.reason
    assert len(h.lb.requests_to("POST", r"/threads$")) == 2  # discord.py asked twice; Discord refused the 2nd
    assert len(threads(h, "S2E4 discussion")) == 1


async def test_a_streaming_drop_opens_one_post_per_episode_in_order_within_the_limits(
    harness: Harness,
) -> None:
    """Eight episodes at one instant, under Discord's real limits: eight posts, in episode order, and
    no 429 (the forum's bucket paces them: 5 per 5 seconds)."""
    h = harness
    await severance(h)
    await discussions_in(h, h.world.theories)
    drop = int(h.clock.now()) + 2 * DAY
    await h.bot.episodes.upsert(h.guild.id, [(EpisodeCode(3, n), None, drop) for n in range(1, 9)])
    h.lb.limits = DiscordLimits()
    travel_to(h, drop)
    for n in range(1, 9):
        row = await finished(h, EpisodeCode(3, n))
        assert row.state == "sent", row.reason
    posts = [threads(h, f"S3E{n} discussion")[0] for n in range(1, 9)]
    assert [p.id for p in posts] == sorted(p.id for p in posts)  # opened in episode order
    assert h.lb.limits.refused == {}
    assert len(h.lb.requests_to("POST", rf"^/channels/{h.world.theories.id}/threads$")) == 8


async def test_after_downtime_a_release_is_opened_up_to_a_day_late_like_its_announcement(
    harness: Harness,
) -> None:
    assert CATCH_UP == LATE_RELEASE_LIMIT  # the announcements' catch-up rule, to the second
    h = harness
    await severance(h)
    await discussions_in(h, h.world.theories)
    s2e4, s2e5 = await air_time(h, s2(4)), await air_time(h, s2(5))
    await h.stop()
    h.clock.jump(s2e4 + 3 * HOUR - h.clock.now())  # down across S2E4's release
    await h.start()
    row = await finished(h, s2(4))
    assert row.state == "sent" and len(threads(h, "S2E4 discussion")) == 1
    await h.stop()
    h.clock.jump(s2e5 + CATCH_UP + HOUR - h.clock.now())  # down for more than a day after S2E5's
    await h.start()
    row = await finished(h, s2(5))
    assert row.state == "skipped" and "expired" in (row.reason or "")
    assert threads(h, "S2E5 discussion") == []


async def test_permissions_are_named_before_and_at_the_release_and_moderators_hear_once(
    harness: Harness,
) -> None:
    h = harness
    await severance(h)
    await configure(h, zone=None)
    bot = h.lb.bot_role(h.guild)
    h.lb.set_overwrite(h.world.general, bot, deny=discord.Permissions(create_public_threads=True))
    await h.settle()
    reply = await h.mod.slash("spoilers discussions", channel=h.world.general)
    assert "**Create Public Threads**" in reply.text and "Example" in reply.text
    assert (await h.bot.guild_store.get(h.guild.id)).discussion_channel_id is None
    await discussions_in(h, h.world.theories)
    h.lb.set_overwrite(h.world.theories, bot, deny=discord.Permissions(send_messages=True))
    await h.settle()
    travel_to(h, await air_time(h, s2(4)))
    row = await finished(h, s2(4))
    assert row.state == "failed" and "Send Messages" in (row.reason or "")
    told = [m for m in h.lb.bot_messages(h.world.announcements) if "discussion thread for **S2E4**" in m.text]
    assert len(told) == 1 and "Send Messages" in told[0].text
    assert threads(h, "S2E4 discussion") == []
    reply = await h.owner.slash("config show")
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert "I'm missing Send Messages there" in fields["Discussions"]


async def test_off_cancels_what_is_scheduled_and_on_brings_it_back(harness: Harness) -> None:
    h = harness
    await severance(h)
    await discussions_in(h, h.world.theories)
    reply = await h.mod.slash("spoilers discussions")
    assert "Discussions are off" in reply.text
    row = await job(h, s2(4))
    assert row is not None and row.state == "cancelled"
    reply = await h.owner.slash("config show")
    fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
    assert fields["Discussions"].startswith("off")
    await discussions_in(h, h.world.general)
    row = await job(h, s2(4))
    assert row is not None and row.state == "pending"
    travel_to(h, await air_time(h, s2(4)))
    assert (await finished(h, s2(4))).state == "sent"
    assert len(threads(h, "S2E4 discussion", h.world.general)) == 1


async def test_a_release_moved_by_the_schedule_moves_its_thread(harness: Harness) -> None:
    h = harness
    await severance(h)
    await discussions_in(h, h.world.theories)
    old = await air_time(h, s2(4))
    await h.bot.episodes.upsert(h.guild.id, [(s2(4), None, old + DAY)])
    row = await job(h, s2(4))
    assert row is not None and row.due_at == old + DAY and row.state == "pending"
    travel_to(h, old + HOUR)
    await h.bot.scheduler.wait_caught_up(h.clock.now())
    assert threads(h, "S2E4 discussion") == []
    travel_to(h, old + DAY)
    assert (await finished(h, s2(4))).state == "sent"


async def test_the_guard_leaves_discussion_threads_alone(harness: Harness) -> None:
    """Spoilers are welcome in a release's thread: the guard removes a fresh word elsewhere, not there."""
    h = harness
    await severance(h)
    await with_message_content(h)
    talk = h.lb.add_channel(h.guild, "episode-talk")
    await h.settle()
    await h.mod.slash("spoilers words add", episode="S2E4", word="Cobel")
    assert "\N{WHITE HEAVY CHECK MARK}" in (await h.mod.slash("spoilers guard on")).text
    await discussions_in(h, talk)
    travel_to(h, await air_time(h, s2(4)))
    assert (await finished(h, s2(4))).state == "sent"
    [thread] = threads(h, "S2E4 discussion", talk)
    alice = h.world.members["alice"]
    welcome = h.lb.post_as(alice, thread, "Cobel knew all along")
    leak = h.lb.post_as(alice, h.world.general, "Cobel knew all along")
    await h.lb.wait_for_message(lambda m: m.author.id == h.lb.bot_user.id and "From @helly" in m.content)
    await h.settle()
    assert leak.deleted and not welcome.deleted
