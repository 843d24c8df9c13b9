"""No full table scan on a hot path: the statements the stores really run, explained by SQLite.

At 10,000 servers, 100,000 countdowns and 1,000,000 scheduler rows a scan costs tens of
milliseconds per command; an index search costs microseconds (bench/commands.py measures it).
"""

from __future__ import annotations

from pathlib import Path

from bot.db.episodes import EpisodeStore
from bot.db.guilds import GuildStore
from bot.db.jobs import JobStore
from bot.db.progress import ProgressStore
from bot.db.spoiler_channels import SpoilerChannelStore
from bot.db.spoiler_words import SpoilerWordStore
from bot.db.sqlite import SQLiteDatabase
from bot.episodes import EpisodeCode
from cogs.countdowns.rules import plan_jobs
from cogs.countdowns.store import CountdownStore, Follow, FollowStore, NewCountdown
from cogs.recaps.store import RecapStore
from cogs.theories.store import NewTheory, TheoryQuery, TheoryStore
from tests.bot.db.query_plans import capture, full_scans

NOW = 1_800_000_000
GUILDS = (101, 102)


async def seeded(path: Path) -> SQLiteDatabase:
    db = SQLiteDatabase(path)
    await db.open()
    await db.migrate()
    countdowns, jobs = CountdownStore(db, GuildStore(db)), JobStore(db)
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
    guilds, jobs = GuildStore(db), JobStore(db)
    countdowns = CountdownStore(db, guilds)
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


async def test_theory_and_spoiler_hot_paths_use_indexes(tmp_path: Path) -> None:
    db = await seeded(tmp_path / "plans.db")
    guilds = GuildStore(db)
    theories, recaps = TheoryStore(db, guilds), RecapStore(db, guilds)
    words, channels, progress_store = (
        SpoilerWordStore(db, guilds),
        SpoilerChannelStore(db, guilds),
        ProgressStore(db, guilds),
    )
    guild = GUILDS[0]
    s2e3 = EpisodeCode(2, 3)
    try:
        made = [
            await theories.create(
                NewTheory(
                    guild,
                    author_id=7,
                    title=f"Theory {n}",
                    body="Goats",
                    episode=EpisodeCode(2, n),
                    channel_id=5,
                ),
                now=NOW,
            )
            for n in range(1, 4)
        ]
        await recaps.create(
            guild, s2e3, author_id=7, body="Recap", channel_id=5, thread_id=None, message_ids=[9], now=NOW
        )
        async with capture(db) as seen:
            # /theory top, list, autocomplete and leaderboard, with and without watch progress
            for progress in (None, s2e3):
                for query in (TheoryQuery(progress=progress), TheoryQuery(status="open", progress=progress)):
                    await theories.page(guild, query, limit=10)
                    await theories.count(guild, query)
                await theories.suggest(guild, "1", progress)
                await theories.leaderboard(guild, progress)
            # a vote click: add, change, withdraw
            for choice in (1, -1, -1):
                await theories.vote(guild, made[0].id, 8, choice, now=NOW)
            await theories.by_number(guild, 2)
            # /recap read, progress, the title check's fresh words, the guard's channel list
            await recaps.get(guild, s2e3)
            await progress_store.get(guild, 8)
            await progress_store.set(guild, 8, s2e3)
            await words.fresh_words(guild, NOW, 7 * 86_400)
            await channels.ids(guild)
        statements = seen.checked()
        problems = full_scans(db.path, statements)
    finally:
        await db.close()
    assert len(statements) >= 15
    assert problems == {}


async def test_show_sync_hot_paths_use_indexes(tmp_path: Path) -> None:
    """What a sync round runs per server (and per show), with thousands of servers following."""
    db = await seeded(tmp_path / "plans.db")
    guilds, jobs = GuildStore(db), JobStore(db)
    countdowns, follows = CountdownStore(db, guilds), FollowStore(db, guilds)
    episodes = EpisodeStore(db, guilds)
    guild = GUILDS[0]
    for n, g in enumerate(GUILDS):
        await follows.follow(Follow(g, 44933 + n, "Severance", "Severance (2022, Apple TV+)", followed_by=1))
    try:
        async with capture(db) as seen:
            await follows.get(guild)
            await follows.unchanged(44933, NOW)
            await follows.synced(guild, NOW, changed=True)
            await follows.failed([guild], NOW, "HTTP 500")
            await follows.list_fetched_at(44933)
            await follows.save_list(44933, NOW, "[]")
            await countdowns.with_episodes(guild)
            await countdowns.without_event(guild, NOW)
            await countdowns.release_episodes(guild, [1, 2], NOW)
            await episodes.set_rows(guild, [(EpisodeCode(2, 1), "Hello, Ms. Cobel", NOW)])
            await episodes.delete_many(guild, [EpisodeCode(2, 9)])
            await jobs.latest(guild, "show", "show:", 10)
            await jobs.retire(guild, "countdown", "countdown:1:")
        statements = seen.checked()
        problems = full_scans(db.path, statements)
    finally:
        await db.close()
    assert len(statements) >= 12
    assert problems == {}
