"""A client-side limit on the bot's request rate, a little under Discord's global 50 per second.

discord.py honours per-route buckets and reacts to 429s, but it does not pace itself to the global
limit. When one premiere is announced in many servers at the same second, every scheduled send
goes through this limiter, so the fan-out is spread out instead of tripping a global 429.
"""

from __future__ import annotations

import logging
import time
from types import TracebackType

from aiolimiter import AsyncLimiter

__all__ = ["DISCORD_GLOBAL_LIMIT", "GlobalRateLimiter"]

log = logging.getLogger(__name__)

DISCORD_GLOBAL_LIMIT = 50  # requests per second per bot (interaction responses are not counted)
DEFAULT_RATE = 45  # headroom for the requests that do not go through the limiter


class GlobalRateLimiter:
    """`async with bot.rate_limiter:` around each REST request of a fan-out (announcements).

    A leaky bucket (aiolimiter) of `rate` requests per `period` seconds, shared by the whole
    process. It counts what passed and how many had to wait, for /about and benchmarks.
    """

    def __init__(self, rate: float = DEFAULT_RATE, period: float = 1.0) -> None:
        if rate <= 0 or period <= 0:
            raise ValueError("rate and period must be positive")
        self.rate = rate
        self.period = period
        self._limiter = AsyncLimiter(rate, period)
        self.acquired = 0  # requests let through so far
        self.delayed = 0  # of those, how many had to wait for capacity
        self.waited = 0.0  # total seconds spent waiting

    def has_capacity(self) -> bool:
        """Whether one more request would go through without waiting."""
        return self._limiter.has_capacity()

    async def acquire(self) -> None:
        """Wait until one more request fits under the limit."""
        if self._limiter.has_capacity():
            await self._limiter.acquire()
        else:
            started = time.monotonic()
            await self._limiter.acquire()
            self.delayed += 1
            self.waited += time.monotonic() - started
            if self.delayed % 100 == 1:
                log.debug("fan-out paced: %d request(s) waited for the global limit so far", self.delayed)
        self.acquired += 1

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None
