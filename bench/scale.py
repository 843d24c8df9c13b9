"""A database at the scale the issue sets: 10,000 servers, 100,000 countdowns with 1,000,000 pending
scheduler rows, and each feature's rows (theories, votes, recaps) when that feature's tables exist.

The schema comes from the real migrations; rows are bulk-inserted with the standard library's
sqlite3 (the bot's own write path would take minutes for a million rows and is measured elsewhere).
The built file is cached under bench/results/ by schema version and sizes, and copied for each run,
because a run writes to it.

    python -m bench.scale            # build (or reuse) and print the row counts
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.common import RESULTS
from bot.db.migrate import load_migrations
from bot.db.sqlite import SQLiteDatabase
from tests.postgres import Cluster

GUILD_BASE = 10**17  # snowflake-sized ids, like Discord's
USER_BASE = 2 * 10**17
CHANNEL_BASE = 3 * 10**17
THREAD_BASE = 4 * 10**17
MESSAGE_BASE = 5 * 10**17
THEORY_CHANNEL_BASE = 6 * 10**17
DAY = 86_400
MILESTONES = (30, 21, 14, 10, 7, 5, 3, 2, 1, 0)  # days before release: ten rows per countdown


@dataclass(frozen=True)
class Scale:
    servers: int = 10_000
    countdowns: int = 100_000
    theories: int = 100_000
    votes: int = 1_000_000
    recaps: int = 20_000
    members: int = 200  # voters per server

    @classmethod
    def small(cls) -> Scale:
        return cls(servers=200, countdowns=2_000, theories=2_000, votes=20_000, recaps=400)

    def tag(self) -> str:
        return f"{self.servers}s-{self.countdowns}c-{self.theories}t-{self.votes}v-{self.recaps}r"


def guild_id(n: int) -> int:
    # One millisecond of snowflake time apart, as real guilds are spread out: Discord shards by
    # (guild_id >> 22) % shards, and consecutive integers would all land on one shard (4011).
    return GUILD_BASE + (n << 22)


def user_id(n: int) -> int:
    return USER_BASE + n


def channel_id(n: int) -> int:
    return CHANNEL_BASE + n


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}


def _rows(conn: sqlite3.Connection, sql: str, rows: Iterator[tuple[object, ...]], chunk: int = 50_000) -> int:
    total = 0
    batch: list[tuple[object, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            conn.executemany(sql, batch)
            total += len(batch)
            batch.clear()
    if batch:
        conn.executemany(sql, batch)
        total += len(batch)
    return total


def seed_core(conn: sqlite3.Connection, scale: Scale, now: int) -> dict[str, int]:
    """Servers, their ten-episode season 3, countdowns and ten pending milestones each."""
    counts: dict[str, int] = {}
    counts["guilds"] = _rows(
        conn,
        "INSERT INTO guilds (guild_id, timezone, show_name, announce_channel_id) VALUES (?, ?, ?, ?)",
        ((guild_id(g), "America/New_York", "Severance", channel_id(g)) for g in range(scale.servers)),
    )
    counts["episodes"] = _rows(
        conn,
        "INSERT INTO episodes (guild_id, season, number, title, air_at) VALUES (?, ?, ?, ?, ?)",
        (
            (guild_id(g), season, e, f"Episode {e}", now + (season - 2) * 365 * DAY + e * 7 * DAY)
            for g in range(scale.servers)
            for season in (1, 2, 3)
            for e in range(1, 11)
        ),
    )
    milestones = ",".join(str(d * DAY) for d in MILESTONES)

    def countdowns() -> Iterator[tuple[object, ...]]:
        for n in range(scale.countdowns):
            g = n % scale.servers
            release = now + 40 * DAY + n * 37  # spread over the coming weeks
            episode = n // scale.servers + 1
            code = (3, episode) if episode <= 10 else (None, None)
            yield (
                n + 1,
                guild_id(g),
                f"Season 3 episode {episode}",
                release,
                milestones,
                *code,
                user_id(0),
                now,
                now,
            )

    counts["countdowns"] = _rows(
        conn,
        "INSERT INTO countdowns (id, guild_id, title, release_at, milestones, season, episode, "
        "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        countdowns(),
    )

    def jobs() -> Iterator[tuple[object, ...]]:
        for n in range(scale.countdowns):
            g = n % scale.servers
            release = now + 40 * DAY + n * 37
            for days in MILESTONES:
                offset = days * DAY
                due = release - offset
                expires = release + DAY if offset == 0 else release
                payload = json.dumps({"offset": offset}, separators=(",", ":"))
                yield (
                    guild_id(g),
                    "countdown",
                    f"countdown:{n + 1}:{offset}",
                    f"countdown:{n + 1}",
                    due,
                    due,
                    expires,
                    payload,
                    now,
                )

    counts["scheduled_jobs"] = _rows(
        conn,
        "INSERT INTO scheduled_jobs (guild_id, kind, key, series, due_at, run_at, expires_at, payload, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        jobs(),
    )
    return counts


def theory_thread_id(n: int) -> int:
    return THREAD_BASE + n


def theory_message_id(n: int) -> int:
    return MESSAGE_BASE + n


def theory_channel_id(g: int) -> int:
    return THEORY_CHANNEL_BASE + g


def theories_per_guild(scale: Scale) -> int:
    return max(1, scale.theories // scale.servers)


def theory_row_id(g: int, k: int, scale: Scale) -> int:
    """The id of server g's k-th theory (both from 0)."""
    return g * theories_per_guild(scale) + k + 1


def seed_theories(conn: sqlite3.Connection, scale: Scale, now: int) -> dict[str, int]:
    """Theories spread evenly over the servers (a tenth resolved), each with its votes; the
    vote counts on each theory row agree with its vote rows, as the bot keeps them."""
    if "theories" not in _tables(conn):
        return {}
    per = theories_per_guild(scale)
    votes_per = max(1, scale.votes // (per * scale.servers))
    counts: dict[str, int] = {}
    counts["theory_settings"] = _rows(
        conn,
        "INSERT INTO theory_settings (guild_id, channel_id, is_forum, updated_at) VALUES (?, ?, 0, ?)",
        ((guild_id(g), theory_channel_id(g), now) for g in range(scale.servers)),
    )

    def choice(theory: int, voter: int) -> int:
        return 1 if (theory * 7 + voter * 3) % 5 < 3 else -1

    def theories() -> Iterator[tuple[object, ...]]:
        for g in range(scale.servers):
            for k in range(per):
                tid = theory_row_id(g, k, scale)
                plausible = sum(1 for v in range(votes_per) if choice(tid, v) == 1)
                status = ("confirmed", "debunked")[k % 2] if k % 10 == 9 else "open"
                resolved = (2, 10) if status != "open" else (None, None)
                yield (
                    tid,
                    guild_id(g),
                    k + 1,
                    user_id(50_000 + k),
                    f"Theory {k + 1}: the goats mean something",
                    "Long text " * 40,
                    2,
                    k % 10 + 1,
                    theory_channel_id(g),
                    theory_thread_id(tid),
                    theory_message_id(tid),
                    status,
                    plausible,
                    votes_per - plausible,
                    *resolved,
                    user_id(0) if status != "open" else None,
                    now if status != "open" else None,
                    now,
                )

    counts["theories"] = _rows(
        conn,
        "INSERT INTO theories (id, guild_id, number, author_id, title, body, season, episode, channel_id, "
        "thread_id, message_id, status, plausible, doubtful, resolved_season, resolved_episode, "
        "resolved_by, resolved_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        theories(),
    )
    counts["theory_votes"] = _rows(
        conn,
        "INSERT INTO theory_votes (theory_id, user_id, choice, voted_at) VALUES (?, ?, ?, ?)",
        (
            (tid, user_id(10_000 + v), choice(tid, v), now)
            for tid in range(1, per * scale.servers + 1)
            for v in range(votes_per)
        ),
    )
    return counts


def seed_spoilers(conn: sqlite3.Connection, scale: Scale, now: int) -> dict[str, int]:
    """Recaps for the first episodes of season 2 in every server, posted as two messages each, and
    the watch progress of one member per server (the benchmark's actor: user_id(g))."""
    if "recaps" not in _tables(conn):
        return {}
    per = max(1, scale.recaps // scale.servers)
    counts: dict[str, int] = {}
    counts["recaps"] = _rows(
        conn,
        "INSERT INTO recaps (id, guild_id, season, number, author_id, body, channel_id, created_at, updated_at) "
        "VALUES (?, ?, 2, ?, ?, ?, ?, ?, ?)",
        (
            (
                g * per + e,
                guild_id(g),
                e,
                user_id(0),
                "What happened: " + "a lot. " * 300,
                channel_id(g),
                now,
                now,
            )
            for g in range(scale.servers)
            for e in range(1, per + 1)
        ),
    )
    counts["recap_messages"] = _rows(
        conn,
        "INSERT INTO recap_messages (recap_id, position, message_id) VALUES (?, ?, ?)",
        (
            (g * per + e, pos, MESSAGE_BASE // 2 + (g * per + e) * 2 + pos)
            for g in range(scale.servers)
            for e in range(1, per + 1)
            for pos in (0, 1)
        ),
    )
    counts["watch_progress"] = _rows(
        conn,
        "INSERT INTO watch_progress (guild_id, user_id, season, number, updated_at) VALUES (?, ?, 2, ?, ?)",
        ((guild_id(g), user_id(g), 1 + g % 10, now) for g in range(scale.servers)),
    )
    return counts


SEEDERS: list[Callable[[sqlite3.Connection, Scale, int], dict[str, int]]] = [
    seed_core,
    seed_theories,
    seed_spoilers,
]


def migrate_new(path: Path) -> None:
    """A new database at `path` with every migration applied by the bot's own code (the schema the
    bulk loads write into)."""
    path.unlink(missing_ok=True)

    async def migrate() -> None:
        db = SQLiteDatabase(path)
        await db.open()
        try:
            await db.migrate()
        finally:
            await db.close()

    # In a thread of its own: the benchmarks call this from inside their event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, migrate()).result()


def build(path: Path, scale: Scale, now: int) -> dict[str, int]:
    """Migrate a new database at `path` with the bot's own code, then bulk-load every section."""
    migrate_new(path)
    conn = sqlite3.connect(path)
    counts: dict[str, int] = {}
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        with conn:
            for seeder in SEEDERS:
                counts.update(seeder(conn, scale, now))
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return counts


@dataclass(frozen=True)
class Built:
    path: Path
    counts: dict[str, int]
    now: int  # the "now" the rows were planned from


def cached(scale: Scale, *, fresh: bool = False) -> Built:
    """The scale database for this schema, built once and reused (its rows are planned from the
    time of the build, with every release at least 40 days later, so nothing is due for weeks)."""
    version = len(load_migrations())
    base = RESULTS / f"scale-v{version}-{scale.tag()}-ids2.db"  # ids2: guild ids spread over shards
    meta = base.with_suffix(".json")
    if fresh or not base.exists() or not meta.exists():
        RESULTS.mkdir(exist_ok=True)
        started = time.monotonic()
        counts = build(base, scale, int(time.time()))
        info = {"counts": counts, "now": int(time.time()), "build_s": time.monotonic() - started}
        meta.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    info = json.loads(meta.read_text(encoding="utf-8"))
    return Built(base, info["counts"], info["now"])


def copy_to(built: Built, folder: Path) -> Path:
    """A private copy of the cached database for one run."""
    target = folder / "scale.db"
    shutil.copyfile(built.path, target)
    return target


async def copy_to_postgres(built: Built, cluster: Cluster) -> str:
    """A private PostgreSQL copy of the cached database for one run. The first call moves the SQLite
    file over with the bot's own `copy-to-postgres` code (migrate, copy, compare counts) into a
    template database; later calls clone the template, which takes seconds."""
    from bot.db.copy import copy_to_postgres as copy_rows
    from bot.db.postgres import PostgresDatabase

    template = f"scale_{built.path.stem.replace('-', '_')}"
    admin = await cluster.admin()
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", template)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{template}"')
            target = PostgresDatabase(cluster.url(template), pool_size=2)
            await target.open()
            try:
                await target.migrate()
                await copy_rows(built.path, target)
                await target.execute("ANALYZE")
            finally:
                await target.close()
        name = f"{template}_{time.monotonic_ns()}"
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    finally:
        await admin.close()
    return cluster.url(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--small", action="store_true", help="a fiftieth of the sizes, for a quick look")
    parser.add_argument("--fresh", action="store_true", help="rebuild even if a cached copy exists")
    args = parser.parse_args()
    scale = Scale.small() if args.small else Scale()
    built = cached(scale, fresh=args.fresh)
    print(json.dumps({"path": str(built.path), "scale": asdict(scale), "counts": built.counts}, indent=2))


if __name__ == "__main__":
    main()
