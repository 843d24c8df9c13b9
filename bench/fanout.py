"""Premiere fan-out: N servers, each with a countdown released in the same second.

The loopback enforces Discord's real limits (50 requests/s globally, 5 messages per 5 s per channel)
and counts every 429. The bot runs in its own process, as in production. The physical floor is
N / 50 seconds; the result is the achieved rate as a fraction of the floor's rate, and the count of
429s, duplicates and lost announcements.

With `--discussions forum` (or `text`), each run measures the fan-out twice, side by side: without
discussion threads, then with one per server (opened at the release, linked from the announcement);
the extra time is their ratio, run by run.

    python -m bench.fanout [--servers 10000] [--runs 1] [--discussions forum|text]
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
from tests.fanout import build_servers, seed_database, tally, threads_opened
from tests.loopback import ChannelType
from tests.loopback.process import BotProcess

GLOBAL_LIMIT = 50


THREAD_POSTS = ("/threads",)
TALK = {"forum": ChannelType.FORUM, "text": ChannelType.TEXT}


def _done(lb: Any, built: list[Any], servers: int, discussions: bool) -> bool:
    announced = (
        len(lb.bot_messages()) >= servers if not discussions else tally(lb, built).delivered >= servers
    )
    return announced and (not discussions or threads_opened(lb, built).delivered >= servers)


async def run(servers: int, discussions: str | None = None) -> dict[str, Any]:
    async with loopback(realistic=True) as lb:
        built = build_servers(lb, servers, discussions=TALK[discussions] if discussions else None)
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
                while not _done(lb, built, servers, bool(discussions)) and time.time() < deadline:  # noqa: ASYNC110 - sampled, no event per message
                    await asyncio.sleep(0.5)
                await asyncio.sleep(2)  # a duplicate would arrive now
                await bot.stop()
    gc.enable()
    # Request times are monotonic; convert the release second to the same clock.
    released = release - time.time() + time.monotonic()
    posts = [r.at for r in lb.requests if r.method == "POST" and r.status == 200]
    last = max(
        r.at for r in lb.requests if r.method == "POST" and r.path.endswith("/messages") and r.status == 200
    )
    last_thread = max(
        (
            r.at
            for r in lb.requests
            if r.method == "POST" and r.path.endswith(THREAD_POSTS) and r.status == 200
        ),
        default=None,
    )
    elapsed = max(posts) - released  # the last announcement, opening message or thread
    counted = tally(lb, built)
    opened = threads_opened(lb, built)
    refused = dict(lb.limits.refused) if lb.limits else {}
    return {
        "servers": servers,
        "discussions": discussions,
        "floor_s": floor,
        "elapsed_s": elapsed,
        "last_announcement_s": last - released,
        "last_thread_s": None if last_thread is None else last_thread - released,
        "requests": sum(1 for r in lb.requests if r.at >= released),
        "threads": opened.delivered,
        "thread_duplicates": opened.duplicates,
        "threads_lost": opened.lost,
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
    parser.add_argument(
        "--discussions",
        choices=sorted(TALK),
        help="also measure each run with a discussion thread per server (a forum post or a text thread)",
    )
    args = parser.parse_args()
    if args.discussions:
        side_by_side(args)
        return
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


def side_by_side(args: argparse.Namespace) -> None:
    """Each run: the fan-out without discussion threads, then with one per server; their ratio."""
    pairs = []
    for n in range(args.runs):
        off = asyncio.run(run(args.servers))
        on = asyncio.run(run(args.servers, args.discussions))
        pairs.append({"off": off, "on": on, "ratio": on["elapsed_s"] / off["elapsed_s"]})
        print(
            f"run {n + 1}: {off['elapsed_s']:.1f} s without threads, {on['elapsed_s']:.1f} s with "
            f"({on['threads']} threads, last {on['last_thread_s']:.1f} s; last announcement "
            f"{on['last_announcement_s']:.1f} s): x{pairs[-1]['ratio']:.2f}"
        )
    rows = [["", "elapsed s (median)", "min", "max", "requests", "global 429", "other 429", "dupes", "lost"]]
    for key, label in (("off", "without threads"), ("on", f"with {args.discussions} threads")):
        elapsed = [p[key]["elapsed_s"] for p in pairs]
        rows.append(
            [
                label,
                f"{statistics.median(elapsed):.1f}",
                f"{min(elapsed):.1f}",
                f"{max(elapsed):.1f}",
                str(pairs[0][key]["requests"]),
                str(sum(p[key]["global_429"] for p in pairs)),
                str(sum(p[key]["other_429"] for p in pairs)),
                str(sum(p[key]["duplicates"] + p[key]["thread_duplicates"] for p in pairs)),
                str(sum(p[key]["lost"] + p[key]["threads_lost"] for p in pairs)),
            ]
        )
    ratios = [p["ratio"] for p in pairs]
    print(f"machine: {machine()}; {args.runs} run(s) of {args.servers} servers")
    print(table(rows))
    print(
        f"with threads / without, run by run: median x{statistics.median(ratios):.2f} "
        f"[x{min(ratios):.2f}-x{max(ratios):.2f}]"
    )
    save("fanout_discussions", {"machine": machine(), "args": vars(args), "pairs": pairs})


if __name__ == "__main__":
    main()
