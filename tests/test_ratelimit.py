"""The global limiter that scheduled fan-outs go through."""

from __future__ import annotations

import asyncio

import pytest

from bot.ratelimit import DISCORD_GLOBAL_LIMIT, GlobalRateLimiter


def test_the_default_stays_under_discords_global_limit() -> None:
    limiter = GlobalRateLimiter()
    assert 0 < limiter.rate / limiter.period < DISCORD_GLOBAL_LIMIT
    with pytest.raises(ValueError, match="positive"):
        GlobalRateLimiter(0)


async def test_requests_beyond_the_rate_wait_for_capacity() -> None:
    # Three per minute: the fourth cannot go through within this test, whatever the machine's speed.
    limiter = GlobalRateLimiter(rate=3, period=60)
    for _ in range(3):
        async with limiter:
            pass
    assert limiter.acquired == 3
    assert limiter.delayed == 0
    assert not limiter.has_capacity()
    fourth = asyncio.ensure_future(limiter.acquire())
    done, _ = await asyncio.wait({fourth}, timeout=0.05)
    assert not done  # it is held back, not sent
    fourth.cancel()
    with pytest.raises(asyncio.CancelledError):
        await fourth
    assert limiter.acquired == 3


async def test_a_waiting_request_goes_through_once_capacity_returns() -> None:
    limiter = GlobalRateLimiter(rate=2, period=0.2)
    await asyncio.gather(*(limiter.acquire() for _ in range(5)))
    assert limiter.acquired == 5
    assert limiter.delayed >= 1  # some had to wait: they were paced, not fired at once
    assert limiter.waited > 0
