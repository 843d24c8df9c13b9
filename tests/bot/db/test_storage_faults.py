"""Storage fault drills: a locked, read-only or full database gives a clear error and writes nothing."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.db import DatabaseError, StorageFull
from bot.db.episodes import EpisodeStore
from bot.db.guilds import GuildStore
from bot.db.postgres import PostgresDatabase
from bot.db.sqlite import SQLiteDatabase
from bot.episodes import EpisodeCode
from bot.errors import storage_problem
from tests.harness import Harness


@contextmanager
def locked_by_another_connection(path: Path) -> Iterator[None]:
    """Another program holds the write lock (BEGIN EXCLUSIVE) until the block ends."""
    ready, release = threading.Event(), threading.Event()

    def hold() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        ready.set()
        release.wait(30)
        conn.rollback()
        conn.close()

    thread = threading.Thread(target=hold)
    thread.start()
    ready.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join()


@pytest.mark.only_sqlite(reason="another program holding the file's write lock is SQLite's failure")
async def test_a_locked_database_is_reported_and_nothing_changes(harness: Harness) -> None:
    await harness.db.execute("PRAGMA busy_timeout = 200")
    with locked_by_another_connection(harness.settings.database_path):
        reply = await harness.owner.slash("config timezone", zone="Europe/Paris")
    assert reply.ephemeral
    assert reply.content.startswith(
        "\N{WARNING SIGN} I couldn't save that: the database is locked by another program. Nothing was changed"
    )
    assert "incident `" in reply.content
    assert (await harness.bot.guild_store.get(harness.guild.id)).timezone == "UTC"
    retry = await harness.owner.slash("config timezone", zone="Europe/Paris")
    assert "Timezone set to **Europe/Paris**" in retry.content


@pytest.mark.only_sqlite(reason="PRAGMA query_only is SQLite's")
async def test_a_read_only_database_is_reported(harness: Harness) -> None:
    await harness.db.execute("PRAGMA query_only = ON")
    reply = await harness.owner.slash("config show-name", name="Severance")
    assert reply.content.startswith("\N{WARNING SIGN} I couldn't save that: the database is read-only.")
    await harness.db.execute("PRAGMA query_only = OFF")
    assert (await harness.bot.guild_store.get(harness.guild.id)).show_name is None


async def test_a_full_disk_leaves_no_half_written_rows(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "full.db")
    await db.open()
    await db.migrate()
    try:
        pages = await db.fetchval("PRAGMA page_count")
        await db.execute(f"PRAGMA max_page_count = {pages + 2}")
        store = EpisodeStore(db, GuildStore(db))
        episodes = [(EpisodeCode(1, n), "a long episode title " * 20, n) for n in range(1, 500)]
        with pytest.raises(StorageFull) as info:
            await store.upsert(7, episodes)
        assert storage_problem(info.value) == "the server's disk is full"
        assert await db.fetchval("SELECT count(*) FROM episodes") == 0
        assert (
            await db.fetchval("SELECT count(*) FROM guilds") == 0
        )  # the guild row was in the same transaction
    finally:
        await db.close()


async def test_a_database_locked_at_start_up_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "busy.db"
    sqlite3.connect(path).close()
    with locked_by_another_connection(path):
        db = SQLiteDatabase(path, busy_timeout_ms=100)
        with pytest.raises(DatabaseError, match=r"busy\.db' is locked by another process"):
            await db.open()  # switching a new file to WAL needs the lock
        assert not db.is_open


@pytest.mark.only_postgresql(
    reason="a read-only PostgreSQL database; SQLite's read-only file is tested above"
)
async def test_a_read_only_postgresql_database_is_reported_in_the_same_words(harness: Harness) -> None:
    db = harness.bot.db
    assert isinstance(db, PostgresDatabase)
    name = await db.fetchval("SELECT current_database()")
    await db.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
    await db.pool.expire_connections()  # new connections get the setting
    reply = await harness.owner.slash("config show-name", name="Severance")
    assert reply.content.startswith("\N{WARNING SIGN} I couldn't save that: the database is read-only.")
    async with db.transaction() as conn:
        await conn.execute("SET TRANSACTION READ WRITE")
        await conn.execute(f'ALTER DATABASE "{name}" RESET default_transaction_read_only')
    await db.pool.expire_connections()
    assert (await harness.bot.guild_store.get(harness.guild.id)).show_name is None
