"""Spoiler-safe titles end to end: a countdown title holding a fresh spoiler word is refused."""

from __future__ import annotations

from bot.episodes import EpisodeCode
from bot.spoilers import is_fresh, member_progress
from tests.cogs.countdowns.support import cog, configure, create, now
from tests.harness import Harness

S2E3 = EpisodeCode(2, 3)


async def test_a_countdown_title_with_a_fresh_spoiler_word_is_refused(harness: Harness) -> None:
    h = harness
    await configure(h)
    await h.bot.episodes.upsert(h.guild.id, [(S2E3, None, now(h) - 86400)])  # aired yesterday
    await h.bot.spoiler_words.add_word(h.guild.id, S2E3, "Reghabi", h.owner.id)

    reply = await create(h, title="Reghabi returns?", when="in 3 days")
    assert reply.ephemeral
    assert "spoiler word for S2E3" in reply.text
    assert "Reghabi" not in reply.text  # the refusal must not spoil either
    assert "Example" in reply.text

    # Once the episode is out of the window, the same title is fine.
    h.clock.jump(8 * 86400)
    reply = await create(h, title="Reghabi returns?", when="in 3 days")
    assert "\N{WHITE HEAVY CHECK MARK} Countdown #" in reply.text, reply.text


async def test_is_fresh_follows_air_times_and_the_servers_window(harness: Harness) -> None:
    h = harness
    t = now(h)
    await h.bot.episodes.upsert(
        h.guild.id,
        [
            (EpisodeCode(2, 1), None, t - 10 * 86400),
            (S2E3, None, t - 86400),
            (EpisodeCode(2, 4), None, t + 86400),
        ],
    )
    assert not await is_fresh(h.bot, h.guild.id, EpisodeCode(2, 1))  # aired ten days ago
    assert await is_fresh(h.bot, h.guild.id, S2E3)  # yesterday, inside the default week
    assert await is_fresh(h.bot, h.guild.id, EpisodeCode(2, 4))  # not aired yet
    assert await is_fresh(h.bot, h.guild.id, EpisodeCode(3, 1))  # not in the schedule: the safe side
    await h.bot.guild_store.update(h.guild.id, spoiler_window_seconds=3600)
    assert not await is_fresh(h.bot, h.guild.id, S2E3)
    await h.bot.progress.set(h.guild.id, h.alice.id, S2E3)
    assert await member_progress(h.bot, h.guild.id, h.alice.id) == S2E3


async def test_invisible_and_look_alike_characters_do_not_slip_a_spoiler_word_into_a_title(
    harness: Harness,
) -> None:
    h = harness
    await configure(h)
    await h.bot.episodes.upsert(h.guild.id, [(S2E3, None, now(h) - 86400)])
    await h.bot.spoiler_words.add_word(h.guild.id, S2E3, "Reghabi", h.owner.id)
    for disguised in (
        "Reg\u034fhabi returns?",  # combining grapheme joiner
        "R\u0435ghabi returns?",  # Cyrillic e
        "Reg\u180bhabi returns?",  # Mongolian free variation selector
        "Reg\u17b4habi returns?",  # Khmer inherent vowel
        "R\u0435g\u04bb\u0430bi returns?",  # Cyrillic e, h and a
    ):
        reply = await create(h, title=disguised, when="in 3 days")
        assert reply.ephemeral and "spoiler word for S2E3" in reply.text, (disguised, reply.text)
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0
