"""Settings read from the environment and `.env`, with errors a first-time host can act on."""

from __future__ import annotations

import os
import re
import tempfile
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from .shards import ShardSlice, parse_shard_ids

__all__ = ["ConfigError", "Settings", "check_database_path"]

DEFAULT_DATABASE_PATH = Path("data") / "cliffhanger.db"
DEFAULT_TVMAZE_URL = "https://api.tvmaze.com"
DEFAULT_POOL_SIZE = 10
EXAMPLE_DATABASE_URL = "postgresql://cliffhanger:secret@localhost/cliffhanger"
DEFAULT_SHOW_SYNC_HOURS = 6
MAX_SHOW_SYNC_HOURS = 168
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}
# A bot token is three base64url segments joined by dots; anything else is a paste error.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{20,}$")


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it and says how to fix it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the bot reads from its environment. Built once, by `Settings.from_env()`."""

    discord_token: str = field(repr=False)
    database_path: Path = DEFAULT_DATABASE_PATH
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    message_content_intent: bool = False
    tvmaze_url: str = DEFAULT_TVMAZE_URL
    # PostgreSQL instead of the SQLite file at database_path; several processes can share it.
    database_url: str | None = field(default=None, repr=False)
    database_pool_size: int = DEFAULT_POOL_SIZE
    # None: Discord's recommended count, every shard in this process (today's behaviour).
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @property
    def database_location(self) -> str:
        """What `bot.db.open_database` opens: the PostgreSQL URL, or the SQLite file."""
        return self.database_url or str(self.database_path)

    @property
    def shards(self) -> ShardSlice | None:
        """The shards this process runs, when SHARD_COUNT is set (None: all, as Discord recommends)."""
        if self.shard_count is None:
            return None
        return ShardSlice(self.shard_count, self.shard_ids or tuple(range(self.shard_count)))

    show_sync_hours: int = DEFAULT_SHOW_SYNC_HOURS

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        env_file: str | Path | None = ".env",
        require_token: bool = True,
    ) -> Settings:
        """Read settings from `environ` (default: the process environment) over the `.env` file.

        Real environment variables win over `.env`, as python-dotenv does by default. Offline
        tools (migrate, backup) pass `require_token=False`.
        """
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if environ is None else environ)

        token = values.get("DISCORD_TOKEN", "").strip()
        if not token and require_token:
            raise ConfigError(
                "DISCORD_TOKEN is not set: copy .env.example to .env and paste your bot token "
                "after DISCORD_TOKEN= (Developer Portal > your app > Bot > Reset Token)."
            )
        if token.lower().startswith("bot "):
            token = token[4:].strip()
        if token and not _TOKEN_SHAPE.match(token):
            raise ConfigError(
                "DISCORD_TOKEN does not look like a bot token (three parts separated by dots, no spaces "
                "or quotes): copy it again from Developer Portal > your app > Bot > Reset Token."
            )

        raw_path = values.get("DATABASE_PATH", "").strip()
        database_path = Path(raw_path).expanduser() if raw_path else DEFAULT_DATABASE_PATH

        database_url = _parse_database_url(values.get("DATABASE_URL", ""))
        shard_count = _parse_count("SHARD_COUNT", values.get("SHARD_COUNT", ""), 1, 10_000, "SHARD_COUNT=2")
        shard_ids = _parse_shard_ids(values.get("SHARD_IDS", ""), shard_count)
        if (
            shard_ids is not None
            and shard_count is not None
            and len(shard_ids) < shard_count
            and not database_url
        ):
            raise ConfigError(
                "SHARD_IDS runs only some of the bot's shards, so other processes must run the rest on the same "
                "database, and several processes can only share PostgreSQL: set DATABASE_URL (for example "
                f"DATABASE_URL={EXAMPLE_DATABASE_URL}), or leave SHARD_IDS empty to run every shard here."
            )

        return cls(
            discord_token=token,
            database_path=database_path,
            database_url=database_url,
            database_pool_size=_parse_count(
                "DATABASE_POOL_SIZE", values.get("DATABASE_POOL_SIZE", ""), 1, 200, "DATABASE_POOL_SIZE=10"
            )
            or DEFAULT_POOL_SIZE,
            shard_count=shard_count,
            shard_ids=shard_ids,
            dev_guild_id=_parse_guild_id(values.get("DEV_GUILD_ID", "")),
            log_level=_parse_log_level(values.get("LOG_LEVEL", "")),
            message_content_intent=_parse_bool(
                "MESSAGE_CONTENT_INTENT", values.get("MESSAGE_CONTENT_INTENT", "")
            ),
            tvmaze_url=_parse_base_url("TVMAZE_URL", values.get("TVMAZE_URL", ""), DEFAULT_TVMAZE_URL),
            show_sync_hours=_parse_hours("SHOW_SYNC_HOURS", values.get("SHOW_SYNC_HOURS", "")),
        )


def _parse_database_url(raw: str) -> str | None:
    value = raw.strip()
    if not value:
        return None
    parts = urllib.parse.urlsplit(value)
    if parts.scheme not in ("postgresql", "postgres") or " " in value:
        shown = f"{parts.scheme}://..." if parts.scheme else "that"
        raise ConfigError(
            f"DATABASE_URL must be a PostgreSQL address, not {shown}: for example "
            f"DATABASE_URL={EXAMPLE_DATABASE_URL}, or leave it empty to keep the SQLite file at DATABASE_PATH."
        )
    return value


def _parse_count(name: str, raw: str, low: int, high: int, example: str) -> int | None:
    value = raw.strip()
    if not value:
        return None
    if not value.isdigit() or not low <= int(value) <= high:
        raise ConfigError(
            f"{name} must be a whole number from {low} to {high}, not {value!r}: for example {example}, "
            "or leave it empty."
        )
    return int(value)


def _parse_shard_ids(raw: str, count: int | None) -> tuple[int, ...] | None:
    value = raw.strip()
    if not value:
        return None
    if count is None:
        raise ConfigError(
            "SHARD_IDS needs SHARD_COUNT, the bot's total number of shards across all its processes: "
            "for example SHARD_COUNT=2 and SHARD_IDS=0 here, SHARD_IDS=1 in the other process."
        )
    try:
        return parse_shard_ids(value, count)
    except ValueError as exc:
        raise ConfigError(
            f"SHARD_IDS must list shards from 0 to {count - 1} as numbers and ranges, not {value!r} ({exc}): "
            "for example SHARD_IDS=0-4 or SHARD_IDS=0,2,5-7."
        ) from None


def _parse_guild_id(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or not 15 <= len(raw) <= 21:
        raise ConfigError(
            f"DEV_GUILD_ID must be a server id (a number of 17 to 20 digits), not {raw!r}: "
            "right-click your server with Developer Mode on and pick Copy Server ID, or leave it empty."
        )
    return int(raw)


def _parse_log_level(raw: str) -> str:
    level = raw.strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ConfigError(
            f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}, not {raw.strip()!r}: for example LOG_LEVEL=INFO."
        )
    return level


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, not {raw.strip()!r}: for example {name}=false.")


def _parse_hours(name: str, raw: str) -> int:
    """Whole hours from 1 to a week; empty means the default."""
    value = raw.strip()
    if not value:
        return DEFAULT_SHOW_SYNC_HOURS
    if not value.isdigit() or not 1 <= int(value) <= MAX_SHOW_SYNC_HOURS:
        raise ConfigError(
            f"{name} must be a whole number of hours from 1 to {MAX_SHOW_SYNC_HOURS}, not {value!r}: for "
            f"example {name}={DEFAULT_SHOW_SYNC_HOURS}, or leave it empty for the default."
        )
    return int(value)


def _parse_base_url(name: str, raw: str, default: str) -> str:
    """An http(s) address with a host and nothing after the path; the trailing slash is dropped."""
    value = raw.strip()
    if not value:
        return default
    parts = urllib.parse.urlsplit(value)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or not port_ok
        or parts.query
        or parts.fragment
        or " " in value
    ):
        raise ConfigError(
            f"{name} must be an http(s) address with no query, not {value!r}: for example {name}={default}, "
            "or leave it empty for the default."
        )
    return value.rstrip("/")


def check_database_path(path: Path) -> None:
    """Make sure the database file can be created or opened for writing, or say how to fix it."""
    folder = path.parent if str(path.parent) else Path()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"DATABASE_PATH {str(path)!r} is not usable: cannot create the folder {str(folder)!r} "
            f"({exc.strerror}). Point DATABASE_PATH at a writable place, for example data/cliffhanger.db."
        ) from None
    if path.is_dir():
        raise ConfigError(
            f"DATABASE_PATH {str(path)!r} is a folder, not a file: add a file name, for example {path / 'cliffhanger.db'}."
        )
    try:
        if path.exists():
            with path.open("r+b"):
                pass
        else:
            with tempfile.TemporaryFile(dir=folder):
                pass
    except OSError as exc:
        raise ConfigError(
            f"DATABASE_PATH {str(path)!r} is not writable ({exc.strerror}): fix its permissions or point "
            "DATABASE_PATH at a writable place, for example data/cliffhanger.db."
        ) from None
