"""How late are countdown announcements? Due time to the request arriving at (loopback) Discord.

Runs the real bot against the loopback Discord on the real clock, schedules announcements through
the countdowns cog, and measures, for each one, the time from its due second to the moment the
loopback stored the message. Two scenarios:

- spread: N announcements due over a window (default 1000 over 40 s, about 25 due at each whole
  second) in 100 channels, which measures the scheduler's own precision;
- burst: M announcements due in the same second (default 300), each in a channel of its own as if
  in as many servers, which measures the fan-out pacing: they go through the global limiter at
  at most 45 in any second instead of all at once.

When the loopback can enforce Discord's real rate limits (global 50/s, 5 messages per 5 s per
channel) the bench turns them on, so a 429 would show up as retries and lateness.

    .venv/bin/python -m bench.countdown_lateness [--spread 1000] [--window 40] [--burst 300]

Prints median, p90, p99 and max lateness per scenario and writes bench/results/lateness.json.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import inspect
import json
import logging
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bot import create_bot
from bot.config import Settings
from bot.core import Cliffhanger
from cogs.countdowns.store import NewCountdown
from tests.conftest import build_world
from tests.loopback import BOT_TOKEN, LoopbackDiscord

RESULTS = Path(__file__).resolve().parent / "results"
SPREAD_CHANNELS = 100  # a quarter of an announcement per channel per second: under 5 per 5 s


async def start_bot(settings: Settings) -> tuple[Cliffhanger, asyncio.Task[None]]:
    bot = create_bot(settings, guild_ready_timeout=0.05)
    await bot.login(settings.discord_token)
    task = asyncio.create_task(bot.connect(reconnect=True))
    await asyncio.wait_for(bot.wait_until_ready(), 20)
    return bot, task


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_scenario(
    bot: Cliffhanger,
    lb: LoopbackDiscord,
    *,
    guild_id: int,
    channel_ids: list[int],
    due_times: list[int],
    name: str,
) -> dict[str, Any]:
    cog: Any = bot.get_cog("Countdowns")
    now = time.time()
    ids: list[int] = []
    for n, due in enumerate(due_times):
        countdown = await cog.store.create(
            NewCountdown(
                guild_id=guild_id,
                title=f"{name} {n}",
                release_at=due,
                created_by=1,
                channel_id=channel_ids[n % len(channel_ids)],
                milestones=(0,),
            ),
            int(now),
        )
        await cog.schedule(countdown, now)
        ids.append(countdown.id)
    expected = {f"countdown:{i}:0" for i in ids}
    deadline = time.time() + (max(due_times) - now) + 120
    while time.time() < deadline:
        rows = await bot.db.fetchall(
            "SELECT key, state, due_at, result FROM scheduled_jobs WHERE kind = 'countdown' AND state != 'pending' "
            "AND state != 'sending'"
        )
        done = {r["key"]: r for r in rows if r["key"] in expected}
        if len(done) == len(expected):
            break
        await asyncio.sleep(0.2)
    else:
        raise RuntimeError(f"{name}: only {len(done)} of {len(expected)} announcements finished")
    stored = {str(m.id): m for m in lb.messages.values()}
    lateness: list[float] = []
    for row in done.values():
        if row["state"] != "sent":
            raise RuntimeError(f"{name}: {row['key']} ended {row['state']}")
        message = stored[str(row["result"]).split("/")[1]]
        arrived = dt.datetime.fromisoformat(message.timestamp).timestamp()
        lateness.append(arrived - row["due_at"])
    return {
        "scenario": name,
        "announcements": len(lateness),
        "median_s": round(statistics.median(lateness), 4),
        "p90_s": round(quantile(lateness, 0.90), 4),
        "p99_s": round(quantile(lateness, 0.99), 4),
        "max_s": round(max(lateness), 4),
        "min_s": round(min(lateness), 4),
    }


async def main(spread: int, window: float, burst: int) -> list[dict[str, Any]]:
    logging.basicConfig(level=logging.WARNING)
    # Discord's real rate limits, when this loopback can enforce them.
    realistic = "realistic_limits" in inspect.signature(LoopbackDiscord).parameters
    options: dict[str, Any] = {"realistic_limits": True} if realistic else {}
    lb = LoopbackDiscord(**options)
    await lb.start()
    lb.install()
    world = build_world(lb)
    rooms = [lb.add_channel(world.guild, f"room-{n}").id for n in range(max(SPREAD_CHANNELS, burst))]
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(
            discord_token=BOT_TOKEN, database_path=Path(folder) / "bench.db", log_level="WARNING"
        )
        bot, task = await start_bot(settings)
        try:
            await bot.guild_store.update(world.guild.id, announce_channel_id=world.announcements.id)
            start = int(time.time()) + 5
            if spread:
                due = [start + int(window * n / spread) for n in range(spread)]
                results.append(
                    await run_scenario(
                        bot,
                        lb,
                        guild_id=world.guild.id,
                        channel_ids=rooms[:SPREAD_CHANNELS],
                        due_times=due,
                        name="spread",
                    )
                )
            if burst:
                second = int(time.time()) + 5
                results.append(
                    await run_scenario(
                        bot,
                        lb,
                        guild_id=world.guild.id,
                        channel_ids=rooms[:burst],
                        due_times=[second] * burst,
                        name="burst",
                    )
                )
            limiter = bot.rate_limiter
            for result in results:
                result["limiter_per_window"] = f"{limiter.rate} per {limiter.period:g} s"
                result["realistic_discord_limits"] = realistic
            posts = [r for r in lb.requests if r.method == "POST" and r.path.endswith("/messages")]
            results.append(
                {
                    "limiter_acquired": limiter.acquired,
                    "limiter_delayed": limiter.delayed,
                    "message_posts": len(posts),
                    "refused_429": sum(1 for r in posts if r.status == 429),
                }
            )
        finally:
            await bot.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 5)
            lb.uninstall()
            await lb.stop()
    return results


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spread", type=int, default=1000, help="announcements spread over the window")
    parser.add_argument("--window", type=float, default=40.0, help="seconds the spread announcements span")
    parser.add_argument("--burst", type=int, default=300, help="announcements due in one second")
    args = parser.parse_args()
    results = asyncio.run(main(args.spread, args.window, args.burst))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lateness.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    for result in results:
        if "scenario" in result:
            print(
                f"{result['scenario']:>6}: {result['announcements']} announcements, lateness median "
                f"{result['median_s'] * 1000:.1f} ms, p90 {result['p90_s'] * 1000:.1f} ms, "
                f"p99 {result['p99_s'] * 1000:.1f} ms, max {result['max_s'] * 1000:.1f} ms"
            )
        else:
            print(
                f"limiter: {result['limiter_acquired']} sends, {result['limiter_delayed']} paced; "
                f"{result['message_posts']} message POSTs, {result['refused_429']} answered 429"
            )


if __name__ == "__main__":
    cli()
