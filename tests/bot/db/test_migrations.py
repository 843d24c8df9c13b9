"""Numbered migrations: a fresh database, an upgraded one, and a failing step that leaves nothing behind."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.db import Database, DatabaseError, Migration, load_migrations
from bot.db.guilds import GuildStore


async def open_db(path: Path) -> Database:
    db = Database(path)
    await db.open()
    return db


def write(folder: Path, name: str, sql: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(sql)


async def test_fresh_database_gets_every_migration_and_the_pragmas(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "fresh.db")
    try:
        applied = await db.migrate()
        shipped = load_migrations()
        assert applied == [m.version for m in shipped]
        assert await db.schema_version() == shipped[-1].version
        assert await db.fetchval("PRAGMA journal_mode") == "wal"
        assert await db.fetchval("PRAGMA foreign_keys") == 1
        assert await db.fetchval("PRAGMA synchronous") == 1  # NORMAL
        assert await db.fetchval("PRAGMA busy_timeout") == 5000
        assert await db.migrate() == []  # idempotent
    finally:
        await db.close()


async def test_upgrade_applies_only_new_migrations_and_keeps_data(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write(folder, "0001_init.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);")
    db = await open_db(tmp_path / "up.db")
    try:
        assert await db.migrate(load_migrations(folder)) == [1]
        await db.execute("INSERT INTO notes (body) VALUES ('kept')")
        write(
            folder,
            "0002_more.sql",
            "ALTER TABLE notes ADD COLUMN season INTEGER;\nCREATE INDEX notes_season ON notes (season);",
        )
        assert await db.migrate(load_migrations(folder)) == [2]
        assert await db.fetchval("SELECT body FROM notes") == "kept"
        assert await db.schema_version() == 2
    finally:
        await db.close()


async def test_a_failing_migration_rolls_back_completely(tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    write(folder, "0001_init.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);")
    write(
        folder,
        "0002_broken.sql",
        "CREATE TABLE b (id INTEGER PRIMARY KEY);\nINSERT INTO missing_table VALUES (1);",
    )
    db = await open_db(tmp_path / "broken.db")
    try:
        with pytest.raises(sqlite3.OperationalError):
            await db.migrate(load_migrations(folder))
        assert await db.schema_version() == 1
        assert await db.fetchval("SELECT count(*) FROM sqlite_schema WHERE name = 'b'") == 0
    finally:
        await db.close()


def test_statement_splitting_keeps_triggers_whole() -> None:
    migration = Migration(
        1,
        "t",
        """
        -- a comment
        CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);
        CREATE TRIGGER t_guard BEFORE UPDATE ON t BEGIN
            SELECT RAISE(ABORT, 'no; really');
        END;
        INSERT INTO t (n) VALUES (1);
        """,
    )
    statements = migration.statements()
    assert len(statements) == 3
    assert statements[1].startswith("CREATE TRIGGER") and statements[1].endswith("END;")


def test_migration_files_must_be_numbered_without_gaps(tmp_path: Path) -> None:
    write(tmp_path, "0001_a.sql", "SELECT 1;")
    write(tmp_path, "0003_c.sql", "SELECT 1;")
    with pytest.raises(ValueError, match="expected 0002"):
        load_migrations(tmp_path)
    write(tmp_path / "bad", "1_a.sql", "SELECT 1;")
    with pytest.raises(ValueError, match=r"not named NNNN_name\.sql"):
        load_migrations(tmp_path / "bad")


async def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "new.db")
    try:
        await db.migrate()
        await db.execute("INSERT INTO schema_version VALUES (999, 'future', 0)")
        with pytest.raises(
            DatabaseError, match=r"new\.db' is at schema version 999, newer than this code \(\d+\)"
        ):
            await db.migrate()
        assert await db.schema_version() == 999
    finally:
        await db.close()


async def test_a_corrupt_file_is_reported_by_name_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    garbage = b"this is not an sqlite database" * 100
    path.write_bytes(garbage)
    with pytest.raises(DatabaseError, match=r"corrupt\.db' is corrupt or not an SQLite database"):
        await open_db(path)
    assert path.read_bytes() == garbage


async def test_deleting_a_guild_cascades(tmp_path: Path) -> None:
    db = await open_db(tmp_path / "cascade.db")
    try:
        await db.migrate()
        guilds = GuildStore(db)
        await guilds.update(1, timezone="Europe/Paris")
        await db.execute(
            "INSERT INTO scheduled_jobs (guild_id, kind, key, due_at, run_at, created_at) VALUES (1, 'k', 'x', 0, 0, 0)"
        )
        await guilds.delete(1)
        assert await db.fetchval("SELECT count(*) FROM scheduled_jobs") == 0
        assert (await guilds.get(1)).timezone == "UTC"
    finally:
        await db.close()


async def test_recaps_posted_before_cards_keep_their_tags_and_servers_start_with_cards(
    tmp_path: Path,
) -> None:
    """Migration 0008 (issue 14): a recap already posted was posted with spoiler tags, so an edit must
    keep tags; a server's new recaps default to cards, AutoMod starts off, discussions unset."""
    shipped = load_migrations()
    cards = next(m.version for m in shipped if m.name == "automod_cards_discussions")
    db = Database(tmp_path / "old.db")
    await db.open()
    try:
        await db.migrate(shipped[: cards - 1])
        await db.execute("INSERT INTO guilds (guild_id) VALUES (1)")
        await db.execute(
            "INSERT INTO recaps (guild_id, season, number, author_id, body, channel_id, created_at, updated_at) "
            "VALUES (1, 2, 3, 9, 'Reghabi returns.', 5, 0, 0)"
        )
        await db.migrate(shipped)
        assert await db.fetchval("SELECT format FROM recaps") == "tags"
        row = await db.fetchone("SELECT * FROM guilds WHERE guild_id = 1")
        assert row is not None
        assert (row["recap_format"], row["automod_spoilers"], row["automod_rule_id"]) == ("cards", 0, None)
        assert row["discussion_channel_id"] is None
    finally:
        await db.close()
