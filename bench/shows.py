"""Followed shows at scale: 10,000 servers following 500 distinct shows (20 each), 5% of the shows
changed on TVmaze since the last sync. One full background sync round is timed while members keep
using commands, and the command latency during the round is set beside the latency without one,
measured in the same run just before it.

The bot runs in its own process against the loopback Discord (Discord's real limits: 50 requests per
second, 5 messages per 5 s per channel) and the loopback TVmaze (TVmaze's 20 calls per 10 s; a 429
beyond). The database holds every server in sync with its show as of the last round: its schedule
(six seasons of ten, the sixth still to come, weekly), a countdown per upcoming episode with its
milestones and Discord event, and the episode list of each show kept from the last round. The last
round is dated so the next falls due a set time after the bot is ready; each changed show has its
season finale moved by a day, so the round moves one countdown (its milestones and its event) and
posts one notice in each of the 500 servers following a changed show.

Reported: the TVmaze calls of the round (and any 429), the round's time from its first TVmaze call
to the last notice and event change in Discord, and command latency (INTERACTION_CREATE to the bot's
answer at the loopback, /countdown next and /show status in equal parts) before and during it.

    python -m bench.shows [--runs 3] [--rate 50] [--baseline 30] [--small]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import RESULTS, loopback, machine, save, settle_heap, summary, table
from bench.scale import _rows, channel_id, guild_id, migrate_new, user_id
from bot.db.migrate import load_migrations
from bot.tvmaze import Episode, episodes_to_json
from cogs.countdowns.rules import DEFAULT_MILESTONES, EPISODE_MILESTONES, encode_milestones, plan_jobs
from tests.loopback import LoopbackDiscord
from tests.loopback.actor import Actor, Reply
from tests.loopback.process import BotProcess
from tests.loopback.state import ScheduledEvent
from tests.loopback.tvmaze import DAY, LoopbackTVmaze, airstamp, running

SERVERS = 10_000
SHOWS = 500
CHANGED_EVERY = 20  # every 20th show changed: 5%
SEASONS, EPISODES = 6, 10
SYNC_HOURS = 6
EVENT_BASE = 7 * 10**17
READY_ALLOWANCE = 150.0  # seconds: 10 shards take about 47 s to connect (Discord's identify spacing)


@dataclass(frozen=True)
class Sizes:
    servers: int = SERVERS
    shows: int = SHOWS

    ready_allowance: float = READY_ALLOWANCE  # seconds from spawn to READY, planned generously

    @classmethod
    def small(cls) -> Sizes:
        return cls(servers=400, shows=20, ready_allowance=20.0)

    def tag(self) -> str:
        return f"{self.servers}s-{self.shows}sh"


def show_id(k: int) -> int:
    return 10_000 + k


def changed(k: int) -> bool:
    return k % CHANGED_EVERY == 0


def airs(now: int, season: int, number: int) -> int:
    """Seasons a year apart; the sixth starts 40 days after the build, weekly (so a cached database
    stays valid for weeks)."""
    return now + 40 * DAY + (season - SEASONS) * 365 * DAY + (number - 1) * 7 * DAY


def episodes_of(k: int, now: int) -> list[Episode]:
    return [
        Episode(show_id(k) * 100 + s * 10 + n, s, n, "regular", f"Episode {n}", airs(now, s, n), 60)
        for s in range(1, SEASONS + 1)
        for n in range(1, EPISODES + 1)
    ]


def countdown_id(g: int, n: int) -> int:
    return g * EPISODES + n


def event_id(g: int, n: int) -> int:
    return EVENT_BASE + countdown_id(g, n)


# -- the database ------------------------------------------------------------------------------------
def build(path: Path, sizes: Sizes, now: int) -> dict[str, int]:
    """Migrate with the bot's own code, then bulk-load every server in sync with its show."""
    migrate_new(path)
    conn = sqlite3.connect(path)
    counts: dict[str, int] = {}
    lists = {k: episodes_of(k, now) for k in range(sizes.shows)}
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        with conn:
            counts["guilds"] = _rows(
                conn,
                "INSERT INTO guilds (guild_id, timezone, show_name, announce_channel_id) VALUES (?, ?, ?, ?)",
                (
                    (guild_id(g), "UTC", f"Show {g % sizes.shows}", channel_id(g))
                    for g in range(sizes.servers)
                ),
            )
            counts["followed_shows"] = _rows(
                conn,
                "INSERT INTO followed_shows (guild_id, show_id, name, label, network, followed_by, followed_at, "
                "synced_at, tried_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    (
                        guild_id(g),
                        show_id(k),
                        f"Show {k}",
                        f"Show {k} (2020, AMC)",
                        "AMC",
                        user_id(0),
                        now,
                        now,
                        now,
                    )
                    for g in range(sizes.servers)
                    for k in [g % sizes.shows]
                ),
            )
            counts["tvmaze_episode_lists"] = _rows(
                conn,
                "INSERT INTO tvmaze_episode_lists (show_id, fetched_at, episodes) VALUES (?, ?, ?)",
                ((show_id(k), now, episodes_to_json(tuple(lists[k]))) for k in range(sizes.shows)),
            )
            counts["episodes"] = _rows(
                conn,
                "INSERT INTO episodes (guild_id, season, number, title, air_at) VALUES (?, ?, ?, ?, ?)",
                (
                    (guild_id(g), e.season, e.number, e.name, e.airs_at)
                    for g in range(sizes.servers)
                    for e in lists[g % sizes.shows]
                ),
            )
            counts["countdowns"] = _rows(conn, COUNTDOWN_SQL, countdowns(sizes, now))
            counts["scheduled_jobs"] = _rows(conn, JOB_SQL, jobs(sizes, now))
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return counts


COUNTDOWN_SQL = (
    "INSERT INTO countdowns (id, guild_id, title, release_at, milestones, season, episode, event_id, "
    "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
JOB_SQL = (
    "INSERT INTO scheduled_jobs (guild_id, kind, key, series, due_at, run_at, expires_at, payload, created_at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def milestones_of(n: int) -> tuple[int, ...]:
    return DEFAULT_MILESTONES if n == 1 else EPISODE_MILESTONES


def countdowns(sizes: Sizes, now: int) -> Iterator[tuple[object, ...]]:
    for g in range(sizes.servers):
        k = g % sizes.shows
        for n in range(1, EPISODES + 1):
            yield (
                countdown_id(g, n),
                guild_id(g),
                f"Show {k} S{SEASONS}E{n}",
                airs(now, SEASONS, n),
                encode_milestones(milestones_of(n)),
                SEASONS,
                n,
                event_id(g, n) if changed(k) else None,
                user_id(0),
                now,
                now,
            )


def jobs(sizes: Sizes, now: int) -> Iterator[tuple[object, ...]]:
    for g in range(sizes.servers):
        for n in range(1, EPISODES + 1):
            for job in plan_jobs(
                guild_id(g), countdown_id(g, n), airs(now, SEASONS, n), milestones_of(n), now
            ).jobs:
                yield job.row(now)


@dataclass(frozen=True)
class Built:
    path: Path
    counts: dict[str, int]
    now: int


def cached(sizes: Sizes) -> Built:
    version = len(load_migrations())
    base = RESULTS / f"shows-v{version}-{sizes.tag()}.db"
    meta = base.with_suffix(".json")
    if not base.exists() or not meta.exists():
        RESULTS.mkdir(exist_ok=True)
        now = int(time.time())
        counts = build(base, sizes, now)
        meta.write_text(json.dumps({"counts": counts, "now": now}, indent=2) + "\n", encoding="utf-8")
    info = json.loads(meta.read_text(encoding="utf-8"))
    if airs(info["now"], SEASONS, 1) < time.time() + 7 * DAY:
        base.unlink()
        return cached(sizes)  # too old: the season still to come is about to start
    return Built(base, info["counts"], info["now"])


def due_in(path: Path, seconds: float) -> None:
    """Date the last round so that the next falls due `seconds` from now."""
    last = int(time.time() + seconds) - SYNC_HOURS * 3600
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE followed_shows SET synced_at = ?, tried_at = ?", (last, last))
        conn.execute("UPDATE tvmaze_episode_lists SET fetched_at = ?", (last - 60,))


# -- the worlds ---------------------------------------------------------------------------------------
def discord_world(lb: LoopbackDiscord, sizes: Sizes, now: int) -> list[Actor]:
    actors = []
    for g in range(sizes.servers):
        guild = lb.create_guild(f"Fans {g}", id=guild_id(g))
        channel = lb.add_channel(guild, "announcements", id=channel_id(g))
        member = lb.add_member(guild, f"fan-{g}", id=user_id(g))
        actors.append(Actor(lb, guild, member, channel))
        k = g % sizes.shows
        if not changed(k):
            continue
        for n in range(1, EPISODES + 1):
            start = airs(now, SEASONS, n)
            guild.events[event_id(g, n)] = ScheduledEvent(
                event_id(g, n),
                guild.id,
                f"Show {k} S{SEASONS}E{n}",
                airstamp(start) or "",
                airstamp(start + 3600),
                3,
                description=f"Cliffhanger countdown #{countdown_id(g, n)}. Press Notify me on its announcement.",
                location="AMC",
                creator_id=lb.bot_user.id,
            )
    return actors


def tvmaze_world(tv: LoopbackTVmaze, sizes: Sizes, now: int) -> None:
    for k in range(sizes.shows):
        sid = tv.add_show(f"Show {k}", network="AMC", premiered="2020-01-01", show_id=show_id(k))
        for e in episodes_of(k, now):
            tv.add_episode(sid, e.season, e.number, e.airs_at, name=e.name)
        tv.mark_updated(sid, at=int(time.time()) - 20 * DAY)
    for k in range(sizes.shows):
        if changed(k):  # the season finale moves a day later
            tv.set_airstamp(show_id(k), SEASONS, EPISODES, airs(now, SEASONS, EPISODES) + DAY)


# -- the load -------------------------------------------------------------------------------------------
@dataclass
class Load:
    actors: list[Actor]
    rate: float
    rng: random.Random = field(default_factory=lambda: random.Random(13))
    samples: list[tuple[float, float]] = field(default_factory=list)  # (created, latency ms)
    failed: int = 0
    refused: int = 0
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    async def one(self) -> None:
        actor = self.rng.choice(self.actors)
        path = self.rng.choice(["countdown next", "show status"])
        reply: Reply = await actor.slash(path, allow_expired=True)
        inter = reply.interaction
        if inter.answered_at is None or inter.expired:
            self.failed += 1
            return
        if "\N{CROSS MARK}" in reply.content:
            self.refused += 1
        self.samples.append((inter.created, (inter.answered_at - inter.created) * 1000))

    async def run_until(self, done: asyncio.Event | float) -> None:
        """Send at `rate` per second, open loop, until `done` is set (or that monotonic time)."""
        start = time.monotonic()
        n = 0
        while True:
            if isinstance(done, float) and time.monotonic() >= done:
                break
            if isinstance(done, asyncio.Event) and done.is_set():
                break
            delay = start + n / self.rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            self._tasks.append(asyncio.create_task(self.one()))
            n += 1

    async def drain(self) -> None:
        await asyncio.gather(*self._tasks)


async def watch_round(lb: LoopbackDiscord, tv: LoopbackTVmaze, moves: int, done: asyncio.Event) -> float:
    """Wait until every changed server has its notice posted and its event moved; the monotonic time
    of the last of them."""
    while True:
        posted = len(lb.requests_to("POST", r"/channels/\d+/messages$"))
        edited = len(lb.requests_to("PATCH", r"/guilds/\d+/scheduled-events/\d+$"))
        if posted >= moves and edited >= moves:
            done.set()
            return time.monotonic()
        await asyncio.sleep(0.05)


async def run_once(
    sizes: Sizes, built: Built, rate: float, baseline: float, profile: Path | None = None
) -> dict[str, Any]:
    moves = sum(1 for g in range(sizes.servers) if changed(g % sizes.shows))
    tv = LoopbackTVmaze()
    async with loopback(realistic=True) as lb, running(tv):
        actors = discord_world(lb, sizes, built.now)
        tvmaze_world(tv, sizes, built.now)
        tv.forget_calls()
        with tempfile.TemporaryDirectory() as folder:
            database = Path(folder) / "shows.db"
            shutil.copyfile(built.path, database)
            due_in(database, sizes.ready_allowance + baseline)
            round_due = time.monotonic() + sizes.ready_allowance + baseline
            settle_heap()
            async with BotProcess(
                lb.port,
                database,
                log_path=Path(folder) / "bot.log",
                log_level="WARNING",
                tvmaze_url=tv.url,
                profile=profile,
            ) as bot:
                await bot.start(timeout=sizes.ready_allowance)
                load = Load(actors, rate)
                await load.run_until(time.monotonic() + 2)  # warm-up: first-use imports, caches
                await load.drain()
                load.samples.clear()
                ready_at = time.monotonic()
                done = asyncio.Event()
                watcher = asyncio.create_task(watch_round(lb, tv, moves, done))
                await load.run_until(done)
                ended = await watcher
                await load.drain()
                await bot.stop()
                log = bot.log_text()
    started = tv.arrivals[0] if tv.arrivals else round_due
    before = [ms for at, ms in load.samples if at < started]
    during = [ms for at, ms in load.samples if started <= at <= ended]
    return {
        "tvmaze_calls": tv.count(),
        "tvmaze_429": tv.throttled,
        "calls": [path for path, _ in tv.calls][:3],
        "round_s": ended - started,
        "baseline_s": started - ready_at,
        "notices": moves,
        "before": summary(before) if before else None,
        "during": summary(during) if during else None,
        "answered": len(load.samples),
        "failed": load.failed,
        "refused": load.refused,
        "violations": list(lb.violations)[:5],
        "errors_in_log": [line for line in log.splitlines() if "ERROR" in line][:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rate", type=float, default=50.0, help="commands per second (default 50)")
    parser.add_argument("--baseline", type=float, default=30.0, help="seconds of load before the round")
    parser.add_argument("--small", action="store_true", help="400 servers and 20 shows, for a quick look")
    parser.add_argument("--profile", type=Path, help="run the bot under cProfile; write the stats here")
    args = parser.parse_args()
    sizes = Sizes.small() if args.small else Sizes()
    built = cached(sizes)
    results = []
    for n in range(args.runs):
        result = asyncio.run(run_once(sizes, built, args.rate, args.baseline, args.profile))
        results.append(result)
        print(
            f"run {n + 1}: {result['tvmaze_calls']} TVmaze calls ({result['tvmaze_429']} 429s), round "
            f"{result['round_s']:.1f} s for {result['notices']} servers; p99 before "
            f"{(result['before'] or {}).get('p99', float('nan')):.1f} ms, during "
            f"{(result['during'] or {}).get('p99', float('nan')):.1f} ms; {result['failed']} failed"
        )
    save("shows", {"sizes": sizes.tag(), "rate": args.rate, "runs": results})

    def med(key: str, stat: str) -> str:
        values = [r[key][stat] for r in results if r[key]]
        return f"{statistics.median(values):.1f} [{min(values):.1f}-{max(values):.1f}]" if values else "-"

    ratios = [r["during"]["p99"] / r["before"]["p99"] for r in results if r["before"] and r["during"]]
    rows = [
        ["", "result (median [min-max] of runs)"],
        ["TVmaze calls in the round", str(statistics.median(r["tvmaze_calls"] for r in results))],
        ["TVmaze 429s", str(sum(r["tvmaze_429"] for r in results))],
        [
            "full round, first TVmaze call to last notice/event",
            f"{statistics.median(r['round_s'] for r in results):.1f} s",
        ],
        ["command median before / during", f"{med('before', 'median')} / {med('during', 'median')} ms"],
        ["command p99 before / during", f"{med('before', 'p99')} / {med('during', 'p99')} ms"],
        ["p99 during / before, same run", f"x{statistics.median(ratios):.2f}" if ratios else "-"],
        [
            "commands answered / failed",
            f"{sum(r['answered'] for r in results)} / {sum(r['failed'] for r in results)}",
        ],
    ]
    print(
        f"machine: {machine()}; {sizes.servers:,} servers following {sizes.shows} shows, 5% changed; {args.runs} run(s)"
    )
    print(table(rows))
    problems = [
        (r["violations"], r["errors_in_log"], r["refused"])
        for r in results
        if r["violations"] or r["errors_in_log"] or r["refused"]
    ]
    if problems:
        print("problems:", problems)


if __name__ == "__main__":
    main()
