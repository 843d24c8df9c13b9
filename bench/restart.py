"""Announcements due right after a restart: does a server wait for its own shard only, or for all?

10,000 servers on 10 shards (Discord lets one IDENTIFY through per 5 s below large-bot sharding, so
the last shard is READY about 45 s after the first). 1,000 of them, spread over every shard, have an
announcement due in the first 60 s after the bot process is spawned. Lateness is from the due time to
the request arriving at the loopback, reported per shard. The loopback enforces Discord's real
limits (50 requests/s globally, 5 messages per 5 s per channel).

Two variants side by side in each run, against the same servers and schedule:
- per shard (today): a guild's jobs are claimed once its own shard is READY;
- every shard (before): nothing is claimed until every shard is READY (`--claim-after-every-shard`).

    python -m bench.restart [--servers 10000] [--announcements 1000] [--window 60] [--runs 3]
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

from bench.common import loopback, machine, quantile, save, settle_heap, table
from bench.scale import guild_id
from bot.db import open_database
from bot.shards import shard_of
from tests.fanout import Server, seed_countdowns
from tests.loopback.process import BotProcess

PLACEHOLDER = 5 * 365 * 86_400  # seeded this far ahead, beyond any other row, then shifted at the spawn
VARIANTS = {"per shard": False, "every shard": True}  # name -> claim only after every shard is READY


async def seed(database: Path, servers: list[Server], due: list[int], now: int) -> None:
    """One countdown per announcing server, released at its own second (shifted at spawn time)."""
    db = open_database(database)
    await db.open()
    try:
        await db.migrate()
        for server, release in zip(servers, due, strict=True):
            await seed_countdowns(db, [server], release_at=release, now=now)
    finally:
        await db.close()


async def shift(database: Path | str, seconds: int, since: int) -> None:
    """Move the releases at `since` or later, and their announcements, by `seconds` (to line the
    window up with the spawn; other rows, a scale database's, stay where they are)."""
    db = open_database(database)
    await db.open()
    try:
        async with db.transaction():
            await db.execute(
                "UPDATE countdowns SET release_at = release_at + ? WHERE release_at >= ?", (seconds, since)
            )
            await db.execute(
                "UPDATE scheduled_jobs SET due_at = due_at + ?, run_at = run_at + ? WHERE due_at >= ?",
                (seconds, seconds, since),
            )
    finally:
        await db.close()


async def run(servers: int, announcements: int, window: float, every_shard: bool) -> dict[str, Any]:
    async with loopback(realistic=True) as lb:
        built = []
        for n in range(servers):
            guild = lb.create_guild(f"Fans {n}", id=guild_id(n))
            built.append(Server(guild, lb.add_channel(guild, "announcements")))
        shard_count = lb.recommended_shards()
        # Consecutive ids land on consecutive shards (bench.scale.guild_id): every step-th server
        # would all be on one shard, so each pick moves one server further along.
        step = servers // announcements
        chosen = [built[k * step + k % step] for k in range(announcements)]
        offsets = [int(window * k / announcements) for k in range(announcements)]
        placeholder = int(time.time()) + PLACEHOLDER
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "restart.db"
            await seed(database, chosen, [placeholder + o for o in offsets], int(time.time()))
            settle_heap()
            bot = BotProcess(
                lb.port,
                database,
                log_path=Path(folder) / "bot.log",
                log_level="WARNING",
                claim_after_every_shard=every_shard,
            )
            try:
                spawned = int(time.time()) + 1
                await shift(database, spawned - placeholder, placeholder)
                spawned_mono = time.monotonic() - (time.time() - spawned)
                await bot.start(timeout=300)
                deadline = time.time() + window + 120
                while len(lb.bot_messages()) < announcements and time.time() < deadline:  # noqa: ASYNC110 - sampled
                    await asyncio.sleep(0.5)
                await asyncio.sleep(2)  # a duplicate would arrive now
                await bot.stop()
            finally:
                await bot.kill()
        due_of = {s.channel.id: spawned + o for s, o in zip(chosen, offsets, strict=True)}
        shard_by_channel = {s.channel.id: shard_of(s.guild.id, shard_count) for s in chosen}
        late: dict[int, list[float]] = {}
        seen: dict[int, int] = {}
        for message in lb.bot_messages():
            arrived = dt.datetime.fromisoformat(message.timestamp).timestamp()
            late.setdefault(shard_by_channel[message.channel_id], []).append(
                arrived - due_of[message.channel_id]
            )
            seen[message.channel_id] = seen.get(message.channel_id, 0) + 1
        # When each shard's IDENTIFY arrived, from the spawn.
        identified = {
            shard[0]: at - spawned_mono for shard, at in zip(lb.identifies, lb.identified_at, strict=True)
        }
        refused = dict(lb.limits.refused) if lb.limits else {}
    every = [v for values in late.values() for v in values]
    return {
        "variant": "every shard" if every_shard else "per shard",
        "shards": shard_count,
        "sent": len(every),
        "duplicates": sum(c - 1 for c in seen.values() if c > 1),
        "lost": announcements - len(seen),
        "global_429": refused.get("global", 0),
        "identified_s": identified,
        "per_shard": {
            shard: {"median": statistics.median(v), "p99": quantile(v, 0.99), "n": len(v)}
            for shard, v in sorted(late.items())
        },
        "all": {"median": statistics.median(every), "p99": quantile(every, 0.99)},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--announcements", type=int, default=1000)
    parser.add_argument("--window", type=float, default=60.0, help="announcements due within this many s")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for n in range(args.runs):
        for variant, every_shard in VARIANTS.items():
            result = asyncio.run(run(args.servers, args.announcements, args.window, every_shard))
            results.append(result)
            print(
                f"run {n + 1}, {variant}: {result['sent']} sent, {result['duplicates']} duplicates, "
                f"{result['lost']} lost; lateness median {result['all']['median']:.1f} s, "
                f"p99 {result['all']['p99']:.1f} s",
                flush=True,
            )

    def cell(variant: str, shard: int | None, key: str) -> str:
        values = [
            (r["all"] if shard is None else r["per_shard"][shard])[key]
            for r in results
            if r["variant"] == variant and (shard is None or shard in r["per_shard"])
        ]
        if not values:
            return "-"
        return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]"

    shards = results[0]["shards"]
    rows = [
        [
            "shard",
            "IDENTIFY at s",
            "median late s, per shard",
            "before: every shard",
            "p99 late s, per shard",
            "before: every shard",
        ]
    ]
    for shard in [*range(shards), None]:
        identified = [r["identified_s"].get(shard) for r in results if shard is not None]
        rows.append(
            [
                "all" if shard is None else str(shard),
                "" if shard is None else f"{statistics.median(i for i in identified if i is not None):.1f}",
                cell("per shard", shard, "median"),
                cell("every shard", shard, "median"),
                cell("per shard", shard, "p99"),
                cell("every shard", shard, "p99"),
            ]
        )
    print(
        f"machine: {machine()}; {args.runs} run(s) of each variant; {args.announcements} announcements due "
        f"0-{args.window:.0f} s after the spawn, in {args.servers} servers on {shards} shards; "
        "medians over the runs [min-max]"
    )
    print(table(rows))
    print(
        "duplicates, lost, global 429s:",
        [(r["variant"], r["duplicates"], r["lost"], r["global_429"]) for r in results],
    )
    save("restart", {"machine": machine(), "args": vars(args), "results": results})


if __name__ == "__main__":
    main()
