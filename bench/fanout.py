"""Premiere fan-out: N servers, each with a countdown released in the same second.

The loopback enforces Discord's real limits (50 requests/s globally, 5 messages per 5 s per channel)
and counts every 429. The bot runs in its own process, as in production. The physical floor is
N / 50 seconds; the result is the achieved rate as a fraction of the floor's rate, and the count of
429s, duplicates and lost announcements.

Each run measures SQLite, PostgreSQL, and PostgreSQL with the bot split into two processes (half
the shards each, SHARD_COUNT and SHARD_IDS, each with half the global rate), one after the other.

With `--discussions forum` (or `text`), each run instead measures the fan-out twice on SQLite, side
by side: without discussion threads, then with one per server (opened at the release, linked from
the announcement); the extra time is their ratio, run by run.

    python -m bench.fanout [--servers 10000] [--runs 1] [--backend both|sqlite|postgresql] [--processes 2]
    python -m bench.fanout [--servers 10000] [--runs 1] --discussions forum|text
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

from bench.common import (
    GcPauses,
    backends,
    identify_spacing,
    loopback,
    machine,
    postgres,
    save,
    settle_heap,
    table,
)
from bot.shards import format_ids
from tests.fanout import build_servers, retime, seed_database, tally, threads_opened
from tests.loopback import ChannelType
from tests.loopback.process import BotProcess
from tests.postgres import Cluster

GLOBAL_LIMIT = 50


THREAD_POSTS = ("/threads",)
TALK = {"forum": ChannelType.FORUM, "text": ChannelType.TEXT}


def _done(lb: Any, built: list[Any], servers: int, discussions: bool) -> bool:
    announced = (
        len(lb.bot_messages()) >= servers if not discussions else tally(lb, built).delivered >= servers
    )
    return announced and (not discussions or threads_opened(lb, built).delivered >= servers)


async def run(
    servers: int, cluster: Cluster | None = None, processes: int = 1, discussions: str | None = None
) -> dict[str, Any]:
    """One fan-out: on SQLite (no cluster), or on PostgreSQL with the bot as `processes` processes;
    with `discussions`, a discussion thread per server too."""
    async with loopback(realistic=True) as lb:
        built = build_servers(lb, servers, discussions=TALK[discussions] if discussions else None)
        with tempfile.TemporaryDirectory() as folder:
            database: Path | str = (
                Path(folder) / "fanout.db" if cluster is None else await cluster.create_database("fanout")
            )
            now = int(time.time())
            # Seed through the bot's own store code (a few ms a server), then pick the release: time
            # for the bot to start, identify every shard (5 s apart per identify bucket) and load
            # every guild.
            await seed_database(database, built, release_at=now + 86_400, now=now)
            shard_count = max(lb.recommended_shards(), processes)
            lead = 10 + servers // 500 + identify_spacing(lb) / processes
            release = int(time.time() + math.ceil(lead))
            await retime(database, release)
            settle_heap()
            # The loopback stands in for Discord, which does not stall: its collector is paused for
            # the fan-out, because a 100 ms pause here bunches the requests that queued meanwhile
            # into one window (the bot's own process collects as usual).
            gc.disable()
            pauses = GcPauses()
            slices = [list(range(shard_count))[n::processes] for n in range(processes)]
            bots = [
                BotProcess(
                    lb.port,
                    database,
                    log_path=Path(folder) / f"bot{n}.log",
                    log_level="WARNING",
                    shard_count=shard_count if processes > 1 else None,
                    shard_ids=format_ids(tuple(ids)) if processes > 1 else None,
                )
                for n, ids in enumerate(slices)
            ]
            try:
                with pauses:
                    started = time.monotonic()
                    await asyncio.gather(*(bot.start(timeout=300) for bot in bots))
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
                    for bot in bots:
                        await bot.stop()
            finally:
                for bot in bots:
                    await bot.kill()
                if cluster is not None and isinstance(database, str):
                    await cluster.drop_database(database)
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
        "backend": "sqlite" if cluster is None else "postgresql",
        "processes": processes,
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
        "shards": bots[0].shards,
        "loopback_gc_longest_ms": pauses.longest_ms,
    }


def label(result: dict[str, Any]) -> str:
    name = "SQLite" if result["backend"] == "sqlite" else "PostgreSQL"
    return name if result["processes"] == 1 else f"{name}, {result['processes']} processes"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="PostgreSQL also runs the bot as this many processes (1: not)",
    )
    parser.add_argument(
        "--discussions",
        choices=sorted(TALK),
        help="instead, measure each run on SQLite with and without a discussion thread per server",
    )
    args = parser.parse_args()
    if args.discussions:
        side_by_side(args)
        return
    wanted = backends(args.backend)
    setups = [(b, 1) for b in wanted]
    if "postgresql" in wanted and args.processes > 1:
        setups.append(("postgresql", args.processes))
    results: list[dict[str, Any]] = []
    with postgres(wanted) as cluster:
        for n in range(args.runs):
            for backend, processes in setups:
                result = asyncio.run(
                    run(args.servers, cluster if backend == "postgresql" else None, processes)
                )
                results.append(result)
                print(
                    f"run {n + 1}, {label(result)}: {result['elapsed_s']:.1f} s for {args.servers} servers "
                    f"({result['rate_vs_floor']:.1%} of the floor's rate); bot ready in {result['bot_ready_s']:.1f} s "
                    f"on {result['shards']} shard(s); {result['global_429']} global 429s; "
                    f"longest loopback GC pause {result['loopback_gc_longest_ms']:.0f} ms",
                    flush=True,
                )
    rows = [
        [
            "setup",
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
    for backend, processes in setups:
        mine = [r for r in results if r["backend"] == backend and r["processes"] == processes]
        elapsed = [r["elapsed_s"] for r in mine]
        rows.append(
            [
                label(mine[0]),
                str(args.servers),
                f"{mine[0]['floor_s']:.0f}",
                f"{statistics.median(elapsed):.1f}",
                f"{min(elapsed):.1f}",
                f"{max(elapsed):.1f}",
                f"{mine[0]['floor_s'] / statistics.median(elapsed):.1%} "
                f"[{mine[0]['floor_s'] / max(elapsed):.1%}-{mine[0]['floor_s'] / min(elapsed):.1%}]",
                str(sum(r["global_429"] for r in mine)),
                str(sum(r["other_429"] for r in mine)),
                str(sum(r["duplicates"] for r in mine)),
                str(sum(r["lost"] for r in mine)),
            ]
        )
    print(f"machine: {machine()}; {args.runs} run(s) of each setup")
    print(table(rows))
    save("fanout", {"machine": machine(), "args": vars(args), "results": results})


def side_by_side(args: argparse.Namespace) -> None:
    """Each run: the fan-out without discussion threads, then with one per server; their ratio."""
    pairs = []
    for n in range(args.runs):
        off = asyncio.run(run(args.servers))
        on = asyncio.run(run(args.servers, discussions=args.discussions))
        pairs.append({"off": off, "on": on, "ratio": on["elapsed_s"] / off["elapsed_s"]})
        print(
            f"run {n + 1}: {off['elapsed_s']:.1f} s without threads, {on['elapsed_s']:.1f} s with "
            f"({on['threads']} threads, last {on['last_thread_s']:.1f} s; last announcement "
            f"{on['last_announcement_s']:.1f} s): x{pairs[-1]['ratio']:.2f}"
        )
    rows = [["", "elapsed s (median)", "min", "max", "requests", "global 429", "other 429", "dupes", "lost"]]
    for key, name in (("off", "without threads"), ("on", f"with {args.discussions} threads")):
        elapsed = [p[key]["elapsed_s"] for p in pairs]
        rows.append(
            [
                name,
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
