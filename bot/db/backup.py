"""Copies of the database file: on demand (`main.py backup PATH`) and before every migration."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

__all__ = [
    "KEEP_BACKUPS",
    "backup_before_migrating",
    "backups_folder",
    "copy_database",
    "latest_backup",
    "prune_backups",
]

# Automatic backups kept beside the database; the oldest go first. Copies made by hand are never removed.
KEEP_BACKUPS = 5
_AUTOMATIC = re.compile(r"^(\d{8}-\d{6})-v(\d+)\.db$")


def copy_database(source: Path, target: Path) -> None:
    """Copy with SQLite's online backup API: a consistent copy, safe while the bot writes.

    A copy that fails part-way is removed, so a file at `target` is always a whole database.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        reader = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            writer = sqlite3.connect(target)
            try:
                reader.backup(writer)
            finally:
                writer.close()
        finally:
            reader.close()
    except BaseException:
        with contextlib.suppress(OSError):
            target.unlink()
        raise


def backups_folder(database: Path) -> Path:
    """Where automatic backups of `database` go: `backups/` beside it (data/backups/ by default)."""
    return database.parent / "backups"


def backup_before_migrating(database: Path, version: int, now: datetime | None = None) -> Path:
    """Copy `database`, at schema `version`, to backups/<UTC timestamp>-v<version>.db; keep the newest five."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    target = backups_folder(database) / f"{stamp}-v{version}.db"
    if not target.exists():  # one taken this very second is a copy of the same thing
        copy_database(database, target)
    prune_backups(target.parent)
    return target


def prune_backups(folder: Path, keep: int = KEEP_BACKUPS) -> list[Path]:
    """Remove all but the newest `keep` automatic backups in `folder`; returns what was removed."""
    automatic = sorted(p for p in folder.iterdir() if _AUTOMATIC.match(p.name))
    removed = automatic[:-keep] if keep else automatic
    for path in removed:
        path.unlink()
    return removed


def latest_backup(database: Path, version: int) -> Path | None:
    """The newest automatic backup of `database` taken at schema `version`, if any."""
    folder = backups_folder(database)
    if not folder.is_dir():
        return None
    found = sorted(
        p for p in folder.iterdir() if (m := _AUTOMATIC.match(p.name)) is not None and int(m[2]) == version
    )
    return found[-1] if found else None
