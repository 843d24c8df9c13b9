"""Command latency at scale: slash commands and button clicks at a steady rate against a big database.

The database is the scale one (bench/scale.py: 10,000 servers, 100,000 countdowns, 1,000,000 pending
scheduler rows, and the theories, votes and recaps of those features). The bot runs in its own
process; this process is the loopback Discord and the load: interactions are sent open-loop at
`--rate` per second (each at its planned moment, whether or not earlier ones were answered) from
members of random servers. Latency is from the loopback creating INTERACTION_CREATE to the bot's
callback arriving at the loopback, the part of Discord's 3 s deadline the bot spends.

Each run measures SQLite and then PostgreSQL (the same database, moved over with the bot's own
copy-to-postgres), and the bot's start-up on each (spawn to the end of setup_hook, and to READY).

    python -m bench.commands [--rate 100] [--seconds 30] [--runs 3] [--backend both] [--profile out.prof]

With `--sweep`, the offered rate steps up instead (100, 200, 400, 800 ... per second, `--seconds` at
each, the same mix) until p99 passes 50 ms or answers miss the 3 s deadline, and one step more, to
show how the bot sheds load past that knee. Each step reports the
offered and achieved rate, median and p99, failures, the bot's CPU and RSS, and the lateness of the
announcements that fell due during the step: a timeliness workload runs beside the load, one
announcement every 0.2 s in servers of their own, from about when the bot is READY (seeded before
the start). The capacity is the highest rate with p99 under 50 ms and
no failures, per backend, in the same run.

    python -m bench.commands --sweep [--steps 100,200,400,800,1600] [--seconds 10] [--runs 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gc
import os
import pstats
import random
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    GcPauses,
    backends,
    identify_spacing,
    loopback,
    machine,
    postgres,
    quantile,
    save,
    settle_heap,
    summary,
    table,
)
from bench.footprint import cpu_seconds, memory_mb
from bench.restart import PLACEHOLDER, shift
from bench.scale import (
    Scale,
    cached,
    channel_id,
    copy_to,
    copy_to_postgres,
    guild_id,
    theory_channel_id,
    theory_message_id,
    theory_row_id,
    theory_thread_id,
    user_id,
)
from bot.db import open_database
from tests.fanout import Server, seed_countdowns
from tests.loopback import ChannelType, LoopbackDiscord, Message
from tests.loopback.actor import Actor, Reply
from tests.loopback.process import BotProcess
from tests.postgres import Cluster


@dataclass
class World:
    lb: LoopbackDiscord
    scale: Scale
    actors: list[Actor]  # one member in each server (its watch progress is in the database)
    now: int  # the "now" the database was planned from
    theory_messages: dict[int, Message]  # server index -> the vote message of its first theory


Action = Callable[[World, random.Random], Awaitable[Reply]]


async def countdown_next(world: World, rng: random.Random) -> Reply:
    return await rng.choice(world.actors).slash("countdown next", allow_expired=True)


async def theory_top(world: World, rng: random.Random) -> Reply:
    return await rng.choice(world.actors).slash("theory top", allow_expired=True)


async def recap_read(world: World, rng: random.Random) -> Reply:
    actor = rng.choice(world.actors)
    return await actor.slash("recap read", episode=f"S2E{rng.randint(1, 2)}", allow_expired=True)


async def vote(world: World, rng: random.Random) -> Reply:
    g = rng.choice(list(world.theory_messages))
    message = world.theory_messages[g]
    custom_id = rng.choice([b["custom_id"] for b in message.buttons()])  # labels carry live counts
    return await world.actors[g].click(message, custom_id, allow_expired=True)


# name -> (weight, action): the mix the issue sets, in equal parts
MIX: dict[str, tuple[int, Action]] = {
    "/countdown next": (1, countdown_next),
    "/theory top": (1, theory_top),
    "/recap read": (1, recap_read),
    "vote click": (1, vote),
}
VOTE_SERVERS = 2_000  # servers whose first theory's thread and message exist in the loopback


def build_world(lb: LoopbackDiscord, scale: Scale, now: int) -> World:
    actors = []
    messages: dict[int, Message] = {}
    for g in range(scale.servers):
        guild = lb.create_guild(f"Fans {g}", id=guild_id(g))
        channel = lb.add_channel(guild, "general", id=channel_id(g))
        member = lb.add_member(guild, f"fan-{g}", id=user_id(g))
        actors.append(Actor(lb, guild, member, channel))
        if g < VOTE_SERVERS:
            theories = lb.add_channel(guild, "theories", id=theory_channel_id(g))
            tid = theory_row_id(g, 0, scale)
            thread = lb.add_channel(
                guild,
                "#1 · Theory 1",
                type=ChannelType.PUBLIC_THREAD,
                parent=theories,
                id=theory_thread_id(tid),
            )
            thread.owner_id = lb.bot_user.id  # the bot opened it
            buttons = [
                {"type": 2, "style": 3, "label": "Plausible", "custom_id": f"theory:vote:{tid}:p"},
                {"type": 2, "style": 4, "label": "Doubtful", "custom_id": f"theory:vote:{tid}:d"},
            ]
            messages[g] = lb.seed_bot_message(
                thread,
                {"content": "Theory 1", "components": [{"type": 1, "components": buttons}]},
                message_id=theory_message_id(tid),
            )
    return World(lb, scale, actors, now, messages)


async def load(world: World, rate: float, seconds: float, seed: int) -> dict[str, list[float]]:
    """Send `rate * seconds` interactions open-loop; latencies in ms per action name."""
    rng = random.Random(seed)
    names = list(MIX)
    weights = [MIX[n][0] for n in names]
    latencies: dict[str, list[float]] = defaultdict(list)
    failures: dict[str, int] = defaultdict(int)
    refusals: dict[str, int] = defaultdict(int)
    samples: dict[str, str] = {}

    async def one(name: str) -> None:
        reply = await MIX[name][1](world, rng)
        inter = reply.interaction
        if inter.answered_at is None or inter.expired:
            failures[name] += 1
            return
        latencies[name].append((inter.answered_at - inter.created) * 1000)
        if "\N{CROSS MARK}" in reply.content:  # a refusal is fast but measures nothing useful
            refusals[name] += 1
            samples.setdefault(name, reply.content[:200])

    tasks = []
    start = time.monotonic()
    total = int(rate * seconds)
    for n in range(total):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(rng.choices(names, weights)[0])))
    await asyncio.gather(*tasks)
    latencies["__failed__"] = [float(sum(failures.values()))]
    latencies["__span_s__"] = [time.monotonic() - start]  # first sent to last answered
    if refusals:
        print("refused (a ❌ reply):", dict(refusals), samples)
    return latencies


@contextlib.asynccontextmanager
async def scale_world(
    scale: Scale, cluster: Cluster | None
) -> AsyncIterator[tuple[LoopbackDiscord, World, Path, Path | str]]:
    """The loopback with the scale database's servers, and a private copy of that database (an
    SQLite file in a temporary folder, or a PostgreSQL database dropped afterwards)."""
    built = cached(scale)
    async with loopback(realistic=True) as lb:
        world = build_world(lb, scale, built.now)
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            database = copy_to(built, folder) if cluster is None else await copy_to_postgres(built, cluster)
            try:
                yield lb, world, folder, database
            finally:
                if cluster is not None and isinstance(database, str):
                    await cluster.drop_database(database)


async def run(
    scale: Scale,
    rate: float,
    seconds: float,
    seed: int,
    profile: Path | None,
    *,
    cluster: Cluster | None = None,
) -> dict[str, Any]:
    async with scale_world(scale, cluster) as (lb, world, folder, database):
        settle_heap()
        pauses = GcPauses()
        async with (
            BotProcess(
                lb.port, database, log_path=Path(folder) / "bot.log", log_level="WARNING", profile=profile
            ) as bot,
            pauses,
        ):
            spawned = time.monotonic()
            await bot.start(timeout=300)
            ready_s = time.monotonic() - spawned
            await asyncio.sleep(2)  # start-up work settles
            await load(world, rate, 2, seed + 1)  # warm-up: caches, first-use imports
            latencies = await load(world, rate, seconds, seed)
            await bot.stop()
        violations = list(lb.violations)
    failed = int(latencies.pop("__failed__")[0])
    latencies.pop("__span_s__")
    every = [v for values in latencies.values() for v in values]
    return {
        "backend": "sqlite" if cluster is None else "postgresql",
        "setup_s": bot.setup_s,
        "ready_s": ready_s,
        "rate": rate,
        "seconds": seconds,
        "answered": len(every),
        "failed": failed,
        "all": summary(every),
        "by_action": {name: summary(values) for name, values in latencies.items()},
        "spec_violations": violations[:5],
        "loopback_gc_longest_ms": pauses.longest_ms,
    }


ANNOUNCE_EVERY = 0.2  # seconds between the timeliness workload's announcements
SWEEP_P99_MS = 50.0


def within(step: dict[str, Any]) -> bool:
    """Whether a sweep step counts towards the capacity: p99 under 50 ms and no failures."""
    return bool(step["p99"] < SWEEP_P99_MS and not step["failed"])


async def seed_announcements(database: Path | str, servers: list[Server], first_due: int) -> list[int]:
    """One premiere countdown in each of `servers`, due one every ANNOUNCE_EVERY s from `first_due`."""
    due = [first_due + int(k * ANNOUNCE_EVERY) for k in range(len(servers))]
    db = open_database(database)
    await db.open()
    try:
        now = int(time.time())
        for server, release in zip(servers, due, strict=True):
            await seed_countdowns(db, [server], release_at=release, now=now)
    finally:
        await db.close()
    return due


async def sweep(
    scale: Scale,
    steps: list[float],
    seconds: float,
    seed: int,
    *,
    cluster: Cluster | None = None,
    before: Sequence[str] = (),
) -> dict[str, Any]:
    """Step the offered rate up until p99 passes SWEEP_P99_MS or answers fail, announcements beside."""
    async with scale_world(scale, cluster) as (lb, world, folder, database):
        # Servers past the vote servers, one announcement each, from about when the bot is READY (a
        # backlog sent at READY would land in the first step) over the longest the sweep can take.
        lead = int(identify_spacing(lb)) + 10
        horizon = 30 + len(steps) * (seconds + 8)
        count = min(int(horizon / ANNOUNCE_EVERY), scale.servers // 2)
        announcing = [Server(a.guild, a.channel) for a in world.actors[scale.servers - count :]]
        placeholder = int(time.time()) + PLACEHOLDER
        due = await seed_announcements(database, announcing, placeholder + lead)
        due_of = {s.channel.id: d - placeholder for s, d in zip(announcing, due, strict=True)}
        settle_heap()
        rows: list[dict[str, Any]] = []
        async with BotProcess(
            lb.port, database, log_path=Path(folder) / "bot.log", log_level="WARNING", before=before
        ) as bot:
            spawned = int(time.time()) + 1
            await shift(database, spawned - placeholder, placeholder)
            await bot.start(timeout=300)
            assert bot.proc is not None
            pid = bot.proc.pid
            await asyncio.sleep(2)
            await load(world, steps[0], 2, seed + 1)  # warm-up: caches, first-use imports
            for n, rate in enumerate(steps):
                cpu_before, started = cpu_seconds(pid), time.time()
                own_before = cpu_seconds(os.getpid())
                # The loopback stands in for Discord, which does not stall: its collector waits
                # between steps (a collection over the requests it logged paused it 100+ ms, which
                # set the p99 of the bot; bench.fanout does the same).
                gc.disable()
                try:
                    latencies = await load(world, rate, seconds, seed + 10 + n)
                finally:
                    gc.enable()
                ended = time.time()
                gc.collect()
                failed = int(latencies.pop("__failed__")[0])
                span = latencies.pop("__span_s__")[0]
                every = [v for values in latencies.values() for v in values]
                rows.append(
                    {
                        "offered": rate,
                        "achieved": len(every) / span,
                        "answered": len(every),
                        "failed": failed,
                        **{k: v for k, v in summary(every).items() if k in ("median", "p99")},
                        "cpu_pct": 100 * (cpu_seconds(pid) - cpu_before) / (ended - started),
                        # this process: the loopback Discord and the load generator
                        "loopback_cpu_pct": 100 * (cpu_seconds(os.getpid()) - own_before) / (ended - started),
                        "rss_mb": memory_mb(pid)["VmRSS"],
                        "window": (started, ended),
                    }
                )
                step = rows[-1]
                print(
                    f"  {rate:.0f}/s offered: {step['achieved']:.0f}/s answered, median "
                    f"{step['median']:.1f} ms, p99 {step['p99']:.1f} ms, {failed} failed, "
                    f"bot CPU {step['cpu_pct']:.0f}%, RSS {step['rss_mb']:.0f} MB, "
                    f"loopback CPU {step['loopback_cpu_pct']:.0f}%",
                    flush=True,
                )
                if len(rows) >= 2 and not within(rows[-2]):
                    break  # one step past the knee shows how the bot sheds load
                if not within(step) and rate == steps[-1]:
                    break
            await asyncio.sleep(3)  # announcements due at the end arrive
            await bot.stop()
        late: list[tuple[float, float]] = []  # (due, lateness)
        for message in lb.bot_messages():
            if message.channel_id in due_of and "Season 3 premiere" in message.text:  # not a reply
                arrived = dt.datetime.fromisoformat(message.timestamp).timestamp()
                late.append(
                    (spawned + due_of[message.channel_id], arrived - spawned - due_of[message.channel_id])
                )
    for step in rows:
        start, end = step.pop("window")
        mine = [v for d, v in late if start <= d < end]
        step["announcements"] = len(mine)
        step["late_p99_s"] = quantile(mine, 0.99) if mine else None
        step["late_median_s"] = statistics.median(mine) if mine else None
    good = [r["offered"] for r in rows if within(r)]
    backend = "sqlite" if cluster is None else "postgresql"
    return {
        "backend": f"{backend} before {'+'.join(before)}" if before else backend,
        "steps": rows,
        "capacity": max(good, default=0.0),
        "spec_violations": list(lb.violations)[:5],
    }


def sweep_main(args: argparse.Namespace) -> None:
    scale = Scale.small() if args.small else Scale()
    wanted = backends(args.backend)
    steps = [float(r) for r in args.steps.split(",")]
    results: list[dict[str, Any]] = []
    variants: list[tuple[str, ...]] = [()]
    if args.before:
        variants.append(tuple(args.before.split(",")))
    with postgres(wanted) as cluster:
        for n in range(args.runs):
            for backend in wanted:
                # Side by side: the code as it is, then with the named behaviours put back, in turn.
                for before in variants if n % 2 == 0 else variants[::-1]:
                    print(
                        f"run {n + 1}, {backend}{' before ' + '+'.join(before) if before else ''}:",
                        flush=True,
                    )
                    results.append(
                        asyncio.run(
                            sweep(
                                scale,
                                steps,
                                args.seconds,
                                seed=n,
                                cluster=cluster if backend == "postgresql" else None,
                                before=before,
                            )
                        )
                    )
    rows = [
        [
            "backend",
            "offered/s",
            "achieved/s",
            "median ms",
            "p99 ms",
            "failed",
            "bot CPU %",
            "RSS MB",
            "loopback CPU %",
            "announcements",
            "late p99 s",
        ]
    ]
    for result in results:
        for step in result["steps"]:
            rows.append(
                [
                    result["backend"],
                    f"{step['offered']:.0f}",
                    f"{step['achieved']:.0f}",
                    f"{step['median']:.1f}",
                    f"{step['p99']:.1f}",
                    str(step["failed"]),
                    f"{step['cpu_pct']:.0f}",
                    f"{step['rss_mb']:.0f}",
                    f"{step['loopback_cpu_pct']:.0f}",
                    str(step["announcements"]),
                    "-" if step["late_p99_s"] is None else f"{step['late_p99_s']:.2f}",
                ]
            )
    print(
        f"machine: {machine()}; {args.runs} run(s), {args.seconds:.0f} s per step; "
        f"capacity = the highest offered rate with p99 < {SWEEP_P99_MS:.0f} ms and no failures"
    )
    print(table(rows))
    for backend in dict.fromkeys(r["backend"] for r in results):
        capacities = [r["capacity"] for r in results if r["backend"] == backend]
        print(
            f"capacity, {backend}: {statistics.median(capacities):.0f}/s "
            f"[{min(capacities):.0f}-{max(capacities):.0f}] over {len(capacities)} run(s)"
        )
    if any(r["spec_violations"] for r in results):
        print("spec violations:", [r["spec_violations"] for r in results])
    save("commands-sweep", {"machine": machine(), "args": vars(args), "runs": results})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rate", type=float, default=100.0, help="interactions per second (default 100)")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to send (default 30)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--small", action="store_true", help="a fiftieth of the sizes, for a quick look")
    parser.add_argument("--profile", type=Path, help="run the bot under cProfile; write the stats here")
    parser.add_argument("--sweep", action="store_true", help="step the rate up to find the capacity")
    parser.add_argument("--steps", default="100,200,400,800,1600", help="offered rates for --sweep")
    parser.add_argument(
        "--before",
        default="",
        help="--sweep also runs the bot with these behaviours put back, side by side "
        "(tests/loopback/run_bot.py BEFORE: thread-reads, ...)",
    )
    args = parser.parse_args()
    if args.sweep:
        sweep_main(args)
        return
    scale = Scale.small() if args.small else Scale()
    wanted = backends(args.backend)
    results: list[dict[str, Any]] = []
    with postgres(wanted) as cluster:
        for n in range(args.runs):
            for backend in wanted:
                result = asyncio.run(
                    run(
                        scale,
                        args.rate,
                        args.seconds,
                        seed=n,
                        profile=args.profile,
                        cluster=cluster if backend == "postgresql" else None,
                    )
                )
                results.append(result)
                print(
                    f"run {n + 1}, {backend}: {result['answered']} answered, {result['failed']} failed; "
                    f"median {result['all']['median']:.1f} ms, p99 {result['all']['p99']:.1f} ms; "
                    f"start-up {result['setup_s']:.2f} s to setup_hook's end, {result['ready_s']:.1f} s to READY; "
                    f"longest loopback GC pause {result['loopback_gc_longest_ms']:.0f} ms",
                    flush=True,
                )
    rows = [["backend", "action", "n", "median ms", "p99 ms (median of runs)", "p99 min", "p99 max"]]
    for backend in wanted:
        mine = [r for r in results if r["backend"] == backend]
        for name in [*MIX, "all"]:
            per_run = [r["all"] if name == "all" else r["by_action"].get(name) for r in mine]
            present = [p for p in per_run if p]
            if not present:
                continue
            p99s = [p["p99"] for p in present]
            count = sum(r["answered"] for r in mine) if name == "all" else None
            rows.append(
                [
                    backend,
                    name,
                    str(count) if count is not None else "",
                    f"{statistics.median(p['median'] for p in present):.1f}",
                    f"{statistics.median(p99s):.1f}",
                    f"{min(p99s):.1f}",
                    f"{max(p99s):.1f}",
                ]
            )
        setups = [r["setup_s"] for r in mine]
        readies = [r["ready_s"] for r in mine]
        rows.append(
            [
                backend,
                "start-up: spawn to setup_hook's end, s",
                "",
                f"{statistics.median(setups):.2f}",
                "",
                f"{min(setups):.2f}",
                f"{max(setups):.2f}",
            ]
        )
        rows.append(
            [
                backend,
                "start-up: spawn to READY, s",
                "",
                f"{statistics.median(readies):.1f}",
                "",
                f"{min(readies):.1f}",
                f"{max(readies):.1f}",
            ]
        )
    print(
        f"machine: {machine()}; {args.runs} run(s) of {args.seconds:.0f} s at {args.rate:.0f}/s per backend; "
        "target p99 < 50 ms"
    )
    print(table(rows))
    if any(r["failed"] or r["spec_violations"] for r in results):
        print(
            "failures or spec violations:",
            [(r["backend"], r["failed"], r["spec_violations"]) for r in results],
        )
    save("commands", {"machine": machine(), "runs": results})
    if args.profile is not None:
        pstats.Stats(str(args.profile)).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
