"""Announcements end to end: on time, pinging only the role, exactly once, caught up, failing well."""

from __future__ import annotations

import logging

import discord
import pytest

from bot.ratelimit import GlobalRateLimiter
from tests.cogs.countdowns.support import (
    announced,
    announcements,
    cog,
    configure,
    created,
    deny_send,
    jobs,
    ping_role,
    run_events,
    settled,
)
from tests.harness import Harness
from tests.support import migrated, until

DAY, HOUR = 86_400, 3600
MESSAGES = r"^/channels/\d+/messages$"


async def test_each_milestone_posts_at_its_moment_and_pings_only_the_role(harness: Harness) -> None:
    h = harness
    await configure(h)
    role = ping_role(h)
    await run_events(h)
    countdown = await created(h, title="Severance season 2", when="in 2 hours", role=role, milestones="1h")
    h.clock.jump(HOUR - 30)
    await h.bot.scheduler.wait_caught_up(h.clock.now())
    assert announcements(h) == []  # thirty seconds early: nothing yet
    h.clock.jump(31)
    message = await announced(h, countdown.id, "In one hour", h.world.announcements)
    assert message.content == f"<@&{role.id}> \N{ALARM CLOCK} **Severance season 2**: in one hour"
    assert message.pinged_roles == [role.id]
    assert message.pinged_users == [] and not message.pinged_everyone
    assert message.allowed_mentions == {"parse": [], "roles": [role.id]}
    (embed,) = message.embeds
    assert embed["title"] == "Severance season 2"
    assert f"<t:{countdown.release_at}:R>" in embed["description"]
    rows = await settled(h, countdown.id, HOUR)
    assert rows[HOUR].state == "sent"
    assert message.nonce == rows[HOUR].nonce == f"ch{rows[HOUR].id}"
    assert rows[HOUR].result == f"{h.world.announcements.id}/{message.id}"
    assert [b["label"] for b in message.buttons()] == ["Notify me"]

    h.clock.jump(HOUR)
    out = await announced(h, countdown.id, "it's out!", h.world.announcements)
    assert out.content == f"<@&{role.id}> \N{CLAPPER BOARD} **Severance season 2**: it's out!"
    assert out.pinged_roles == [role.id]
    assert f"Released <t:{countdown.release_at}:F>" in out.embeds[0]["description"]
    await settled(h, countdown.id, 0)
    assert len(announcements(h)) == 2


async def test_a_countdown_a_few_seconds_out_fires_on_the_real_clock(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Now-ish", when="in 2 seconds")
    message = await announced(h, countdown.id, "it's out!", timeout=10)
    assert message.pinged_roles == [] and not message.content.startswith("<@&")
    assert message.buttons() == []  # no ping role: nothing to opt into


async def test_without_a_role_nothing_pings_even_if_the_title_looks_like_one(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="S2: ~everyone~ is waiting", when="in 1 hour")
    h.clock.jump(HOUR)
    message = await announced(h, countdown.id, "it's out!")
    assert message.pinged_roles == [] and message.pinged_users == [] and not message.pinged_everyone
    assert message.allowed_mentions == {"parse": []}


async def test_exactly_once_across_a_restart(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 2 hours", milestones="1h")
    await h.restart()  # pending jobs survive: the database is the truth
    h.clock.jump(HOUR)
    await announced(h, countdown.id, "In one hour")
    await settled(h, countdown.id, HOUR)
    await h.restart()  # sent jobs are never repeated
    h.clock.jump(HOUR)
    await announced(h, countdown.id, "it's out!")
    await settled(h, countdown.id, 0)
    await h.restart()
    await h.bot.scheduler.wait_caught_up(h.clock.now())
    assert len(announcements(h, countdown_id=countdown.id)) == 2
    assert len(h.lb.requests_to("POST", MESSAGES)) == 2


async def test_exactly_once_across_a_gateway_resume(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour")
    resumes = h.lb.resume_count
    await h.lb.disconnect()
    h.clock.jump(HOUR)  # due while the gateway is down: REST still works
    await announced(h, countdown.id, "it's out!")
    await until(lambda: h.lb.resume_count > resumes and h.lb.connected(), what="a RESUME")
    await h.settle()
    await settled(h, countdown.id, 0)
    h.clock.jump(HOUR)
    await h.bot.scheduler.wait_caught_up(h.clock.now())
    assert len(announcements(h, countdown_id=countdown.id)) == 1


async def test_exactly_once_across_a_reidentify(harness: Harness) -> None:
    h = harness
    await configure(h)
    first = await created(h, title="Premiere", when="in 1 hour", milestones="release")
    second = await created(h, title="Finale", when="in 2 hours", milestones="release")
    h.clock.jump(HOUR)
    await announced(h, first.id, "it's out!")
    identifies = h.lb.identify_count
    await h.lb.invalidate_sessions()  # on_ready fires again; nothing may start twice
    await until(lambda: h.lb.identify_count > identifies and h.lb.connected(), what="a re-IDENTIFY")
    await h.settle()
    h.clock.jump(HOUR)
    await announced(h, second.id, "it's out!")
    await settled(h, second.id, 0)
    assert len(announcements(h, countdown_id=first.id)) == 1
    assert len(announcements(h, countdown_id=second.id)) == 1


async def test_a_lost_reply_after_the_send_does_not_duplicate(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour")
    # Discord stores the message, then the reply is lost (a 503 after processing): the scheduler
    # retries later with the same nonce and Discord hands back the message it already has.
    h.lb.inject(503, method="POST", path=MESSAGES, after=True)
    h.clock.jump(HOUR)
    await until(lambda: len(announcements(h, countdown_id=countdown.id)) == 1, what="the first send")

    async def retry_pending() -> bool:
        row = (await jobs(h, countdown.id))[0]
        return row.state == "pending" and row.attempts == 1 and "503" in (row.reason or "")

    await until(retry_pending, what="the job to be queued for retry")
    h.clock.jump(30)  # inside the nonce window: no need to look, Discord drops the repeat
    rows = await settled(h, countdown.id, 0)
    assert rows[0].state == "sent" and rows[0].attempts == 2
    posts = h.lb.requests_to("POST", MESSAGES)
    assert len(posts) == 2 and posts[0].body["nonce"] == posts[1].body["nonce"] == rows[0].nonce
    assert all(p.body["enforce_nonce"] for p in posts)
    assert len(announcements(h, countdown_id=countdown.id)) == 1


@pytest.mark.parametrize(
    ("down_for", "posts"), [(0, 2), (2 * HOUR, 1)], ids=["back-at-once", "back-two-hours-later"]
)
async def test_a_crash_between_send_and_mark_leaves_one_message_whenever_the_bot_comes_back(
    harness: Harness, down_for: int, posts: int
) -> None:
    """The process died after Discord took the message but before the row was marked sent. Back at
    once, the retry carries the same nonce and Discord hands back the message it has; back two hours
    later, Discord has forgotten the nonce, and the bot finds its message by the job's marker."""
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour", milestones="release")
    h.clock.jump(HOUR)
    first = await announced(h, countdown.id, "it's out!")
    await settled(h, countdown.id, 0)
    await h.stop()
    # The process died after Discord took the message but before the row was marked sent.
    async with migrated(h.settings.database_location) as db:
        await db.execute(
            "UPDATE scheduled_jobs SET state = 'sending', result = NULL, finished_at = NULL WHERE key LIKE 'countdown:%'"
        )
    h.clock.jump(down_for)
    await h.start()
    rows = await settled(h, countdown.id, 0)
    assert rows[0].state == "sent" and rows[0].attempts == 2
    assert rows[0].result == f"{h.world.announcements.id}/{first.id}"  # the same message
    assert len(h.lb.requests_to("POST", MESSAGES)) == posts
    assert len(announcements(h, countdown_id=countdown.id)) == 1


async def test_a_send_discord_took_is_found_when_the_retry_comes_after_the_nonce_window(
    harness: Harness,
) -> None:
    """Discord creates the message but the answer is a 5xx (a 503: discord.py retries a 500 itself,
    within seconds, where the nonce still catches it). The scheduler's retry comes ten minutes later,
    when Discord no longer remembers the nonce: the bot finds its first message by the job's invisible
    marker and records the job as sent, instead of posting it twice."""
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour", milestones="release")
    h.lb.inject(503, method="POST", path=MESSAGES, after=True)
    h.clock.jump(HOUR)
    first = await announced(h, countdown.id, "it's out!")

    async def retry_pending() -> bool:
        row = (await jobs(h, countdown.id))[0]
        return row.state == "pending" and "503" in (row.reason or "")

    await until(retry_pending, what="the job to be queued for retry")
    h.clock.jump(10 * 60)
    rows = await settled(h, countdown.id, 0)
    assert rows[0].state == "sent" and rows[0].result == f"{h.world.announcements.id}/{first.id}"
    assert len(announcements(h, countdown_id=countdown.id)) == 1
    assert len(h.lb.requests_to("POST", MESSAGES)) == 1  # found, not sent again
    assert h.lb.requests_to("GET", MESSAGES)  # looked in the channel's recent messages


async def test_the_marker_is_invisible_and_unique_to_each_job(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 2 hours", milestones="1h")
    h.clock.jump(HOUR)
    hour = await announced(h, countdown.id, "in one hour")
    h.clock.jump(HOUR)
    out = await announced(h, countdown.id, "it's out!")
    footers = [m.embeds[0]["footer"]["text"] for m in (hour, out)]
    assert footers[0] != footers[1]
    for footer in footers:
        assert footer.startswith(f"Countdown #{countdown.id}")
        assert footer[len(f"Countdown #{countdown.id}") :].strip("\u200b\u200c\u2063") == ""


async def test_a_500_with_the_message_already_stored_is_retried_by_discord_py_and_deduplicated(
    harness: Harness,
) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour")
    h.lb.inject(500, method="POST", path=MESSAGES, after=True)
    h.clock.jump(HOUR)
    rows = await settled(h, countdown.id, 0)
    assert rows[0].state == "sent"
    assert len(h.lb.requests_to("POST", MESSAGES)) == 2
    assert len(announcements(h, countdown_id=countdown.id)) == 1


async def test_429_and_503_are_retried(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour")
    h.lb.inject(429, method="POST", path=MESSAGES, retry_after=0.05)
    h.lb.inject(503, method="POST", path=MESSAGES)
    h.clock.jump(HOUR)

    async def backing_off() -> bool:
        row = (await jobs(h, countdown.id))[0]
        return row.state == "pending" and "503" in (row.reason or "")

    await until(backing_off, what="a backoff after the 503")
    assert announcements(h) == []
    h.clock.jump(60)
    rows = await settled(h, countdown.id, 0)
    assert rows[0].state == "sent"
    assert len(announcements(h, countdown_id=countdown.id)) == 1


async def test_downtime_catch_up_skips_overtaken_milestones_and_says_premiered(harness: Harness) -> None:
    h = harness
    await configure(h)
    late = await created(h, title="Premiere", when="in 2 days", milestones="1d,1h")
    gone = await created(h, title="Old special", when="in 1 day", milestones="1h")
    ahead = await created(h, title="Finale", when="in 5 days", milestones="3d,1d")
    await h.stop()
    h.clock.jump(2 * DAY + 3 * HOUR)  # down for two days and three hours
    await h.start()
    message = await announced(h, late.id, "premiered")
    assert f"premiered <t:{late.release_at}:R>" in message.content
    rows = await settled(h, late.id, DAY, HOUR, 0)
    assert rows[DAY].state == rows[HOUR].state == "skipped"
    assert rows[DAY].reason == f"superseded by countdown:{late.id}:0, which was also due"
    assert rows[HOUR].reason == f"superseded by countdown:{late.id}:0, which was also due"
    assert rows[0].state == "sent"
    # A release more than a day late is not posted, and says why.
    old = await settled(h, gone.id, HOUR, 0)
    assert old[0].state == "skipped" and old[0].reason is not None and old[0].reason.startswith("expired: ")
    assert old[HOUR].state == "skipped"
    assert announcements(h, countdown_id=gone.id) == []
    # The 3d milestone of the finale ran late alone: it says when, not "3 days to go".
    finale = await announced(h, ahead.id, "coming")
    assert f"coming <t:{ahead.release_at}:R>" in finale.content
    every = [j for cid in (late.id, gone.id, ahead.id) for j in (await jobs(h, cid)).values()]
    assert all(j.reason for j in every if j.state in ("skipped", "failed", "cancelled"))


async def test_a_deleted_channel_fails_with_a_reason_and_moderators_hear_once(harness: Harness) -> None:
    h = harness
    await configure(h)
    doomed = await created(
        h, title="Spoiler-room premiere", when="in 2 hours", milestones="1h", channel=h.world.spoilers
    )
    fine = await created(h, title="Main premiere", when="in 2 hours", milestones="1h")
    h.lb.delete_channel(h.world.spoilers)
    await run_events(h)
    h.clock.jump(HOUR)
    await announced(h, fine.id, "In one hour", h.world.announcements)
    rows = await settled(h, doomed.id, HOUR)
    assert rows[HOUR].state == "failed" and rows[HOUR].reason == "the channel was deleted"
    h.clock.jump(HOUR)
    await announced(h, fine.id, "it's out!", h.world.announcements)  # every other countdown carries on
    rows = await settled(h, doomed.id, 0)
    assert rows[0].state == "failed"
    notices = [
        m for m in h.lb.bot_messages(h.world.announcements) if "I couldn't post the countdown" in m.content
    ]
    assert len(notices) == 1  # once per countdown and channel, not once per milestone
    assert "**Spoiler-room premiere**" in notices[0].content
    assert "the channel was deleted" in notices[0].content and "/countdown edit" in notices[0].content
    assert notices[0].pinged_roles == [] and notices[0].pinged_users == []
    status = await h.owner.slash("countdown status", countdown=str(doomed.id))
    assert "failed" in status.text and "the channel was deleted" in status.text
    config = await h.owner.slash("config show")
    assert "**Spoiler-room premiere** can't post in" in config.text


async def test_a_removed_permission_and_a_403_from_discord_fail_and_are_reported_once_each(
    harness: Harness,
) -> None:
    h = harness
    await configure(h)
    denied = await created(h, title="Denied", when="in 2 hours", milestones="1h", channel=h.world.spoilers)
    refused = await created(h, title="Refused", when="in 2 hours", milestones="1h", channel=h.world.general)
    deny_send(h, h.world.spoilers)
    await run_events(h)
    # Discord refuses #general although the bot's cache says it may post (a permission race).
    h.lb.inject(403, method="POST", path=rf"^/channels/{h.world.general.id}/messages$", times=2)
    h.clock.jump(HOUR)
    a = await settled(h, denied.id, HOUR)
    b = await settled(h, refused.id, HOUR)
    assert a[HOUR].state == "failed" and a[HOUR].reason == "I'm missing Send Messages, Embed Links there"
    assert b[HOUR].state == "failed"
    assert (b[HOUR].reason or "").startswith("403")
    h.clock.jump(HOUR)
    await settled(h, denied.id, 0)
    await settled(h, refused.id, 0)
    notices = [m.content for m in h.lb.bot_messages(h.world.announcements) if "I couldn't post" in m.content]
    assert len(notices) == 2
    assert any("**Denied**" in n and "Give my role those permissions" in n for n in notices)
    assert any("**Refused**" in n and "403" in n for n in notices)


async def test_a_404_from_discord_marks_the_job_failed_and_tells_the_moderators(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Vanished", when="in 1 hour", channel=h.world.general)
    # The channel went away on Discord's side before the bot's cache heard of it.
    h.lb.inject(404, method="POST", path=rf"^/channels/{h.world.general.id}/messages$")
    h.clock.jump(HOUR)
    rows = await settled(h, countdown.id, 0)
    assert rows[0].state == "failed"
    assert (rows[0].reason or "").startswith("404")
    (notice,) = [m for m in h.lb.bot_messages(h.world.announcements) if "I couldn't post" in m.content]
    assert (
        "**Vanished**" in notice.content and "Pick another channel with `/countdown edit`" in notice.content
    )


async def test_when_the_announcement_channel_itself_fails_the_log_is_told_once(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 2 hours", milestones="1h")
    deny_send(h, h.world.announcements)
    await run_events(h)
    caplog.set_level(logging.WARNING, logger="cogs.countdowns.announce")
    h.clock.jump(HOUR)
    await settled(h, countdown.id, HOUR)
    h.clock.jump(HOUR)
    rows = await settled(h, countdown.id, 0)
    assert rows[HOUR].state == rows[0].state == "failed"
    assert rows[0].reason == "I'm missing Send Messages, Embed Links there"
    told = [r for r in caplog.records if "could not be told in Discord" in r.getMessage()]
    assert len(told) == 1
    assert "Premiere" in told[0].getMessage()
    assert h.lb.bot_messages(h.world.announcements) == []


async def test_no_announcement_channel_at_send_time(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour")
    cleared = await h.owner.slash("config announcements")
    assert "cleared" in cleared.content
    caplog.set_level(logging.WARNING, logger="cogs.countdowns.announce")
    h.clock.jump(HOUR)
    rows = await settled(h, countdown.id, 0)
    assert rows[0].state == "failed" and rows[0].reason == "no announcement channel is set for this server"
    assert any("/config announcements" in r.getMessage() for r in caplog.records)


async def test_a_deleted_countdown_and_a_deleted_role_are_handled(harness: Harness) -> None:
    h = harness
    await configure(h)
    role = ping_role(h)
    await run_events(h)
    kept = await created(h, title="Kept", when="in 1 hour", role=role)
    del h.guild.roles[role.id]
    h.lb.dispatch(
        "GUILD_ROLE_DELETE", {"guild_id": str(h.guild.id), "role_id": str(role.id)}, guild_id=h.guild.id
    )
    await run_events(h)
    h.clock.jump(HOUR)
    message = await announced(h, kept.id, "it's out!")
    assert message.pinged_roles == [] and "<@&" not in message.content
    assert message.buttons() == []


async def test_fan_outs_go_through_the_global_limiter(harness: Harness) -> None:
    """Every REST request passes the limiter, so only the 8 announcements are counted here."""
    h = harness
    await configure(h)
    made = [await created(h, title=f"Drop {n}", when="in 1 hour", milestones="release") for n in range(8)]
    h.bot.rate_limiter = GlobalRateLimiter(rate=3, period=0.3)  # tight, so pacing must happen
    h.clock.jump(HOUR)
    for countdown in made:
        await settled(h, countdown.id, 0)
    assert len(announcements(h)) == 8
    assert h.bot.rate_limiter.acquired == 8
    assert h.bot.rate_limiter.delayed >= 1  # the same-second burst was paced, not fired at once


async def test_notify_me_toggles_the_role_and_still_works_after_a_restart(harness: Harness) -> None:
    h = harness
    await configure(h)
    await h.owner.slash("config show-name", name="Severance")
    countdown = await created(h, title="Premiere", when="in 3 days", make_role=True)
    role = h.guild.role_named("Severance pings")
    await run_events(h)
    card = await h.alice.slash("countdown show", countdown=str(countdown.id))
    assert card.message is not None
    on = await h.alice.click(card.message, "Notify me")
    assert on.ephemeral and "You'll be pinged as" in on.content
    assert role.id in h.world.members["alice"].role_ids
    await h.restart()
    off = await h.alice.click(card.message, f"countdown:notify:{countdown.id}")
    assert off.ephemeral and "You won't be pinged for **Premiere** any more" in off.content
    assert role.id not in h.world.members["alice"].role_ids
    # And the announcement's own button does the same.
    h.clock.jump(3 * DAY)
    message = await announced(h, countdown.id, "it's out!")
    again = await h.bob.click(message, "Notify me")
    assert "You'll be pinged" in again.content
    assert role.id in h.world.members["bob"].role_ids


async def test_notify_me_explains_every_refusal(harness: Harness) -> None:
    h = harness
    await configure(h)
    bare = await created(h, title="No role", when="in 3 days")
    high = h.lb.add_role(h.guild, "High", mentionable=True)
    await run_events(h)
    above = await created(h, title="Above", when="in 3 days", role=high)
    high.position = 50  # dragged above the bot's role after it was picked
    h.lb.dispatch(
        "GUILD_ROLE_UPDATE", {"guild_id": str(h.guild.id), "role": high.to_dict()}, guild_id=h.guild.id
    )
    gone = await created(h, title="Gone", when="in 4 days", role=ping_role(h, "Gone pings"))
    # Cards are posted before the roles change.
    cards = {}
    for countdown in (above, gone):
        reply = await h.alice.slash("countdown show", countdown=str(countdown.id))
        assert reply.message is not None
        cards[countdown.id] = reply.message
    reply = await h.alice.click(cards[above.id], "Notify me")
    assert "I won't hand out" in reply.content and "not below my highest role" in reply.content
    gone_role = h.guild.role_named("Gone pings")
    del h.guild.roles[gone_role.id]
    h.lb.dispatch(
        "GUILD_ROLE_DELETE", {"guild_id": str(h.guild.id), "role_id": str(gone_role.id)}, guild_id=h.guild.id
    )
    await run_events(h)
    reply = await h.alice.click(cards[gone.id], "Notify me")
    assert "The ping role of this countdown was deleted" in reply.content
    # A countdown deleted after its card was posted.
    await cog(h).store.delete(h.guild.id, gone.id)
    reply = await h.alice.click(cards[gone.id], "Notify me")
    assert "That countdown was deleted" in reply.content
    # Manage Roles taken away.
    bot_role = h.lb.bot_role(h.guild)
    h.lb.set_role_permissions(
        bot_role, discord.Permissions(bot_role.permissions & ~discord.Permissions(manage_roles=True).value)
    )
    await run_events(h)
    ok_role = ping_role(h, "Fine pings")
    await run_events(h)
    fine = await created(h, title="Fine", when="in 5 days", role=ok_role)
    card = await h.alice.slash("countdown show", countdown=str(fine.id))
    assert card.message is not None
    reply = await h.alice.click(card.message, "Notify me")
    assert "I'm missing **Manage Roles** in this server" in reply.content
    # A role that gained moderator permissions after it was picked is not handed out.
    h.lb.set_role_permissions(
        bot_role, discord.Permissions(bot_role.permissions | discord.Permissions(manage_roles=True).value)
    )
    h.lb.set_role_permissions(h.guild.role_named("Fine pings"), discord.Permissions(ban_members=True))
    await run_events(h)
    reply = await h.alice.click(card.message, "Notify me")
    assert "I won't hand out" in reply.content and "carries Ban Members" in reply.content
    assert ok_role.id not in h.world.members["alice"].role_ids
    # A card posted while the countdown had a role, pressed after a moderator removed it.
    removed = await h.owner.slash("countdown edit", countdown=str(fine.id), remove_role=True)
    await removed.wait_done()
    reply = await h.alice.click(card.message, "Notify me")
    assert "**Fine** doesn't ping anyone" in reply.content
    assert f"/countdown edit countdown:{fine.id} role:" in reply.content
    assert bare.role_id is None


async def test_notify_me_never_hands_out_the_moderator_role(harness: Harness) -> None:
    """A ping role that became the moderator role would let anyone make themselves a moderator."""
    h = harness
    await configure(h)
    role = ping_role(h, "Severance pings")
    await run_events(h)
    countdown = await created(h, title="Premiere", when="in 3 days", role=role)
    card = await h.alice.slash("countdown show", countdown=str(countdown.id))
    assert card.message is not None
    reply = await h.owner.slash("config moderator-role", role=role)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text
    await run_events(h)
    pressed = await h.alice.click(card.message, "Notify me")
    assert pressed.ephemeral and "it is this server's moderator role" in pressed.text, pressed.text
    assert role.id not in h.world.members["alice"].role_ids
    again = await h.owner.slash("countdown create", title="Finale", when="in 9 days", role=role)
    await again.wait_done()
    assert "it is this server's moderator role" in again.text
