"""Run the real bot in a process of its own against a loopback Discord (fault drills, benchmarks).

    python -m tests.loopback.run_bot --port 8123 --database /tmp/x.db
    python -m tests.loopback.run_bot --port 8123 --database postgresql://... --shard-count 2 --shard-ids 0

It prints `READY shards=<count> setup_at=<monotonic time setup_hook finished>` once every shard's
guild cache is loaded, then runs until stopped (SIGTERM: a clean close) or killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

import discord
import discord.gateway
import discord.http
import yarl

import main as entry
from bench.common import GcPauses
from bot import create_bot
from bot.config import Settings
from bot.db import DatabaseError, is_database_url
from bot.db.postgres import PostgresDatabase
from bot.db.sqlite import SQLiteDatabase
from bot.lock import InstanceLocked
from bot.logs import setup_logging
from bot.shards import parse_shard_ids

from .server import BOT_TOKEN

# Behaviours a benchmark can put back to measure a change side by side (--before a,b).
BEFORE = {
    "thread-reads": "every SQLite read on aiosqlite's worker thread, none on the event loop's",
    "one-lane": "vote-count edits queue for the global limit with every other request",
    "pool-reset": "asyncpg's reset query on every release of a pooled PostgreSQL connection",
    "late-all-at-once": "every handler deferred because it came late runs at once",
}


async def run(args: argparse.Namespace) -> None:
    discord.http.Route.BASE = f"http://127.0.0.1:{args.port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{args.port}/gateway")
    url = args.database if is_database_url(args.database) else None
    settings = Settings(
        discord_token=args.token,
        database_path=Path("unused.db") if url else Path(args.database),
        database_url=url,
        database_pool_size=args.pool_size,
        log_level=args.log_level,
        shard_count=args.shard_count,
        shard_ids=parse_shard_ids(args.shard_ids, args.shard_count) if args.shard_ids else None,
        **({"tvmaze_url": args.tvmaze_url} if args.tvmaze_url else {}),
    )
    bot = create_bot(settings, guild_ready_timeout=args.guild_ready_timeout)
    if args.claim_after_every_shard:  # the behaviour before per-shard readiness
        holds = bot.scheduler.gate

        async def every_shard_first() -> None:
            await bot.wait_until_ready()
            if holds is not None:
                await holds()

        bot.scheduler.gate = every_shard_first
    before = set(args.before.split(",")) if args.before else set()
    if unknown := before - set(BEFORE):
        raise SystemExit(f"--before: unknown {sorted(unknown)}; known: {', '.join(BEFORE)}")
    if "thread-reads" in before and isinstance(bot.db, SQLiteDatabase):
        bot.db.inline_reads = False
    if "pool-reset" in before and isinstance(bot.db, PostgresDatabase):
        bot.db.reset_on_release = True
    if "late-all-at-once" in before:
        bot.late_work.limit = sys.maxsize
    if "one-lane" in before:
        bot.rate_limiter.lanes = False

    async def announce_ready() -> None:
        # on_ready fires once every shard has streamed its guilds (and again after a re-IDENTIFY).
        # CLOCK_MONOTONIC is system-wide on Linux: the parent subtracts its spawn time.
        print(
            f"READY shards={bot.shard_count or 1} setup_at={bot.setup_finished_at or time.monotonic():.6f}",
            flush=True,
        )

    bot.add_listener(announce_ready, "on_ready")
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        async with bot:
            with contextlib.suppress(asyncio.CancelledError):
                await bot.start(settings.discord_token)
    except (DatabaseError, InstanceLocked) as exc:
        # The line main.py prints for the same refusal.
        print(f"error: {entry.database_setting(settings)}: {exc}", file=sys.stderr, flush=True)
        sys.exit(entry.EXIT_CONFIG)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--token", default=BOT_TOKEN)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--guild-ready-timeout", type=float, default=0.5)
    parser.add_argument("--shard-count", type=int, default=None)
    parser.add_argument("--shard-ids", default=None)
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument(
        "--claim-after-every-shard",
        action="store_true",
        help="claim no job until every shard is READY (bench.restart compares it with per-shard claims)",
    )
    parser.add_argument(
        "--before",
        default="",
        help="comma-separated behaviours to put back for a side-by-side benchmark: " + ", ".join(BEFORE),
    )
    parser.add_argument("--tvmaze-url", default="", help="a loopback TVmaze (default: the setting's default)")
    args = parser.parse_args()
    setup_logging(args.log_level, secrets=[args.token])
    logging.getLogger("discord").setLevel(logging.WARNING)
    # CLIFFHANGER_GC_REPORT=file: the bot's collector pauses, written there at exit (benchmarks).
    gc_report = os.environ.get("CLIFFHANGER_GC_REPORT")
    with GcPauses() as pauses:
        try:
            asyncio.run(run(args))
        finally:
            if gc_report:
                pauses.write(Path(gc_report))
    sys.exit(0)


if __name__ == "__main__":
    main()
