"""No full table scan on a hot path: the statements the stores really run, explained by SQLite.

At 10,000 servers, 100,000 countdowns and 1,000,000 scheduler rows a scan costs tens of
milliseconds per command; an index search costs microseconds (bench/commands.py measures it).
"""

from __future__ import annotations

from pathlib import Path

from bot.db import Database
from bot.db.guilds import GuildStore
from bot.db.jobs import JobStore
from cogs.countdowns.rules import plan_jobs
from cogs.countdowns.store import CountdownStore, NewCountdown
from tests.query_plans import capture, full_scans

NOW = 1_800_000_000
GUILDS = (101, 102)


async def seeded(path: Path) -> Database:
    db = Database(path)
    await db.open()
    await db.migrate()
    countdowns, jobs = CountdownStore(db), JobStore(db)
    for guild in GUILDS:
        await GuildStore(db).update(guild, show_name="Severance")
        for n in range(5):
            release = NOW + (n - 1) * 86_400
            made = await countdowns.create(
                NewCountdown(
                    guild_id=guild,
                    title=f"Episode {n}",
                    release_at=release,
                    created_by=1,
                    milestones=(86_400, 0),
                ),
                NOW - 10 * 86_400,
            )
            await jobs.upsert(
                plan_jobs(guild, made.id, release, made.milestones, NOW - 10 * 86_400).jobs, NOW - 10 * 86_400
            )
    return db


async def test_the_checker_catches_a_full_scan(tmp_path: Path) -> None:
    db = await seeded(tmp_path / "plans.db")
    try:
        async with capture(db) as seen:
            await db.fetchall("SELECT * FROM countdowns WHERE title = ?", ("Episode 1",))
        problems = full_scans(db.path, seen.checked())
    finally:
        await db.close()
    assert list(problems.values()) == [["SCAN countdowns"]]


async def test_countdown_and_scheduler_hot_paths_use_indexes(tmp_path: Path) -> None:
    db = await seeded(tmp_path / "plans.db")
    countdowns, jobs, guilds = CountdownStore(db), JobStore(db), GuildStore(db)
    guild = GUILDS[0]
    try:
        async with capture(db) as seen:
            # /countdown next, list, show, autocomplete; the settings every command reads
            await countdowns.next_up(guild, NOW)
            for which in ("upcoming", "released", "all"):
                await countdowns.page(guild, NOW, which, limit=10, offset=0)
                await countdowns.count(guild, NOW, which)
            await countdowns.search(guild, "epi", NOW)
            await countdowns.get(guild, 1)
            await countdowns.by_title(guild, "Episode 1")
            await countdowns.failures(guild, [1, 2])
            await guilds.get(guild)
            # the scheduler: wake-up time, claim, finish, retry, a countdown's rows, /about's count
            await jobs.next_run_at()
            claimed, _ = await jobs.claim_due(NOW + 86_400, 50)
            await jobs.finish(claimed[0].id, "sent", NOW, result="1")
            await jobs.retry_later(claimed[1].id, NOW + 60, "503")
            await jobs.list_for(guild, "countdown", "countdown:1:")
            await jobs.count_pending(guild)
        statements = seen.checked()
        problems = full_scans(db.path, statements)
    finally:
        await db.close()
    assert len(statements) >= 15  # the capture saw the work
    assert problems == {}
