"""Shared pieces of the benchmarks: a loopback Discord, the bot in or out of process, statistics."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import math
import os
import platform
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bot import create_bot
from bot.config import Settings
from bot.core import IDENTIFY_WINDOW, Cliffhanger
from tests.loopback import BOT_TOKEN, LoopbackDiscord, running
from tests.postgres import Cluster, missing_reason

RESULTS = Path(__file__).resolve().parent / "results"


def quantile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: Sequence[float]) -> dict[str, float]:
    return {
        "median": statistics.median(values),
        "p99": quantile(values, 0.99),
        "min": min(values),
        "max": max(values),
    }


def machine() -> str:
    cpus = os.cpu_count()
    return f"{platform.processor() or platform.machine()}, {cpus} cores, Python {platform.python_version()}, {platform.system()}"


def identify_spacing(lb: LoopbackDiscord) -> float:
    """Seconds the bot must wait between IDENTIFYs to bring up every shard Discord recommends: one
    window of 5 s for each round of `max_concurrency` shards after the first."""
    rounds = math.ceil(lb.recommended_shards() / max(1, lb.max_concurrency))
    return (rounds - 1) * IDENTIFY_WINDOW


@contextlib.asynccontextmanager
async def loopback(*, realistic: bool = True, validate: bool = True) -> AsyncIterator[LoopbackDiscord]:
    async with running(LoopbackDiscord(realistic_limits=realistic, validate=validate)) as lb:
        yield lb


@contextlib.asynccontextmanager
async def bot_in_process(
    database: Path, *, configure: Callable[[Cliffhanger], None] | None = None
) -> AsyncIterator[Cliffhanger]:
    """The real bot in this process; `configure` may adjust it before it logs in."""
    settings = Settings(discord_token=BOT_TOKEN, database_path=database, log_level="WARNING")
    bot = create_bot(settings, guild_ready_timeout=0.2)
    if configure is not None:
        configure(bot)
    await bot.login(settings.discord_token)
    task = asyncio.create_task(bot.connect(reconnect=True))
    try:
        await asyncio.wait_for(bot.wait_until_ready(), 120)
        yield bot
    finally:
        await bot.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 5)


class GcPauses:
    """Garbage-collector pauses in this process while the block runs (the loopback lives here: a
    long pause bunches the requests that queued meanwhile, which Discord's window would then see
    as a burst the bot never sent)."""

    def __init__(self) -> None:
        self.pauses: list[float] = []  # seconds
        self.generations: list[int] = []  # the generation each pause collected
        self.at: list[float] = []  # when each pause started (time.monotonic)
        self.collected: list[int] = []  # how many objects each pause freed
        self._started = 0.0

    def _track(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append(time.perf_counter() - self._started)
            self.generations.append(info["generation"])
            self.at.append(time.monotonic() - self.pauses[-1])
            self.collected.append(info["collected"])

    def write(self, path: Path) -> None:
        """One "generation milliseconds monotonic-start collected" line per pause (the bot process's
        report; see run_bot)."""
        lines = (
            f"{g} {s * 1000:.2f} {at:.3f} {n}\n"
            for g, s, at, n in zip(self.generations, self.pauses, self.at, self.collected, strict=True)
        )
        path.write_text("".join(lines), encoding="utf-8")

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._track)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._track)

    async def __aenter__(self) -> GcPauses:
        return self.__enter__()

    async def __aexit__(self, *exc: object) -> None:
        self.__exit__(*exc)

    @property
    def longest_ms(self) -> float:
        return max(self.pauses, default=0.0) * 1000


def settle_heap() -> None:
    """Collect once and freeze what the benchmark built (thousands of loopback guilds), so the
    loopback's own collections stay short while it measures the bot."""
    gc.collect()
    gc.freeze()


BACKENDS = ("sqlite", "postgresql")


def backends(choice: str) -> list[str]:
    """`--backend both` (the default) measures SQLite and PostgreSQL side by side in one run."""
    return list(BACKENDS) if choice == "both" else [choice]


@contextlib.contextmanager
def postgres(wanted: Sequence[str]) -> Iterator[Cluster | None]:
    """A throwaway PostgreSQL for the whole benchmark (the tests' own: initdb into a temporary
    folder, a private socket), when a PostgreSQL run is wanted."""
    if "postgresql" not in wanted:
        yield None
        return
    reason = missing_reason()
    if reason is not None:
        raise SystemExit(f"the PostgreSQL runs need a server: {reason}")
    cluster = Cluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.destroy()


def save(name: str, data: Any) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
