"""Premiere fan-out: N servers, each with a countdown released in the same second.

The loopback enforces Discord's real limits (50 requests/s globally, 5 messages per 5 s per channel)
and counts every 429. The bot runs in its own process, as in production. The physical floor is
N / 50 seconds; the result is the achieved rate as a fraction of the floor's rate, and the count of
429s, duplicates and lost announcements.

    python -m bench.fanout [--servers 10000] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import GcPauses, identify_spacing, loopback, machine, save, settle_heap, table
from tests.fanout import build_servers, seed_database, tally
from tests.loopback.process import BotProcess

GLOBAL_LIMIT = 50


async def run(servers: int) -> dict[str, Any]:
    async with loopback(realistic=True) as lb:
        built = build_servers(lb, servers)
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "fanout.db"
            now = int(time.time())
            # Time to seed the database (the bot's own store code, ~2 ms a server), for the bot to
            # start, identify every shard (5 s apart per identify bucket) and load every guild.
            lead = 10 + servers // 250 + identify_spacing(lb)
            release = now + math.ceil(lead)
            await seed_database(database, built, release_at=release, now=now)
            settle_heap()
            # The loopback stands in for Discord, which does not stall: its collector is paused for
            # the fan-out, because a 100 ms pause here bunches the requests that queued meanwhile
            # into one window (the bot's own process collects as usual).
            gc.disable()
            pauses = GcPauses()
            async with (
                BotProcess(lb.port, database, log_path=Path(folder) / "bot.log", log_level="WARNING") as bot,
                pauses,
            ):
                started = time.monotonic()
                await bot.start(timeout=300)
                ready_after = time.monotonic() - started
                if time.time() > release:
                    raise RuntimeError(
                        f"the bot took {ready_after:.1f} s to start, past the release; raise the lead"
                    )
                floor = servers / GLOBAL_LIMIT
                deadline = release + floor * 3 + 60
                while len(lb.bot_messages()) < servers and time.time() < deadline:  # noqa: ASYNC110 - sampled, no event per message
                    await asyncio.sleep(0.5)
                await asyncio.sleep(2)  # a duplicate would arrive now
                await bot.stop()
    gc.enable()
    last = max(
        r.at for r in lb.requests if r.method == "POST" and r.path.endswith("/messages") and r.status == 200
    )
    # Request times are monotonic; convert the release second to the same clock.
    elapsed = last - (release - time.time() + time.monotonic())
    counted = tally(lb, built)
    refused = dict(lb.limits.refused) if lb.limits else {}
    return {
        "servers": servers,
        "floor_s": floor,
        "elapsed_s": elapsed,
        "rate_vs_floor": floor / elapsed,
        "global_429": refused.get("global", 0),
        "other_429": sum(v for k, v in refused.items() if k != "global"),
        "duplicates": counted.duplicates,
        "lost": counted.lost,
        "bot_ready_s": ready_after,
        "shards": bot.shards,
        "loopback_gc_longest_ms": pauses.longest_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    results = []
    for n in range(args.runs):
        result = asyncio.run(run(args.servers))
        results.append(result)
        print(
            f"run {n + 1}: {result['elapsed_s']:.1f} s for {args.servers} servers ({result['rate_vs_floor']:.1%} of the floor's rate); "
            f"bot ready in {result['bot_ready_s']:.1f} s on {result['shards']} shard(s); "
            f"{result['global_429']} global 429s; longest loopback GC pause {result['loopback_gc_longest_ms']:.0f} ms"
        )
    rows = [
        [
            "servers",
            "floor s",
            "elapsed s (median)",
            "min",
            "max",
            "rate vs floor",
            "global 429",
            "other 429",
            "dupes",
            "lost",
        ]
    ]
    elapsed = [r["elapsed_s"] for r in results]
    rows.append(
        [
            str(args.servers),
            f"{results[0]['floor_s']:.0f}",
            f"{statistics.median(elapsed):.1f}",
            f"{min(elapsed):.1f}",
            f"{max(elapsed):.1f}",
            f"{results[0]['floor_s'] / statistics.median(elapsed):.1%}",
            str(sum(r["global_429"] for r in results)),
            str(sum(r["other_429"] for r in results)),
            str(sum(r["duplicates"] for r in results)),
            str(sum(r["lost"] for r in results)),
        ]
    )
    print(f"machine: {machine()}; {args.runs} run(s)")
    print(table(rows))
    save("fanout", {"machine": machine(), "args": vars(args), "results": results})


if __name__ == "__main__":
    main()
