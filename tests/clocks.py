"""Clocks for tests: a manual one for unit tests, and a shifted wall clock for end-to-end runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Coroutine
from typing import Any


class ManualClock:
    """Time stands still until `advance()`; sleepers wake when their deadline passes."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self._now = start
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._sleepers.append((self._now + max(0.0, seconds), fut))
        try:
            await fut
        finally:
            self._sleepers = [(t, f) for t, f in self._sleepers if f is not fut]

    async def advance(self, seconds: float) -> None:
        self._now += seconds
        for deadline, fut in list(self._sleepers):
            if deadline <= self._now and not fut.done():
                fut.set_result(None)
        # let the woken tasks run
        for _ in range(5):
            await asyncio.sleep(0)


class ShiftedClock:
    """Wall-clock time plus an offset that tests can jump forward ("three days later")."""

    def __init__(self) -> None:
        self.offset = 0.0
        self._jumped = asyncio.Event()

    def now(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> Coroutine[Any, Any, None]:
        # The jump to wake on is taken when sleep() is called, not when the coroutine first runs: a
        # caller that computed `seconds` from now() and then wraps the sleep in a task (to wait on it
        # beside something else) would otherwise miss a jump made before that task started, and
        # sleep on for hours of real time.
        return self._sleep(self._jumped, seconds)

    @staticmethod
    async def _sleep(jumped: asyncio.Event, seconds: float) -> None:
        woken = asyncio.ensure_future(jumped.wait())
        try:
            await asyncio.wait({woken}, timeout=seconds)
        finally:
            woken.cancel()

    def jump(self, seconds: float) -> None:
        """Move time forward; every sleeper wakes and looks again."""
        self.offset += seconds
        self._jumped.set()
        self._jumped = asyncio.Event()


class SteppingClock:
    """Monotonic time that stands still until something sleeps on it; a sleep moves it on at once and
    is recorded. For waits the bot owns whose length a test checks but need not sit out: the 5 s
    between IDENTIFYs of one bucket (a re-IDENTIFY right after start waits exactly that long)."""

    def __init__(self, start: float = 1_000.0) -> None:
        self._now = start
        self.slept: list[float] = []

    def now(self) -> float:
        return self._now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._now += max(0.0, seconds)
        await asyncio.sleep(0)
