"""Theory queries at scale: 100,000 theories (60,000 in one server) and 1,000,000 votes.

Run with `.venv/bin/python -m bench.theories [path]`. Prints the median time of /theory top (a page
and its count, with and without a status filter or watch progress), a vote click and the leaderboard,
and the query plan of /theory top, which must use the theories_votes index without a sort.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from bot.db import Database
from bot.db.guilds import GuildStore
from bot.db.sqlite import SQLiteDatabase
from bot.episodes import EpisodeCode
from cogs.theories.rules import DOUBTFUL, PLAUSIBLE
from cogs.theories.store import ORDER, TheoryQuery, TheoryStore, _where

THEORIES = 100_000
BIG_GUILD_SHARE = 60_000
VOTES = 1_000_000


async def timed(label: str, runs: int, call: Callable[[], Awaitable[object]]) -> None:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await call()
        samples.append((time.perf_counter() - start) * 1000)
    print(f"{label:<48} median {statistics.median(samples):7.2f} ms  max {max(samples):7.2f} ms")


async def fill(db: Database, rnd: random.Random) -> None:
    guilds = GuildStore(db)
    for guild in range(1, 11):
        await guilds.ensure(guild)
    rows = []
    numbers = dict.fromkeys(range(1, 11), 0)
    for i in range(THEORIES):
        guild = 1 if i < BIG_GUILD_SHARE else rnd.randint(2, 10)
        numbers[guild] += 1
        status = rnd.choice(["open"] * 8 + ["confirmed", "debunked"])
        resolved = (None, None) if status == "open" else (3, 10)
        rows.append(
            (i + 1, guild, numbers[guild], rnd.randint(1, 5000), f"title {i}", "body", rnd.randint(1, 3),
             rnd.randint(1, 10), 5, status, *resolved, 0)
        )  # fmt: skip
    votes: dict[tuple[int, int], int] = {}
    while len(votes) < VOTES:
        votes[(rnd.randint(1, THEORIES), rnd.randint(1, 10**7))] = rnd.choice(
            [PLAUSIBLE, PLAUSIBLE, DOUBTFUL]
        )
    async with db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO theories (id, guild_id, number, author_id, title, body, season, episode, channel_id, "
            "status, resolved_season, resolved_episode, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        await conn.executemany(
            "INSERT INTO theory_votes (theory_id, user_id, choice, voted_at) VALUES (?, ?, ?, 0)",
            [(t, u, c) for (t, u), c in votes.items()],
        )
        await conn.execute(
            "UPDATE theories SET "
            "plausible = (SELECT count(*) FROM theory_votes v WHERE v.theory_id = theories.id AND choice = 1), "
            "doubtful = (SELECT count(*) FROM theory_votes v WHERE v.theory_id = theories.id AND choice = -1)"
        )
    await db.execute("ANALYZE")


async def main(path: Path) -> None:
    db = SQLiteDatabase(path)
    await db.open()
    await db.migrate()
    rnd = random.Random(5)
    print(f"filling {path} with {THEORIES:,} theories and {VOTES:,} votes...")
    await fill(db, rnd)
    store = TheoryStore(db, GuildStore(db))
    for label, query in [
        ("top", TheoryQuery()),
        ("top status:open", TheoryQuery(status="open")),
        ("top, member at S2E5", TheoryQuery(progress=EpisodeCode(2, 5))),
        ("list (newest first)", TheoryQuery(sort="date")),
    ]:
        await timed(f"{label}: page", 50, lambda q=query: store.page(1, q, limit=10))  # type: ignore[misc]
        await timed(f"{label}: count", 20, lambda q=query: store.count(1, q))  # type: ignore[misc]
    voter = iter(range(10**8, 10**9))
    await timed(
        "vote click (BEGIN IMMEDIATE)",
        2000,
        lambda: store.vote(1, rnd.randint(1, THEORIES), next(voter), PLAUSIBLE, now=0),
    )
    await timed("leaderboard (60,000 theories)", 20, lambda: store.leaderboard(1, None))
    where, params = _where(1, TheoryQuery())
    plan = await db.fetchall(
        f"EXPLAIN QUERY PLAN SELECT * FROM theories WHERE {where} ORDER BY {ORDER['votes']} LIMIT 10", params
    )
    print("top's plan:", "; ".join(str(row[-1]) for row in plan))
    await db.close()


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "theories-bench.db"
    asyncio.run(main(target))
