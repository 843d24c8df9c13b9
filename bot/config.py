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

__all__ = ["ConfigError", "Settings", "check_database_path"]

DEFAULT_DATABASE_PATH = Path("data") / "cliffhanger.db"
DEFAULT_TVMAZE_URL = "https://api.tvmaze.com"
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

        return cls(
            discord_token=token,
            database_path=database_path,
            dev_guild_id=_parse_guild_id(values.get("DEV_GUILD_ID", "")),
            log_level=_parse_log_level(values.get("LOG_LEVEL", "")),
            message_content_intent=_parse_bool(
                "MESSAGE_CONTENT_INTENT", values.get("MESSAGE_CONTENT_INTENT", "")
            ),
            tvmaze_url=_parse_base_url("TVMAZE_URL", values.get("TVMAZE_URL", ""), DEFAULT_TVMAZE_URL),
            show_sync_hours=_parse_hours("SHOW_SYNC_HOURS", values.get("SHOW_SYNC_HOURS", "")),
        )


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
