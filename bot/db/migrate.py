"""Forward-only numbered SQL migrations, each applied in its own transaction."""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from .backup import latest_backup

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    def statements(self) -> list[str]:
        """Split the script into statements (executescript() would commit our transaction)."""
        out: list[str] = []
        buf = ""
        for line in self.sql.splitlines(keepends=True):
            stripped = line.strip()
            if not buf and (not stripped or stripped.startswith("--")):
                continue
            buf += line
            if sqlite3.complete_statement(buf):
                out.append(buf.strip())
                buf = ""
        if buf.strip():
            raise ValueError(f"migration {self.version:04d}_{self.name} ends with an incomplete statement")
        return out


def load_migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Read `NNNN_name.sql` files in order, refusing gaps and duplicates."""
    found: list[Migration] = []
    for path in sorted(folder.glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], path.read_text(encoding="utf-8")))
    for expected, migration in enumerate(found, start=1):
        if migration.version != expected:
            raise ValueError(
                f"migrations must be numbered 1, 2, 3...: expected {expected:04d}, found {migration.version:04d}"
            )
    return found


class SchemaTooNew(Exception):
    """The database was migrated by newer code than this; running this code on it could lose data."""


def too_new(path: Path, version: int, newest: int) -> str:
    """The refusal for a database at schema `version` opened by code that knows up to `newest`."""
    backup = latest_backup(path, newest)
    restore = (
        f"restore {backup}, the copy taken before that upgrade"
        if backup is not None
        else f"restore a backup made at schema version {newest}"
    )
    return (
        f"the database file {str(path)!r} is at schema version {version}, newer than this code ({newest}): "
        f"a newer Cliffhanger upgraded it, and this older code could lose data in it. Nothing was changed. "
        f"Go back to the newer code (git pull), or {restore}."
    )


async def current_version(conn: aiosqlite.Connection) -> int:
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
    )
    rows = list(await conn.execute_fetchall("SELECT coalesce(max(version), 0) FROM schema_version"))
    return int(rows[0][0])


async def apply_migrations(
    conn: aiosqlite.Connection, migrations: Sequence[Migration] | None = None
) -> list[int]:
    """Apply every migration newer than the recorded version; returns the versions applied."""
    if migrations is None:
        migrations = load_migrations()
    version = await current_version(conn)
    newest = migrations[-1].version if migrations else 0
    if version > newest:
        raise SchemaTooNew(f"the database is at schema version {version}, newer than this code ({newest})")
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= version:
            continue
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements():
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, int(time.time())),
            )
        except BaseException:
            await conn.rollback()
            raise
        await conn.commit()
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration.version)
    return applied
