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

Two lanes. Most requests are someone waiting: an announcement, a thread, a role. A few only keep a
display current, the vote counts on a theory's buttons, and those may lag: they run inside
`background_requests()`, which puts them in the background lane. A background request goes only
when no ordinary request is waiting and background requests hold less than half of the window, so
however many votes pour in, an announcement never queues behind count edits (the sweep measured
announcements 7 s late at 300 interactions/s when both shared one queue).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator
from types import TracebackType

__all__ = ["DISCORD_GLOBAL_LIMIT", "GlobalRateLimiter", "background_requests", "in_background"]

log = logging.getLogger(__name__)

DISCORD_GLOBAL_LIMIT = 50  # requests per second per bot (interaction responses are not counted)
DEFAULT_RATE = 48  # per second: two of headroom for arrival jitter (measured: no global 429s at 10,000 sends)

_background: contextvars.ContextVar[bool] = contextvars.ContextVar("background_requests", default=False)


@contextlib.contextmanager
def background_requests() -> Iterator[None]:
    """REST requests made inside this block (in this task) go in the limiter's background lane."""
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def in_background() -> bool:
    """Whether the running task is inside `background_requests()`."""
    return _background.get()


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
        # The background lane: its requests queue here, one at a time, and take a grant only when
        # no ordinary request is waiting and they hold fewer than `background_share` of the window.
        self._background_turn = asyncio.Lock()
        self._background_granted: collections.deque[float] = collections.deque()
        self.background_share = max(1, rate // 2)
        self.lanes = True  # False: background requests queue with the others (benchmarks compare)
        self.acquired = 0  # requests let through so far
        self.background_acquired = 0  # of those, how many in the background lane
        self.delayed = 0  # of those, how many had to wait for the window
        self.waited = 0.0  # total seconds spent waiting

    def _forget_old(self, now: float) -> None:
        while self._granted and now - self._granted[0] >= self.period:
            self._granted.popleft()
        while self._background_granted and now - self._background_granted[0] >= self.period:
            self._background_granted.popleft()

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

    def _grant(self, now: float) -> float:
        if len(self._granted) >= self.burst:
            # Keep paced grants on a grid: a late wake-up must not push every later grant back.
            now = max(now - self.spacing / 2, self._granted[-1] + self.spacing)
        self._granted.append(now)
        return now

    async def acquire(self, *, background: bool | None = None) -> None:
        """Wait until one more request fits in the window. `background` (default: whether the task
        is inside `background_requests()`) puts the request in the background lane."""
        if background is None:
            background = in_background()
        if background and self.lanes:
            await self._take(self._background_turn, self._background_wait, background=True)
        else:
            await self._take(self._turn, self._wait_time, background=False)

    def _background_wait(self, now: float) -> float:
        if self._turn.locked():  # an ordinary request is waiting (or being granted): it goes first
            return self.spacing
        if len(self._background_granted) >= self.background_share:
            return self._background_granted[0] + self.period - now
        return self._wait_time(now)

    async def _take(
        self, turn: asyncio.Lock, wait_for: Callable[[float], float], *, background: bool
    ) -> None:
        """Queue on `turn`, then sleep until `wait_for(now)` says the request may go, and grant it."""
        loop = asyncio.get_running_loop()
        queued = turn.locked()
        started = loop.time()
        async with turn:
            while True:
                now = loop.time()
                self._forget_old(now)
                wait = wait_for(now)
                if wait <= 0:
                    break
                queued = True
                await asyncio.sleep(wait)
            now = self._grant(now)
            if background:
                self._background_granted.append(now)
                self.background_acquired += 1
        self._count(queued, now - started)

    def _count(self, queued: bool, waited: float) -> None:
        if queued:
            self.delayed += 1
            self.waited += waited
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
