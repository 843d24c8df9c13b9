"""A client-side limit on the bot's request rate, a little under Discord's global 50 per second.

discord.py honours per-route buckets and reacts to 429s, but it does not pace itself to the global
limit. The bot routes every REST request (interaction responses excepted: Discord does not count
them) through this limiter, so when one premiere is announced in many servers at the same second the
fan-out is spread out instead of tripping a global 429.

Why not `aiolimiter.AsyncLimiter(45, 1)`: it is a leaky bucket, which lets its whole capacity
through at once and then refills at the rate, so the first second of a burst passes about 90
requests (measured; the loopback's realistic mode answers the excess with global 429s). A shallow
bucket keeps the bound but delays the ordinary case, 25 countdowns due at the same second, by up to
half a second. This limiter counts what it let through in the last `period` seconds instead: a
burst of up to `rate` goes at once, and no window of `period` seconds ever sees more than `rate`.

The same window paces calls to TVmaze (bot/tvmaze.py), which asks for about 20 calls per 10 seconds.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from types import TracebackType

__all__ = ["DISCORD_GLOBAL_LIMIT", "GlobalRateLimiter"]

log = logging.getLogger(__name__)

DISCORD_GLOBAL_LIMIT = 50  # requests per second per bot (interaction responses are not counted)
DEFAULT_RATE = 48  # per second: two of headroom for arrival jitter (measured: no global 429s at 10,000 sends)


class GlobalRateLimiter:
    """Held around each REST request the bot makes (see `Cliffhanger._pace_requests`).

    A sliding window: at most `rate` requests in any `period` seconds, granted in arrival order.
    Up to `burst` (half the rate) go at once after a quiet spell; past that, grants are spaced
    `period / rate` apart. Without the spacing, a saturated fan-out sends a full window as one burst
    each second; the burst queues on the way, its tail arrives late, the next second's burst arrives
    on time, and Discord sees more than 50 in one of its windows (measured: global 429s at 45/s).
    Shared by the whole process; it counts what passed and how many had to wait.
    """

    def __init__(
        self,
        rate: int = DEFAULT_RATE,
        period: float = 1.0,
        *,
        burst: int | None = None,
        name: str = "fan-out",
    ) -> None:
        if rate < 1 or period <= 0:
            raise ValueError("rate must be at least 1 and period positive")
        self.name = name  # for the log: what is being paced
        self.rate = rate
        self.period = period
        self.burst = max(1, rate // 2) if burst is None else max(1, min(burst, rate))
        self.spacing = period / rate
        self._granted: collections.deque[float] = collections.deque()
        self._turn = asyncio.Lock()  # first come, first served
        self.acquired = 0  # requests let through so far
        self.delayed = 0  # of those, how many had to wait for the window
        self.waited = 0.0  # total seconds spent waiting

    def _forget_old(self, now: float) -> None:
        while self._granted and now - self._granted[0] >= self.period:
            self._granted.popleft()

    def has_capacity(self) -> bool:
        """Whether one more request would go through without waiting."""
        now = asyncio.get_running_loop().time()
        self._forget_old(now)
        return self._wait_time(now) <= 0 and not self._turn.locked()

    def _wait_time(self, now: float) -> float:
        if len(self._granted) >= self.rate:
            return self._granted[0] + self.period - now
        if len(self._granted) >= self.burst:
            return self._granted[-1] + self.spacing - now
        return 0.0

    async def acquire(self) -> None:
        """Wait until one more request fits in the window."""
        loop = asyncio.get_running_loop()
        queued = self._turn.locked()
        started = loop.time()
        async with self._turn:
            while True:
                now = loop.time()
                self._forget_old(now)
                wait = self._wait_time(now)
                if wait <= 0:
                    break
                queued = True
                await asyncio.sleep(wait)
            if len(self._granted) >= self.burst:
                # Keep paced grants on a grid: a late wake-up must not push every later grant back.
                now = max(now - self.spacing / 2, self._granted[-1] + self.spacing)
            self._granted.append(now)
        if queued:
            self.delayed += 1
            self.waited += now - started
            if self.delayed % 100 == 1:
                log.debug("%s paced: %d request(s) waited for the limit so far", self.name, self.delayed)
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
