"""Footprint: start-up time, resident memory and idle CPU at scale.

The bot runs in its own process, as in production, on a copy of the scale database (10,000 servers,
100,000 countdowns, 1,000,000 pending scheduler rows, plus theories, votes and recaps when those
tables exist; see bench/scale.py), against a loopback Discord that has the same 10,000 servers.

- start-up: from spawning the process to the end of `setup_hook` (imports, instance lock, database
  open and migration check, cogs, scheduler, command-hash check: the bot's own start-up), and on to
  READY (every shard's gateway handshake and every server's GUILD_CREATE parsed by discord.py, then
  its guild-ready wait, 0.5 s here). At 10,000 servers Discord recommends 10 shards and, below
  large-bot sharding, lets one IDENTIFY through per 5 s, so READY includes 45 s of that spacing;
  the table shows it and READY without it;
- memory: resident set size (VmRSS) once ready and after the idle period, and the peak (VmHWM);
- idle CPU: user + system CPU seconds the process used while idle for `--idle` seconds with every
  scheduler row pending (the earliest is weeks away, so nothing is due).

With `--memory`, it measures instead how memory grows with the number of servers: RSS once READY
at 1 server (the base) and at each of `--sizes` (1,000, 10,000 and 50,000 by default), on an empty
database, so what grows is the bot's gateway state (discord.py's guild cache and whatever the bot
keeps per server); the per-server cost is (RSS - base) / servers. Shards hold 2,500 servers each
(50,000 on 20 shards) and identify together (max_concurrency as large as the shard count), since the
identify spacing does not change memory. `--census` adds where the memory goes: the bot in this
process under tracemalloc at the largest size, grouped by the file that allocated it.

    python -m bench.footprint [--runs 3] [--idle 60] [--small]
    python -m bench.footprint --memory [--sizes 1000,10000,50000] [--runs 3] [--census]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import bot_in_process, identify_spacing, loopback, machine, save, table
from bench.scale import Scale, cached, channel_id, copy_to, guild_id
from tests.loopback import LoopbackDiscord, running
from tests.loopback.process import BotProcess

GUILDS_PER_SHARD = 2_500  # Discord's most per shard: the fewest shards for the servers

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def memory_mb(pid: int) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0]) / 1024
    return values


async def run(scale: Scale, idle: float) -> dict[str, Any]:
    built = cached(scale)
    async with loopback(realistic=True) as lb:
        for g in range(scale.servers):
            guild = lb.create_guild(f"Fans {g}", id=guild_id(g))
            lb.add_channel(guild, "announcements", id=channel_id(g))
        with tempfile.TemporaryDirectory() as folder:
            database = copy_to(built, Path(folder))
            async with BotProcess(
                lb.port, database, log_path=Path(folder) / "bot.log", log_level="WARNING"
            ) as bot:
                started = time.monotonic()
                await bot.start(timeout=300)
                ready_s = time.monotonic() - started
                setup_s = bot.setup_s
                shards = bot.shards
                spacing = identify_spacing(lb)
                assert bot.proc is not None
                pid = bot.proc.pid
                await asyncio.sleep(2)  # let start-up work (command-hash check, recovery) finish
                ready_mem = memory_mb(pid)
                cpu_before = cpu_seconds(pid)
                requests_before = len(lb.requests)
                await asyncio.sleep(idle)
                cpu_idle = cpu_seconds(pid) - cpu_before
                idle_requests = len(lb.requests) - requests_before
                idle_mem = memory_mb(pid)
                await bot.stop()
    return {
        "servers": scale.servers,
        "pending_rows": built.counts.get("scheduled_jobs", 0),
        "ready_s": ready_s,
        "setup_s": setup_s,
        "shards": shards,
        "identify_spacing_s": spacing,
        "ready_minus_spacing_s": ready_s - spacing,
        "rss_ready_mb": ready_mem["VmRSS"],
        "rss_idle_mb": idle_mem["VmRSS"],
        "rss_peak_mb": idle_mem["VmHWM"],
        "idle_s": idle,
        "idle_cpu_s": cpu_idle,
        "idle_cpu_pct": 100 * cpu_idle / idle,
        "idle_requests": idle_requests,
        "rows": built.counts,
    }


def servers_loopback(servers: int, channels: int = 1, roles: int = 0) -> LoopbackDiscord:
    """`servers` guilds with an #announcements channel (and `channels - 1` more, and `roles` roles
    beside @everyone and the bot's) each, 2,500 to a shard, identifying at once."""
    shards = max(1, -(-servers // GUILDS_PER_SHARD))
    lb = LoopbackDiscord(guilds_per_shard=GUILDS_PER_SHARD, max_concurrency=shards)
    for g in range(servers):
        guild = lb.create_guild(f"Fans {g}", id=guild_id(g))
        lb.add_channel(guild, "announcements", id=channel_id(g))
        for c in range(channels - 1):
            lb.add_channel(guild, f"episode-{c + 1}")
        for r in range(roles):
            lb.add_role(guild, f"Watched S1E{r + 1}")
    return lb


async def memory_at(servers: int, channels: int = 1, roles: int = 0) -> dict[str, Any]:
    """RSS of the bot, in its own process on an empty database, once READY with `servers` servers."""
    async with running(servers_loopback(servers, channels, roles)) as lb:
        with tempfile.TemporaryDirectory() as folder:
            async with BotProcess(
                lb.port, Path(folder) / "empty.db", log_path=Path(folder) / "bot.log", log_level="WARNING"
            ) as bot:
                await bot.start(timeout=600)
                assert bot.proc is not None
                await asyncio.sleep(2)  # start-up work settles
                mem = memory_mb(bot.proc.pid)
                await bot.stop()
    return {"servers": servers, "shards": bot.shards, "rss_mb": mem["VmRSS"], "peak_mb": mem["VmHWM"]}


async def census(servers: int, top: int = 12) -> list[tuple[str, float, int]]:
    """Where the bot's memory for `servers` servers goes: (file, KB per server, blocks) that grew
    between connecting and READY, the bot in this process under tracemalloc."""
    import tracemalloc

    async with running(servers_loopback(servers)) as lb, contextlib.AsyncExitStack() as stack:
        folder = stack.enter_context(tempfile.TemporaryDirectory())
        tracemalloc.start(1)
        before = tracemalloc.take_snapshot()
        await stack.enter_async_context(bot_in_process(Path(folder) / "empty.db"))
        await asyncio.sleep(2)
        gc.collect()
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        skip = tracemalloc.Filter(False, "*/tests/loopback/*")  # the loopback lives here too
        stats = after.filter_traces([skip]).compare_to(before.filter_traces([skip]), "filename")
        del lb
    return [
        (str(s.traceback[0].filename).split("site-packages/")[-1], s.size_diff / 1024 / servers, s.count_diff)
        for s in stats[:top]
    ]


def memory_main(args: argparse.Namespace) -> None:
    sizes = [int(n) for n in args.sizes.split(",")]
    runs: list[dict[str, Any]] = []
    for n in range(args.runs):
        for servers in [1, *sizes]:
            result = asyncio.run(memory_at(servers, args.channels, args.roles))
            result["run"] = n
            runs.append(result)
            print(
                f"run {n + 1}: {servers} server(s) on {result['shards']} shard(s): RSS {result['rss_mb']:.1f} MB",
                flush=True,
            )
    base = [r["rss_mb"] for r in runs if r["servers"] == 1]
    rows = [["servers", "shards", "RSS when ready MB", "above the base MB", "KB per server", "target"]]
    for servers in [1, *sizes]:
        mine = [r for r in runs if r["servers"] == servers]
        rss = [r["rss_mb"] for r in mine]
        above = [r["rss_mb"] - base[r["run"]] for r in mine]  # each run against its own base
        per = [a * 1024 / servers for a in above]
        rows.append(
            [
                str(servers),
                str(mine[0]["shards"]),
                f"{statistics.median(rss):.1f} [{min(rss):.1f}-{max(rss):.1f}]",
                "base" if servers == 1 else f"{statistics.median(above):.1f}",
                "" if servers == 1 else f"{statistics.median(per):.2f} [{min(per):.2f}-{max(per):.2f}]",
                "" if servers == 1 else "< 5",
            ]
        )
    print(
        f"machine: {machine()}; {args.runs} run(s); medians [min-max]; empty database; each server has "
        f"{args.channels} channel(s) and {args.roles + 2} roles"
    )
    print(table(rows))
    saved: dict[str, Any] = {"machine": machine(), "runs": runs}
    if args.census:
        largest = max(sizes)
        grown = asyncio.run(census(largest))
        print(f"what grew between connecting and READY at {largest} servers (tracemalloc, by file):")
        print(table([["file", "KB per server", "blocks"], *([f, f"{kb:.2f}", str(c)] for f, kb, c in grown)]))
        saved["census"] = grown
    save("memory", saved)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds to sit idle (default 60)")
    parser.add_argument("--small", action="store_true", help="a fiftieth of the sizes, for a quick look")
    parser.add_argument("--memory", action="store_true", help="memory per server instead (see above)")
    parser.add_argument("--sizes", default="1000,10000,50000", help="server counts for --memory")
    parser.add_argument("--census", action="store_true", help="with --memory: where the memory goes")
    parser.add_argument("--channels", type=int, default=1, help="with --memory: channels per server")
    parser.add_argument("--roles", type=int, default=0, help="with --memory: roles per server, besides 2")
    args = parser.parse_args()
    if args.memory:
        memory_main(args)
        return
    scale = Scale.small() if args.small else Scale()
    results = []
    for n in range(args.runs):
        result = asyncio.run(run(scale, args.idle))
        results.append(result)
        print(
            f"run {n + 1}: ready in {result['ready_s']:.2f} s on {result['shards']} shard(s), RSS {result['rss_idle_mb']:.0f} MB "
            f"(peak {result['rss_peak_mb']:.0f}), idle CPU {result['idle_cpu_s']:.2f} s over {args.idle:.0f} s"
        )

    def stat(key: str, fmt: str) -> list[str]:
        values = [r[key] for r in results]
        return [fmt.format(statistics.median(values)), fmt.format(min(values)), fmt.format(max(values))]

    rows = [["measure", "median", "min", "max", "target"]]
    rows.append(["start-up: spawn to end of setup_hook (s)", *stat("setup_s", "{:.2f}"), "< 2"])
    shards = results[0]["shards"]
    rows.append(
        [
            f"start-up: spawn to READY, {scale.servers} guilds on {shards} shard(s) (s)",
            *stat("ready_s", "{:.2f}"),
            "-",
        ]
    )
    rows.append(
        [
            "  of which Discord's identify spacing, 5 s per bucket round (s)",
            *stat("identify_spacing_s", "{:.0f}"),
            "-",
        ]
    )
    rows.append(["  READY less the identify spacing (s)", *stat("ready_minus_spacing_s", "{:.2f}"), "< 2"])
    rows.append(["RSS when ready (MB)", *stat("rss_ready_mb", "{:.0f}"), "< 200"])
    rows.append(["RSS after idle (MB)", *stat("rss_idle_mb", "{:.0f}"), "< 200"])
    rows.append(["RSS peak (MB)", *stat("rss_peak_mb", "{:.0f}"), "< 200"])
    rows.append([f"idle CPU over {args.idle:.0f} s (s)", *stat("idle_cpu_s", "{:.2f}"), "near 0"])
    rows.append(["requests while idle", *stat("idle_requests", "{:.0f}"), "0"])
    print(f"machine: {machine()}; {args.runs} run(s); rows: {results[0]['rows']}")
    print(table(rows))
    save("footprint", {"machine": machine(), "runs": results})


if __name__ == "__main__":
    main()
