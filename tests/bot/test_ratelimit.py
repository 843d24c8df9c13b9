"""The global limiter every REST request but interaction responses goes through."""

from __future__ import annotations

import asyncio
import itertools
import time

import discord
import pytest

from bot.ratelimit import DISCORD_GLOBAL_LIMIT, GlobalRateLimiter, background_requests, in_background
from tests.harness import Harness


def test_the_default_stays_under_discords_global_limit() -> None:
    limiter = GlobalRateLimiter()
    assert limiter.period == 1.0
    assert 0 < limiter.rate < DISCORD_GLOBAL_LIMIT
    with pytest.raises(ValueError, match="at least 1"):
        GlobalRateLimiter(0)
    with pytest.raises(ValueError, match="period positive"):
        GlobalRateLimiter(10, period=0)


async def test_requests_beyond_the_rate_wait_for_the_window() -> None:
    # Three a minute: the fourth cannot go through within this test, whatever the machine's speed.
    limiter = GlobalRateLimiter(rate=3, period=60, burst=3)
    for _ in range(3):
        async with limiter:
            pass
    assert limiter.acquired == 3
    assert limiter.delayed == 0  # a burst up to the rate goes at once
    assert not limiter.has_capacity()
    fourth = asyncio.ensure_future(limiter.acquire())
    done, _ = await asyncio.wait({fourth}, timeout=0.05)
    assert not done  # held back, not sent
    fourth.cancel()
    with pytest.raises(asyncio.CancelledError):
        await fourth
    assert limiter.acquired == 3
    assert limiter.has_capacity() is False


async def test_a_burst_is_paced_so_no_window_holds_more_than_the_rate() -> None:
    limiter = GlobalRateLimiter(rate=20, period=0.5)
    granted: list[float] = []

    async def send() -> None:
        await limiter.acquire()
        granted.append(time.monotonic())

    await asyncio.gather(*(send() for _ in range(70)))
    assert limiter.acquired == 70
    assert limiter.burst == 10
    assert limiter.delayed == 60  # the first 10 went at once; the rest were paced, in order
    granted.sort()
    gaps = [b - a for a, b in itertools.pairwise(granted[10:])]
    assert min(gaps) >= limiter.spacing * 0.4  # spaced out, not sent as a second burst
    busiest = max(sum(1 for t in granted if start <= t < start + limiter.period) for start in granted)
    # A slow machine only spreads requests further apart; the slack covers a granted task
    # that runs a moment late.
    assert busiest <= limiter.rate + 2


async def test_background_requests_take_at_most_half_the_window() -> None:
    # Four a minute: nothing frees up within this test, whatever the machine's speed.
    limiter = GlobalRateLimiter(rate=4, period=60, burst=4)
    assert limiter.background_share == 2
    with background_requests():
        assert in_background()
        await limiter.acquire()
        await limiter.acquire()
        third = asyncio.ensure_future(limiter.acquire())  # the task copies the context: background too
    assert not in_background()
    done, _ = await asyncio.wait({third}, timeout=0.05)
    assert not done  # the background half is spent, though the window has room
    await limiter.acquire()  # an announcement still goes at once
    await limiter.acquire()
    assert (limiter.acquired, limiter.background_acquired) == (4, 2)
    third.cancel()
    with pytest.raises(asyncio.CancelledError):
        await third


async def test_an_ordinary_request_goes_before_a_background_one_that_waited_longer() -> None:
    limiter = GlobalRateLimiter(rate=2, period=0.3, burst=2)
    await limiter.acquire()
    await limiter.acquire()  # the window is full for 0.3 s
    order: list[str] = []

    async def send(name: str, *, background: bool) -> None:
        await limiter.acquire(background=background)
        order.append(name)

    counts = asyncio.create_task(send("vote counts", background=True))
    await asyncio.sleep(0.01)  # the background request is waiting first
    announcement = asyncio.create_task(send("announcement", background=False))
    await asyncio.wait_for(asyncio.gather(counts, announcement), 10)
    assert order == ["announcement", "vote counts"]


async def test_one_lane_puts_background_requests_back_in_the_queue() -> None:
    limiter = GlobalRateLimiter(rate=4, period=60, burst=4)
    limiter.lanes = False  # what benchmarks compare against
    with background_requests():
        for _ in range(3):
            await limiter.acquire()
    assert (limiter.acquired, limiter.background_acquired) == (3, 0)


async def test_rest_requests_wait_for_the_limiter_but_interaction_responses_do_not(harness: Harness) -> None:
    harness.bot.rate_limiter = limiter = GlobalRateLimiter(rate=1, period=60)
    await limiter.acquire()  # the window is now full for a minute
    reply = await harness.owner.slash("about")  # answered at once: interaction responses are exempt
    assert reply.embeds
    channel = harness.bot.get_channel(harness.world.general.id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(channel.send("held back"), 0.3)
    assert harness.lb.bot_messages(harness.world.general) == []


def test_a_process_running_some_shards_takes_its_share_of_the_global_limit() -> None:
    from bot import create_bot
    from bot.config import Settings
    from bot.ratelimit import DEFAULT_RATE
    from tests.loopback import BOT_TOKEN

    url = "postgresql://bot@localhost/cliffhanger"
    whole = create_bot(Settings(discord_token=BOT_TOKEN))
    assert whole.rate_limiter.rate == DEFAULT_RATE
    halves = [
        create_bot(Settings(discord_token=BOT_TOKEN, database_url=url, shard_count=2, shard_ids=(n,)))
        for n in (0, 1)
    ]
    assert [b.rate_limiter.rate for b in halves] == [DEFAULT_RATE // 2] * 2
    assert [(b.shard_count, b.shard_ids) for b in halves] == [(2, [0]), (2, [1])]
    uneven = [
        create_bot(Settings(discord_token=BOT_TOKEN, database_url=url, shard_count=10, shard_ids=ids))
        for ids in ((0, 1, 2), (3, 4, 5), (6, 7, 8, 9))
    ]
    assert sum(b.rate_limiter.rate for b in uneven) <= DEFAULT_RATE
