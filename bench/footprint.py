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

    python -m bench.footprint [--runs 3] [--idle 60] [--small]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import identify_spacing, loopback, machine, save, table
from bench.scale import Scale, cached, channel_id, copy_to, guild_id
from tests.loopback.process import BotProcess

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds to sit idle (default 60)")
    parser.add_argument("--small", action="store_true", help="a fiftieth of the sizes, for a quick look")
    args = parser.parse_args()
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
