"""Past the knee the bot sheds load by deferring: an interaction it reaches late is deferred at
once and answered by a followup, instead of missing Discord's 3 s deadline. Driven through the
loopback, whose deadline is Discord's, with a slowed bot: its event loop stalls on another event and
its database answers slowly, as when it is overloaded."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.shedding import DEADLINE, DEFER_AFTER
from tests.harness import Harness
from tests.support import STALL, slow_bot, until


async def test_a_command_the_bot_reaches_late_is_deferred_and_its_reply_follows(harness: Harness) -> None:
    h = harness
    assert STALL > DEFER_AFTER
    slow_bot(h)
    h.lb.add_channel(h.guild, "watch-party")  # the event the bot stalls on arrives first
    reply = await h.alice.slash("countdown next")
    assert not reply.interaction.expired  # answered within 3 s: by the deferral
    assert reply.interaction.response_type == 5 and reply.ephemeral
    await reply.wait_done(timeout=10)
    assert "countdown" in reply.content.lower(), reply.content  # the command's own answer followed


async def test_a_command_reached_after_the_deadline_is_dropped_with_one_line(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    slow_bot(h, stall=DEADLINE + 0.5)  # nothing the bot sends now can reach the member
    h.lb.add_channel(h.guild, "watch-party")
    replies = await asyncio.gather(
        h.alice.slash("countdown next", allow_expired=True), h.bob.slash("countdown next", allow_expired=True)
    )
    assert all(reply.interaction.expired for reply in replies)
    await until(lambda: h.bot.late_work.dropped == 2, what="the bot to drop both")
    assert "past Discord's deadline; dropped" in caplog.text
    assert caplog.text.count("past Discord's deadline") == 1  # a flood of them is a counter, not a line each
    assert "incident" not in caplog.text and "Traceback" not in caplog.text
    late = [r for r in h.lb.requests if "/interactions/" in r.path and r.status == 404]
    assert late == []  # no reply was even tried


async def test_a_command_that_defers_itself_still_answers_when_the_bot_deferred_it_first(
    harness: Harness,
) -> None:
    """Most commands that do slow work defer on their own; reached late, the bot has deferred them
    already, and their own deferral must not fail the command."""
    h = harness
    await h.owner.slash("config announcements", channel=h.world.announcements)
    slow_bot(h)
    h.lb.add_channel(h.guild, "watch-party")
    reply = await h.owner.slash("countdown create", title="Season 3 premiere", when="in 3 days")
    assert not reply.interaction.expired
    assert reply.interaction.response_type == 5 and reply.ephemeral
    for name in ("fetchone", "fetchall", "fetchval"):  # the overload passes: reads are quick again
        delattr(h.bot.db, name)
    await reply.wait_done(timeout=20)
    assert "Season 3 premiere" in reply.content, reply.content
    assert "went wrong" not in reply.content.lower()


async def test_handlers_deferred_for_lateness_take_turns_and_all_answer(harness: Harness) -> None:
    """Saturated, the bot must keep deferring what arrives next: the handlers of the interactions it
    already deferred take turns instead of all competing with the next deferral for the loop."""
    h = harness
    h.bot.late_work.limit = 1
    slow_bot(h)
    reads = h.bot.db.fetchone
    running, most = 0, 0

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal running, most
        running += 1
        most = max(most, running)
        try:
            return await reads(*args, **kwargs)
        finally:
            running -= 1

    h.bot.db.fetchone = counted  # type: ignore[method-assign]
    h.lb.add_channel(h.guild, "watch-party")  # the event the bot stalls on arrives first
    replies = await asyncio.gather(h.alice.slash("countdown next"), h.bob.slash("countdown next"))
    for reply in replies:
        assert not reply.interaction.expired  # both deferred in time
        assert reply.interaction.response_type == 5 and reply.ephemeral
    for reply in replies:
        await reply.wait_done(timeout=20)
        assert "counting down" in reply.content.lower(), reply.content  # and both answered after all
    assert most == 1  # one handler's reads at a time
    assert h.bot.late_work.waited == 1
    await until(lambda: h.bot.late_work.running == 0, what="the turns to be given back")


async def test_while_handlers_wait_their_turn_even_a_prompt_interaction_is_deferred_and_queued(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    """Past the knee every interaction is deferred and answered in turn, so the loop is left to the
    deferrals and the scheduler instead of hundreds of handlers at once."""
    h = harness
    h.bot.late_work.limit = 1
    slow_bot(h)
    h.lb.add_channel(h.guild, "watch-party")
    late = await asyncio.gather(h.alice.slash("countdown next"), h.bob.slash("countdown next"))
    assert h.bot.late_work.backlogged()  # alice's handler runs, bob's waits
    prompt = await h.mod.slash("countdown next")  # reached at once: the stall is over
    assert not prompt.interaction.expired
    assert prompt.interaction.response_type == 5 and prompt.ephemeral  # deferred all the same
    for reply in (*late, prompt):
        await reply.wait_done(timeout=30)
        assert "counting down" in reply.content.lower(), reply.content
    assert h.bot.late_work.waited == 2
    assert caplog.text.count("more interactions than the bot keeps up with") == 1
