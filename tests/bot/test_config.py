"""Settings.from_env: every setting, and a clear one-line error for each mistake."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_PATH, DEFAULT_TVMAZE_URL, ConfigError, Settings, check_database_path
from tests.loopback import BOT_TOKEN

ROOT = Path(__file__).resolve().parents[2]


def from_env(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(env, env_file=tmp_path / "missing.env")


def test_defaults_with_only_a_token(tmp_path: Path) -> None:
    settings = from_env(tmp_path, DISCORD_TOKEN=BOT_TOKEN)
    assert settings.discord_token == BOT_TOKEN
    assert settings.database_path == DEFAULT_DATABASE_PATH == Path("data/cliffhanger.db")
    assert settings.dev_guild_id is None
    assert settings.log_level == "INFO"
    assert settings.message_content_intent is False
    assert settings.tvmaze_url == DEFAULT_TVMAZE_URL == "https://api.tvmaze.com"
    assert settings.show_sync_hours == 6


def test_every_setting_is_read(tmp_path: Path) -> None:
    settings = from_env(
        tmp_path,
        DISCORD_TOKEN=f"  Bot {BOT_TOKEN} ",
        DATABASE_PATH=str(tmp_path / "x.db"),
        DEV_GUILD_ID="123456789012345678",
        LOG_LEVEL="debug",
        MESSAGE_CONTENT_INTENT="yes",
        TVMAZE_URL=" http://127.0.0.1:8123/ ",
        SHOW_SYNC_HOURS=" 12 ",
    )
    assert settings.discord_token == BOT_TOKEN  # a pasted "Bot " prefix and spaces are forgiven
    assert settings.database_path == tmp_path / "x.db"
    assert settings.dev_guild_id == 123456789012345678
    assert settings.log_level == "DEBUG"
    assert settings.message_content_intent is True
    assert settings.tvmaze_url == "http://127.0.0.1:8123"  # paths are joined on, so no trailing slash
    assert settings.show_sync_hours == 12


def test_dotenv_file_is_read_and_the_environment_wins(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"DISCORD_TOKEN={BOT_TOKEN}\nLOG_LEVEL=WARNING\n# a comment\n")
    settings = Settings.from_env({"LOG_LEVEL": "ERROR"}, env_file=env_file)
    assert settings.discord_token == BOT_TOKEN
    assert settings.log_level == "ERROR"


def test_the_token_never_shows_in_repr(tmp_path: Path) -> None:
    assert BOT_TOKEN not in repr(from_env(tmp_path, DISCORD_TOKEN=BOT_TOKEN))


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = from_env(tmp_path, DISCORD_TOKEN=BOT_TOKEN)
    with pytest.raises(AttributeError):
        settings.log_level = "DEBUG"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, "DISCORD_TOKEN is not set"),
        ({"DISCORD_TOKEN": "   "}, "DISCORD_TOKEN is not set"),
        ({"DISCORD_TOKEN": "not a token"}, "DISCORD_TOKEN does not look like a bot token"),
        ({"DISCORD_TOKEN": BOT_TOKEN, "DEV_GUILD_ID": "my server"}, "DEV_GUILD_ID must be a server id"),
        ({"DISCORD_TOKEN": BOT_TOKEN, "DEV_GUILD_ID": "12"}, "DEV_GUILD_ID must be a server id"),
        ({"DISCORD_TOKEN": BOT_TOKEN, "LOG_LEVEL": "loud"}, "LOG_LEVEL must be one of"),
        (
            {"DISCORD_TOKEN": BOT_TOKEN, "MESSAGE_CONTENT_INTENT": "maybe"},
            "MESSAGE_CONTENT_INTENT must be true or false",
        ),
        (
            {"DISCORD_TOKEN": BOT_TOKEN, "TVMAZE_URL": "api.tvmaze.com"},
            "TVMAZE_URL must be an http(s) address",
        ),
        (
            {"DISCORD_TOKEN": BOT_TOKEN, "TVMAZE_URL": "ftp://tvmaze.com"},
            "TVMAZE_URL must be an http(s) address",
        ),
        ({"DISCORD_TOKEN": BOT_TOKEN, "TVMAZE_URL": "https://"}, "TVMAZE_URL must be an http(s) address"),
        (
            {"DISCORD_TOKEN": BOT_TOKEN, "TVMAZE_URL": "https://api.tvmaze.com/?x=1"},
            "TVMAZE_URL must be an http(s) address",
        ),
        (
            {"DISCORD_TOKEN": BOT_TOKEN, "TVMAZE_URL": "http://h:port"},
            "TVMAZE_URL must be an http(s) address",
        ),
        (
            {"DISCORD_TOKEN": BOT_TOKEN, "DATABASE_URL": "mysql://root:hunter2@db/bot"},
            "DATABASE_URL must be a PostgreSQL address",
        ),
        (
            {"DISCORD_TOKEN": BOT_TOKEN, "DATABASE_URL": "data/x.db"},
            "DATABASE_URL must be a PostgreSQL address",
        ),
        (
            {"DISCORD_TOKEN": BOT_TOKEN, "DATABASE_POOL_SIZE": "0"},
            "DATABASE_POOL_SIZE must be a whole number",
        ),
        ({"DISCORD_TOKEN": BOT_TOKEN, "SHARD_COUNT": "two"}, "SHARD_COUNT must be a whole number"),
        ({"DISCORD_TOKEN": BOT_TOKEN, "SHARD_IDS": "0"}, "SHARD_IDS needs SHARD_COUNT"),
        (
            {
                "DISCORD_TOKEN": BOT_TOKEN,
                "SHARD_COUNT": "4",
                "SHARD_IDS": "2-5",
                "DATABASE_URL": "postgresql://h/db",
            },
            "SHARD_IDS must list shards from 0 to 3",
        ),
        (
            {
                "DISCORD_TOKEN": BOT_TOKEN,
                "SHARD_COUNT": "4",
                "SHARD_IDS": "3-1",
                "DATABASE_URL": "postgresql://h/db",
            },
            "SHARD_IDS must list shards from 0 to 3",
        ),
        (
            {
                "DISCORD_TOKEN": BOT_TOKEN,
                "SHARD_COUNT": "4",
                "SHARD_IDS": "0,0",
                "DATABASE_URL": "postgresql://h/db",
            },
            "SHARD_IDS must list shards from 0 to 3",
        ),
        ({"DISCORD_TOKEN": BOT_TOKEN, "SHARD_COUNT": "4", "SHARD_IDS": "0-1"}, "SHARD_IDS runs only some"),
        ({"DISCORD_TOKEN": BOT_TOKEN, "SHOW_SYNC_HOURS": "0"}, "SHOW_SYNC_HOURS must be a whole number"),
        ({"DISCORD_TOKEN": BOT_TOKEN, "SHOW_SYNC_HOURS": "6h"}, "SHOW_SYNC_HOURS must be a whole number"),
        ({"DISCORD_TOKEN": BOT_TOKEN, "SHOW_SYNC_HOURS": "169"}, "SHOW_SYNC_HOURS must be a whole number"),
    ],
)
def test_bad_values_name_the_setting_and_the_fix(tmp_path: Path, env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError) as info:
        from_env(tmp_path, **env)
    message = str(info.value)
    assert message.startswith(names)
    assert "\n" not in message
    assert (
        "for example" in message
        or ".env" in message
        or "Developer Portal" in message
        or "leave it empty" in message
    )


def test_the_database_url_is_never_echoed_with_its_password(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        from_env(tmp_path, DISCORD_TOKEN=BOT_TOKEN, DATABASE_URL="mysql://root:hunter2@db/bot")
    assert "hunter2" not in str(info.value)
    settings = from_env(tmp_path, DISCORD_TOKEN=BOT_TOKEN, DATABASE_URL="postgresql://bot:hunter2@db/bot")
    assert "hunter2" not in repr(settings)


def test_shards_and_postgresql(tmp_path: Path) -> None:
    settings = from_env(
        tmp_path,
        DISCORD_TOKEN=BOT_TOKEN,
        DATABASE_URL="postgresql://bot:secret@db.internal:5433/cliffhanger",
        DATABASE_POOL_SIZE="4",
        SHARD_COUNT="10",
        SHARD_IDS=" 0-2, 7 ",
    )
    assert settings.database_location == "postgresql://bot:secret@db.internal:5433/cliffhanger"
    assert settings.database_pool_size == 4
    assert settings.shards is not None
    assert (settings.shards.count, settings.shards.ids) == (10, (0, 1, 2, 7))
    assert settings.shards.describe() == "shards 0-2,7 of 10"
    assert settings.shards.share(48) == 48 * 4 / 10
    # SHARD_COUNT alone: every shard of that count in this process, SQLite allowed.
    alone = from_env(tmp_path, DISCORD_TOKEN=BOT_TOKEN, SHARD_COUNT="3", SHARD_IDS="0-2")
    assert alone.shards is not None and alone.shards.whole and alone.database_url is None
    assert from_env(tmp_path, DISCORD_TOKEN=BOT_TOKEN).shards is None


def test_offline_tools_do_not_need_a_token(tmp_path: Path) -> None:
    settings = Settings.from_env({}, env_file=None, require_token=False)
    assert settings.discord_token == ""


def test_database_path_checks(tmp_path: Path) -> None:
    check_database_path(tmp_path / "new" / "folder" / "bot.db")  # folders are created
    assert (tmp_path / "new" / "folder").is_dir()
    a_file = tmp_path / "plain-file"
    a_file.write_text("x")
    with pytest.raises(ConfigError, match=r"^DATABASE_PATH .* is not usable: cannot create the folder"):
        check_database_path(a_file / "bot.db")
    with pytest.raises(ConfigError, match=r"^DATABASE_PATH .* is a folder, not a file"):
        check_database_path(tmp_path)
    with pytest.raises(ConfigError, match=r"^DATABASE_PATH .* is not (usable|writable)"):
        check_database_path(Path("/proc/cliffhanger/bot.db"))


def run_main(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISCORD_TOKEN", "DATABASE_PATH", "DEV_GUILD_ID", "LOG_LEVEL")
    }
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=tmp_path,  # no .env here
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_main_exits_2_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    result = run_main(tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: DISCORD_TOKEN is not set")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr

    result = run_main(tmp_path, DISCORD_TOKEN=BOT_TOKEN, DATABASE_PATH="/proc/nope/bot.db")
    assert result.returncode == 2
    assert result.stderr.startswith("error: DATABASE_PATH '/proc/nope/bot.db' is not")
    assert "Traceback" not in result.stderr


def test_main_check_and_migrate_work_offline(tmp_path: Path) -> None:
    db = tmp_path / "data" / "bot.db"
    result = run_main(tmp_path, "check", DISCORD_TOKEN=BOT_TOKEN, DATABASE_PATH=str(db))
    assert result.returncode == 0, result.stderr
    assert "does not exist yet" in result.stdout
    result = run_main(tmp_path, "migrate", DATABASE_PATH=str(db))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("applied migrations [1")
    result = run_main(tmp_path, "check", DISCORD_TOKEN=BOT_TOKEN, DATABASE_PATH=str(db))
    assert result.returncode == 0, result.stderr
    assert "(up to date)" in result.stdout
