"""Spoiler-safe titles end to end: a countdown title holding a fresh spoiler word is refused."""

from __future__ import annotations

from bot.episodes import EpisodeCode
from tests.conftest import Harness
from tests.countdown_support import configure, create, now

S2E3 = EpisodeCode(2, 3)


async def test_a_countdown_title_with_a_fresh_spoiler_word_is_refused(harness: Harness) -> None:
    h = harness
    await configure(h)
    await h.bot.episodes.upsert(h.guild.id, [(S2E3, None, now(h) - 86400)])  # aired yesterday
    await h.bot.spoiler_store.add_word(h.guild.id, S2E3, "Reghabi", h.owner.id)

    reply = await create(h, title="Reghabi returns?", when="in 3 days")
    assert reply.ephemeral
    assert "spoiler word for S2E3" in reply.text
    assert "Reghabi" not in reply.text  # the refusal must not spoil either
    assert "Example" in reply.text

    # Once the episode is out of the window, the same title is fine.
    h.clock.jump(8 * 86400)
    reply = await create(h, title="Reghabi returns?", when="in 3 days")
    assert "\N{WHITE HEAVY CHECK MARK} Countdown #" in reply.text, reply.text
