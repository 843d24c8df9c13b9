"""Upgrading in place: a backup before every migration (the newest five kept), and code older than the
database refuses to run instead of touching it."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import main
from bot.config import Settings
from bot.db import DatabaseError, load_migrations
from bot.db.backup import KEEP_BACKUPS, backup_before_migrating, prune_backups
from bot.db.sqlite import SQLiteDatabase
from tests.harness import World
from tests.loopback import LoopbackDiscord

pytestmark = pytest.mark.only_sqlite(
    reason="automatic backups beside the database file are SQLite's; PostgreSQL is backed up with pg_dump, "
    "and its refusal of a newer schema is tested in test_migrations.py"
)

NEWEST = load_migrations()[-1].version
STAMP = "[0-9]" * 8 + "-" + "[0-9]" * 6


async def database_at(path: Path, version: int) -> None:
    """A database migrated to `version` only, holding one server's settings."""
    db = SQLiteDatabase(path)
    await db.open()
    try:
        await db.migrate(load_migrations()[:version])
        await db.execute("INSERT INTO guilds (guild_id, show_name) VALUES (1, 'Severance')")
    finally:
        await db.close()


def read(path: Path, sql: str) -> object:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def from_the_future(path: Path) -> None:
    """What a newer release's migration leaves behind: a higher schema version and a table we don't know."""
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE from_the_future (id INTEGER PRIMARY KEY)")
        conn.execute("INSERT INTO schema_version VALUES (?, 'future', 0)", (NEWEST + 1,))
    conn.close()


def snapshot(path: Path) -> tuple[object, ...]:
    return (
        read(path, "SELECT group_concat(name) FROM (SELECT name FROM sqlite_schema ORDER BY name)"),
        read(path, "SELECT group_concat(version) FROM schema_version"),
        read(path, "SELECT show_name FROM guilds WHERE guild_id = 1"),
    )


# -- backups before migrating ---------------------------------------------------------------------------
async def test_a_migration_is_preceded_by_a_backup_at_the_old_version(settings: Settings) -> None:
    path = settings.database_path
    await database_at(path, 3)
    applied = await main.migrate(settings)
    assert applied == list(range(4, NEWEST + 1))
    backups = sorted((path.parent / "backups").glob(f"{STAMP}-v3.db"))
    assert len(backups) == 1
    assert read(backups[0], "SELECT max(version) FROM schema_version") == 3
    assert read(backups[0], "SELECT show_name FROM guilds WHERE guild_id = 1") == "Severance"
    assert read(path, "SELECT max(version) FROM schema_version") == NEWEST


async def test_an_up_to_date_or_new_database_is_not_copied(settings: Settings) -> None:
    assert await main.migrate(settings) != []  # new: nothing to keep
    assert await main.migrate(settings) == []  # up to date: nothing changes
    assert not (settings.database_path.parent / "backups").exists()


async def test_without_a_backup_nothing_is_migrated(settings: Settings) -> None:
    path = settings.database_path
    await database_at(path, 3)
    (path.parent / "backups").write_text("a file where the backups folder should be")
    with pytest.raises(main.Fatal, match=r"^DATABASE_PATH: could not back up .* so nothing was migrated"):
        await main.migrate(settings)
    assert read(path, "SELECT max(version) FROM schema_version") == 3


def test_the_newest_five_automatic_backups_are_kept_and_hand_made_copies_stay(tmp_path: Path) -> None:
    database = tmp_path / "cliffhanger.db"
    sqlite3.connect(database).close()
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "before-the-finale.db").write_text("made by hand with main.py backup")
    start = datetime(2025, 1, 17, 21, 0, tzinfo=UTC)
    made = [backup_before_migrating(database, 2 + n, start + timedelta(days=n)) for n in range(7)]
    assert [p.name for p in made[:2]] == ["20250117-210000-v2.db", "20250118-210000-v3.db"]
    left = sorted(p.name for p in folder.iterdir())
    assert left == sorted(["before-the-finale.db", *(p.name for p in made[-KEEP_BACKUPS:])])
    assert prune_backups(folder) == []


# -- a downgrade refuses ----------------------------------------------------------------------------------
def test_older_code_refuses_a_newer_database_in_one_line_and_changes_nothing(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = settings.database_path
    asyncio.run(database_at(path, NEWEST))
    from_the_future(path)
    before = snapshot(path)
    monkeypatch.chdir(path.parent)
    monkeypatch.setenv("DATABASE_PATH", str(path))
    capsys.readouterr()  # what setting up printed (an earlier main.main's handler may still be installed)
    assert main.main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err == (
        f"error: DATABASE_PATH: the database file {str(path)!r} is at schema version {NEWEST + 1}, newer than "
        f"this code ({NEWEST}): a newer Cliffhanger upgraded it, and this older code could lose data in it. "
        f"Nothing was changed. Go back to the newer code (git pull), or restore a backup made at schema "
        f"version {NEWEST}.\n"
    )
    assert snapshot(path) == before
    assert not (path.parent / "backups").exists()


async def test_the_refusal_names_the_backup_taken_before_the_upgrade(settings: Settings) -> None:
    path = settings.database_path
    await database_at(path, NEWEST - 1)
    await main.migrate(settings)  # upgraded to this code, after a backup at NEWEST - 1
    fits = backup_before_migrating(path, NEWEST)  # a newer release's upgrade: its backup at NEWEST,
    from_the_future(path)  # then its migration
    message = f"or restore {fits}, the copy taken before that upgrade."
    with pytest.raises(main.Fatal) as refused:
        await main.migrate(settings)
    assert str(refused.value).endswith(message)
    with pytest.raises(main.Fatal) as checked:
        main.check(settings)
    assert str(checked.value).endswith(message)


async def test_the_bot_refuses_to_run_on_a_newer_database(
    loopback: LoopbackDiscord, world: World, settings: Settings
) -> None:
    path = settings.database_path
    await database_at(path, NEWEST)
    from_the_future(path)
    before = snapshot(path)
    with pytest.raises(
        main.Fatal, match=rf"^DATABASE_PATH: the database file .* is at schema version {NEWEST + 1}"
    ):
        await main.run_bot(replace(settings))
    assert snapshot(path) == before
    assert loopback.global_commands == []  # it stopped before syncing anything
    db = SQLiteDatabase(path)  # and the layer under it says the same
    await db.open()
    try:
        with pytest.raises(DatabaseError, match="newer than this code"):
            await db.migrate()
    finally:
        await db.close()
