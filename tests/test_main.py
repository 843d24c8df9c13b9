"""main.py's start-up failures against the loopback: one clear line, exit code 2."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from dataclasses import replace
from pathlib import Path

import pytest

import main
from bot.config import Settings
from bot.db import load_migrations
from tests.harness import Harness, World
from tests.loopback import BOT_TOKEN, LoopbackDiscord
from tests.postgres import Cluster

WRONG_TOKEN = "MTk5OTk5OTk5OTk5OTk5OTk5.Gxxxxx.a-token-discord-has-never-issued-0123456789"


async def test_a_token_discord_rejects_is_one_clear_line(
    loopback: LoopbackDiscord, world: World, settings: Settings
) -> None:
    with pytest.raises(
        main.Fatal, match=r"^DISCORD_TOKEN was rejected by Discord \(401 Unauthorized\): reset the token"
    ):
        await main.run_bot(replace(settings, discord_token=WRONG_TOKEN))


async def test_a_missing_privileged_intent_names_the_setting(
    loopback: LoopbackDiscord, world: World, settings: Settings
) -> None:
    with pytest.raises(
        main.Fatal, match=r"^MESSAGE_CONTENT_INTENT is true but the Message Content intent is off"
    ):
        await main.run_bot(replace(settings, message_content_intent=True))


@pytest.mark.only_sqlite(reason="a corrupt file is an SQLite failure")
async def test_a_corrupt_database_is_named_and_never_overwritten(
    loopback: LoopbackDiscord, world: World, settings: Settings, tmp_path: Path
) -> None:
    settings.database_path.write_bytes(b"garbage" * 1000)
    with pytest.raises(main.Fatal, match=r"^DATABASE_PATH: the database file '.*cliffhanger\.db' is corrupt"):
        await main.run_bot(settings)
    assert settings.database_path.read_bytes() == b"garbage" * 1000


def test_main_prints_the_fatal_line_and_returns_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async def refused(settings: Settings) -> None:
        raise main.Fatal("DISCORD_TOKEN was rejected by Discord (401 Unauthorized): reset the token")

    monkeypatch.setattr(main, "run_bot", refused)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "DISCORD_TOKEN", "MTAwMDAwMDAwMDAwMDAwMDAx.GabcDE.loopback-token-abcdefghijklmnopqrstuvwxyz0123"
    )
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "x.db"))
    assert main.main([]) == 2
    err = capsys.readouterr().err
    assert err == "error: DISCORD_TOKEN was rejected by Discord (401 Unauthorized): reset the token\n"


def test_the_running_bot_logs_to_stdout_for_the_journal(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    async def runs(settings: Settings) -> None:
        logging.getLogger("cliffhanger").info("ready as Cliffhanger")

    monkeypatch.setattr(main, "run_bot", runs)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(
        "DISCORD_TOKEN", "MTAwMDAwMDAwMDAwMDAwMDAx.GabcDE.loopback-token-abcdefghijklmnopqrstuvwxyz0123"
    )
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "x.db"))
    try:
        assert main.main([]) == 0
        out = capsys.readouterr()
        assert "INFO     cliffhanger: ready as Cliffhanger" in out.out
        assert "ready as" not in out.err
    finally:
        logging.getLogger().handlers = [
            h for h in logging.getLogger().handlers if not getattr(h, "_cliffhanger", False)
        ]


@pytest.mark.only_sqlite(reason="PostgreSQL is backed up with pg_dump; see the test below")
async def test_backup_copies_a_live_database(tmp_path: Path, settings: Settings) -> None:
    assert (await main.migrate(settings)) != []
    target = tmp_path / "backups" / "copy.db"
    assert main.backup(settings, target).startswith(f"backed up {settings.database_path} to {target}")
    assert "schema version" in main.check(replace(settings, database_path=target))
    with pytest.raises(main.Fatal, match="already exists"):
        main.backup(settings, target)


@pytest.mark.only_postgresql(reason="SQLite's backup is tested above")
async def test_on_postgresql_backup_gives_the_pg_dump_command(settings: Settings) -> None:
    assert settings.database_url is not None
    with pytest.raises(main.Fatal) as info:
        main.backup(settings, Path("nightly.dump"))
    text = str(info.value)
    assert text.startswith("backup: the database is PostgreSQL, which pg_dump backs up")
    assert "pg_dump --format=custom --file=nightly.dump 'postgresql://postgres@" in text
    assert "secret" not in text and "pg_restore" in text


async def test_a_second_instance_on_the_same_database_refuses(harness: Harness, backend: str) -> None:
    """Policy: one bot process per database file (SQLite), or per shard (PostgreSQL: a process
    without SHARD_IDS holds them all). The second one exits with a clear line; the first keeps
    running untouched. (Claims are atomic as well: see test_scheduler's two-connection test.)"""
    pid = str(os.getpid())
    with pytest.raises(main.Fatal) as info:
        await main.run_bot(harness.settings)
    if backend == "sqlite":
        assert str(info.value) == (
            f"DATABASE_PATH: another Cliffhanger instance (pid {pid}) is already running on "
            f"{harness.settings.database_path}; stop it first, or give this one its own DATABASE_PATH."
        )
    else:
        assert str(info.value) == (
            "DATABASE_URL: another Cliffhanger process already runs this bot on this database "
            f"(host {socket.gethostname()} pid {pid}); stop it, or give every process SHARD_COUNT and "
            "its own SHARD_IDS."
        )
    reply = await harness.owner.slash("about")
    assert reply.embeds  # the first instance is unaffected
    if backend == "sqlite":
        with pytest.raises(main.Fatal, match="already running"):
            await main.migrate(harness.settings)


def test_check_and_migrate_on_postgresql(
    postgres_cluster: Cluster,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url = asyncio.run(postgres_cluster.create_database("main"))
    try:
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("DISCORD_TOKEN", BOT_TOKEN)
        monkeypatch.setenv("DATABASE_URL", url)
        newest = load_migrations()[-1].version
        assert main.main(["check"]) == 0
        out = capsys.readouterr().out
        assert out.startswith("configuration OK; PostgreSQL at postgresql://postgres@")
        assert f"is at schema version 0 ({newest} migration(s) pending" in out
        assert main.main(["migrate"]) == 0
        assert capsys.readouterr().out == f"applied migrations {list(range(1, newest + 1))}\n"
        assert main.main(["check"]) == 0
        assert f"is at schema version {newest} (up to date)" in capsys.readouterr().out
        assert not (tmp_path / "data").exists()  # no SQLite file or folder was made on the side
        # A server that is not there: one line naming the setting and what to check.
        monkeypatch.setenv("DATABASE_URL", f"postgresql://postgres@/none?host={tmp_path}&port=1")
        assert main.main(["check"]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: DATABASE_URL: cannot connect to PostgreSQL at postgresql://postgres@")
        assert "check DATABASE_URL and that the server is running" in err and "\n" not in err.rstrip("\n")
    finally:
        asyncio.run(postgres_cluster.drop_database(url))
