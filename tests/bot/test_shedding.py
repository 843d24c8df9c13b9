"""Past the knee the bot sheds load by deferring: an interaction it reaches late is deferred at
once and answered by a followup, instead of missing Discord's 3 s deadline. Driven through the
loopback, whose deadline is Discord's, with a slowed bot: its event loop stalls on another event and
its database answers slowly, as when it is overloaded."""

from __future__ import annotations

from bot.shedding import DEFER_AFTER
from tests.harness import Harness
from tests.support import STALL, slow_bot


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
