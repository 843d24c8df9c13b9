"""`main.py copy-to-postgres URL`: an SQLite database moved into an empty PostgreSQL one, row for
row, with the counts checked; a non-empty target is refused and left as it was."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

import main
from bot.config import Settings
from bot.db import Database
from bot.db.discussions import DiscussionStore
from bot.db.guilds import GuildStore
from bot.db.jobs import JobStore, NewJob
from bot.db.postgres import PostgresDatabase
from bot.db.role_refusals import RoleRefusalStore
from bot.episodes import EpisodeCode
from cogs.countdowns.store import CountdownStore, NewCountdown
from cogs.theories.store import NewTheory, TheoryStore
from tests.loopback import BOT_TOKEN
from tests.postgres import Cluster
from tests.support import migrated

GUILD = 1_329_876_543_210_987_654  # a real-sized snowflake: 64 bits on both sides
NOW = 1_760_000_000


async def fill(db: Database) -> None:
    guilds = GuildStore(db)
    await guilds.update(GUILD, timezone="Europe/Paris", show_name="Severance", spoiler_guard=True)
    countdown = await CountdownStore(db, guilds).create(
        NewCountdown(GUILD, "Season 3 premiere", NOW + 3600, created_by=7, milestones=(3600, 0)), NOW
    )
    await JobStore(db).upsert(
        [NewJob(GUILD, "countdown", f"countdown:{countdown.id}:{o}", NOW + 3600 - o) for o in (3600, 0)], NOW
    )
    theories = TheoryStore(db, guilds)
    theory = await theories.create(NewTheory(GUILD, 7, "Kier lives", "body", EpisodeCode(2, 1), 99), now=NOW)
    for user in range(10, 15):
        await theories.vote(GUILD, theory.id, user, 1, now=NOW)
    await RoleRefusalStore(db, guilds).note(GUILD, 42, "it can ban members", NOW)
    await DiscussionStore(db, guilds).attempting(GUILD, EpisodeCode(2, 1), 55, NOW)


@pytest.fixture
async def target(postgres_cluster: Cluster) -> AsyncIterator[str]:
    url = await postgres_cluster.create_database("copy")
    yield url
    await postgres_cluster.drop_database(url)


async def test_a_copy_moves_every_row_and_the_bot_carries_on_there(tmp_path: Path, target: str) -> None:
    source = tmp_path / "cliffhanger.db"
    async with migrated(source) as db:
        await fill(db)
    settings = Settings(discord_token=BOT_TOKEN, database_path=source)

    line = await main.copy_to_postgres(settings, target)

    async with migrated(target) as pg:
        tables = await pg.fetchval(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_name <> 'schema_version'"  # the target's own migrations
        )
        assert line.startswith(f"copied 12 rows in {tables} tables from {source} to postgresql://postgres@")
        assert "every table's row count matches" in line
        assert isinstance(pg, PostgresDatabase)
        assert [r.role_id for r in await RoleRefusalStore(pg, GuildStore(pg)).all(GUILD)] == [42]
        discussion = await DiscussionStore(pg, GuildStore(pg)).get(GUILD, EpisodeCode(2, 1))
        assert discussion is not None and (discussion.channel_id, discussion.attempted_at) == (55, NOW)
        settings_row = await GuildStore(pg).get(GUILD)
        assert (settings_row.timezone, settings_row.show_name, settings_row.spoiler_guard) == (
            "Europe/Paris",
            "Severance",
            True,
        )
        theories = TheoryStore(pg, GuildStore(pg))
        theory = await theories.by_number(GUILD, 1)
        assert theory is not None and theory.plausible == 5
        assert await theories.counted_votes(theory.id) == (5, 0)
        assert await JobStore(pg).count_pending(GUILD) == 2
        # New rows continue after the copied ids instead of colliding with them.
        copied = await CountdownStore(pg, GuildStore(pg)).page(GUILD, NOW, "all", limit=5, offset=0)
        later = await CountdownStore(pg, GuildStore(pg)).create(
            NewCountdown(GUILD, "Finale", NOW + 7200, created_by=7), NOW
        )
        assert later.id > copied[0].id
        second = await theories.create(NewTheory(GUILD, 8, "Another", "b", EpisodeCode(2, 2), 99), now=NOW)
        assert second.id > theory.id and second.number == 2


async def test_a_target_that_holds_rows_is_refused_and_kept(tmp_path: Path, target: str) -> None:
    source = tmp_path / "cliffhanger.db"
    async with migrated(source) as db:
        await fill(db)
    async with migrated(target) as pg:
        await GuildStore(pg).update(42, show_name="Already here")
    settings = Settings(discord_token=BOT_TOKEN, database_path=source)

    with pytest.raises(
        main.Fatal, match=r"^copy-to-postgres: the PostgreSQL database .* is not empty \(guilds hold rows\)"
    ):
        await main.copy_to_postgres(settings, target)

    async with migrated(target) as pg:
        assert await pg.fetchval("SELECT count(*) FROM guilds") == 1
        assert await pg.fetchval("SELECT count(*) FROM theories") == 0


async def test_copy_needs_a_postgresql_url_and_an_existing_file(tmp_path: Path) -> None:
    settings = Settings(discord_token=BOT_TOKEN, database_path=tmp_path / "missing.db")
    with pytest.raises(
        main.Fatal, match=r"is not a PostgreSQL address: for example python main.py copy-to-postgres"
    ):
        await main.copy_to_postgres(settings, "mysql://root@localhost/x")
    with pytest.raises(main.Fatal, match=r"missing\.db does not exist, so there is nothing to copy"):
        await main.copy_to_postgres(settings, "postgresql://localhost/x")
