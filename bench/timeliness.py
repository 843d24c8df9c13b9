"""Timeliness: how late are announcements, from due time to the request arriving at Discord?

The same workload runs twice in one invocation, against the loopback with Discord's real limits:

1. Cliffhanger's scheduler: one task sleeps until the earliest due row and is woken on insert;
2. the design most bots use: a `tasks.loop` that polls the table every 60 s (the baseline).

Each run schedules N announcements (default 1000) spread evenly over a window (default 120 s) across
100 channels, through the real countdowns cog, and measures due time -> loopback request arrival.

    python -m bench.timeliness [--announcements 1000] [--window 120] [--poll 60]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from discord.ext import tasks

from bench.common import bot_in_process, loopback, machine, save, summary, table
from bot.core import Cliffhanger
from bot.db.jobs import JobStore
from bot.scheduler import Clock, Scheduler
from cogs.countdowns.rules import plan_jobs
from cogs.countdowns.store import CountdownStore, NewCountdown
from tests.harness import build_world
from tests.loopback import LoopbackDiscord

CHANNELS = 100  # under 5 messages per 5 s per channel at these rates


class PollingScheduler(Scheduler):
    """The baseline: a `tasks.loop(seconds=60)` that claims whatever is due on each pass.

    Same table, same claim and same handlers as the real scheduler; only the dispatch differs."""

    def __init__(self, store: JobStore, *, interval: float, clock: Clock | None = None) -> None:
        super().__init__(store, clock=clock, max_in_flight=10_000)
        self.poll = tasks.loop(seconds=interval)(self._poll)

    def wake(self) -> None:
        """A poller is not woken by inserts."""

    async def _poll(self) -> None:
        claimed, _skipped = await self.store.claim_due(int(self.clock.now()), 10_000)
        for job in claimed:
            self._spawn(self._execute(job))

    async def start(self) -> None:
        await self.store.recover_sending()
        self.poll.start()

    async def stop(self, grace: float = 5.0) -> None:
        self.poll.cancel()
        await super().stop(grace)

    @property
    def running(self) -> bool:
        return self.poll.is_running()


async def run(design: str, announcements: int, window: float, poll: float) -> dict[str, Any]:
    async with loopback(realistic=True) as lb:
        world = build_world(lb)
        rooms = [lb.add_channel(world.guild, f"room-{n}").id for n in range(CHANNELS)]
        with tempfile.TemporaryDirectory() as folder:

            def configure(bot: Cliffhanger) -> None:
                if design == "poll":
                    bot.scheduler = PollingScheduler(bot.jobs, interval=poll)

            async with bot_in_process(Path(folder) / "bench.db", configure=configure) as bot:
                lateness = await measure(bot, lb, world.guild.id, rooms, count=announcements, window=window)
                refused = dict(lb.limits.refused) if lb.limits else {}
    return {"design": design, "announcements": len(lateness), "refused_429": refused, **summary(lateness)}


async def measure(
    bot: Cliffhanger, lb: LoopbackDiscord, guild_id: int, rooms: list[int], *, count: int, window: float
) -> list[float]:
    store = CountdownStore(bot.db, bot.guild_store)
    await bot.guild_store.update(guild_id, announce_channel_id=rooms[0])
    now = int(time.time())
    start = now + 5
    jobs = []
    for n in range(count):
        due = start + int(window * n / count)
        countdown = await store.create(
            NewCountdown(guild_id, f"Drop {n}", due, created_by=1, channel_id=rooms[n % len(rooms)]), now
        )
        jobs += plan_jobs(guild_id, countdown.id, due, countdown.milestones, now).jobs
    await bot.scheduler.schedule(jobs)
    deadline = time.time() + window + 200
    done: list[Any] = []
    while time.time() < deadline:
        done = await bot.db.fetchall(
            "SELECT due_at, result FROM scheduled_jobs WHERE kind = 'countdown' AND state = 'sent'"
        )
        if len(done) >= count:
            break
        await asyncio.sleep(0.5)
    if len(done) != count:
        raise RuntimeError(f"only {len(done)} of {count} announcements were sent")
    lateness = []
    for row in done:
        message = lb.messages[int(str(row["result"]).split("/")[1])]
        # The loopback stamps a message when the request that creates it arrives.
        arrived = dt.datetime.fromisoformat(message.timestamp).timestamp()
        lateness.append(arrived - row["due_at"])
    return lateness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--announcements", type=int, default=1000)
    parser.add_argument("--window", type=float, default=120.0)
    parser.add_argument("--poll", type=float, default=60.0, help="the baseline's polling interval, seconds")
    parser.add_argument("--runs", type=int, default=1, help="repeat both designs, side by side, this often")
    args = parser.parse_args()
    runs: list[dict[str, Any]] = []
    for n in range(args.runs):
        exact, polled = (
            asyncio.run(run(design, args.announcements, args.window, args.poll))
            for design in ("exact", "poll")
        )
        runs.append({"exact": exact, "poll": polled, "p99_ratio": polled["p99"] / exact["p99"]})
        print(
            f"run {n + 1}: Cliffhanger median {exact['median'] * 1000:.1f} ms, p99 {exact['p99'] * 1000:.1f} ms; "
            f"polling median {polled['median'] * 1000:.0f} ms, p99 {polled['p99'] * 1000:.0f} ms"
        )

    def spread(design: str, key: str) -> list[str]:
        values = [r[design][key] * 1000 for r in runs]
        return [f"{statistics.median(values):.1f}", f"{min(values):.1f}", f"{max(values):.1f}"]

    rows = [["design", "announcements/run", "median ms", "min", "max", "p99 ms", "min", "max", "429s"]]
    for design, label in (
        ("exact", "Cliffhanger scheduler"),
        ("poll", f"tasks.loop poll every {args.poll:g} s"),
    ):
        rows.append(
            [
                label,
                str(args.announcements),
                *spread(design, "median"),
                *spread(design, "p99"),
                str(sum(sum(r[design]["refused_429"].values()) for r in runs)),
            ]
        )
    ratios = [r["p99_ratio"] for r in runs]
    print(f"machine: {machine()}; {args.runs} run(s); medians, with min and max over the runs")
    print(table(rows))
    print(
        f"p99 baseline / Cliffhanger: x{statistics.median(ratios):.0f} (min x{min(ratios):.0f}, max x{max(ratios):.0f}); target p99 < 250 ms"
    )
    save("timeliness", {"machine": machine(), "args": vars(args), "runs": runs})


if __name__ == "__main__":
    main()
