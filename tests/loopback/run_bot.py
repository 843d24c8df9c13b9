"""Run the real bot in a process of its own against a loopback Discord (fault drills, benchmarks).

    python -m tests.loopback.run_bot --port 8123 --database /tmp/x.db

It prints `READY shards=<count> setup_at=<monotonic time setup_hook finished>` once every shard's
guild cache is loaded, then runs until stopped (SIGTERM: a clean close) or killed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from pathlib import Path

import discord
import discord.gateway
import discord.http
import yarl

from bot import create_bot
from bot.config import Settings
from bot.logs import setup_logging

from .server import BOT_TOKEN


async def run(args: argparse.Namespace) -> None:
    discord.http.Route.BASE = f"http://127.0.0.1:{args.port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{args.port}/gateway")
    settings = Settings(
        discord_token=args.token,
        database_path=Path(args.database),
        log_level=args.log_level,
        **({"tvmaze_url": args.tvmaze_url} if args.tvmaze_url else {}),
    )
    bot = create_bot(settings, guild_ready_timeout=args.guild_ready_timeout)

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
    async with bot:
        with contextlib.suppress(asyncio.CancelledError):
            await bot.start(settings.discord_token)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--token", default=BOT_TOKEN)
    parser.add_argument("--log-level", default="INFO")
    parser.add_argument("--guild-ready-timeout", type=float, default=0.5)
    parser.add_argument("--tvmaze-url", default="", help="a loopback TVmaze (default: the setting's default)")
    args = parser.parse_args()
    setup_logging(args.log_level, secrets=[args.token])
    logging.getLogger("discord").setLevel(logging.WARNING)
    asyncio.run(run(args))
    sys.exit(0)


if __name__ == "__main__":
    main()
