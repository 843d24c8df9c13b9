"""Forward-only numbered SQL migrations, each applied in its own transaction.

One file serves both databases. It is written in SQL both accept (BIGINT for every integer column,
since Discord ids need 64 bits), and a line only one database should run ends with `-- sqlite only`
or `-- postgresql only` (see bot/db/dialect.py). The README's Development section has the rule.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .backup import latest_backup
from .dialect import Dialect, for_dialect

if TYPE_CHECKING:
    from . import Database

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    def script(self, dialect: Dialect) -> str:
        """The migration as `dialect` runs it: the other dialect's lines left out."""
        return for_dialect(self.sql, dialect)

    def statements(self, dialect: Dialect = "sqlite") -> list[str]:
        """Split the script into statements (executescript() would commit our transaction)."""
        out: list[str] = []
        buf = ""
        for line in self.script(dialect).splitlines(keepends=True):
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


def too_new(where: Path | str, version: int, newest: int) -> str:
    """The refusal for a database at schema `version` opened by code that knows up to `newest`.
    `where` is the SQLite file (whose automatic backups are looked up) or a PostgreSQL location."""
    if isinstance(where, Path):
        backup = latest_backup(where, newest)
        restore = (
            f"restore {backup}, the copy taken before that upgrade"
            if backup is not None
            else f"restore a backup made at schema version {newest}"
        )
        what = f"the database file {str(where)!r}"
    else:
        restore = f"restore a pg_dump made at schema version {newest}"
        what = f"the database {where}"
    return (
        f"{what} is at schema version {version}, newer than this code ({newest}): "
        f"a newer Cliffhanger upgraded it, and this older code could lose data in it. Nothing was changed. "
        f"Go back to the newer code (git pull), or {restore}."
    )


SCHEMA_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS schema_version ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)"
)


async def current_version(db: Database) -> int:
    await db.execute(SCHEMA_VERSION_TABLE)
    return int(await db.fetchval("SELECT coalesce(max(version), 0) FROM schema_version"))


async def apply_migrations(db: Database, migrations: Sequence[Migration] | None = None) -> list[int]:
    """Apply every migration newer than the recorded version, each in its own transaction; returns
    the versions applied. The caller holds whatever keeps a second migrator out."""
    if migrations is None:
        migrations = load_migrations()
    version = await current_version(db)
    newest = migrations[-1].version if migrations else 0
    if version > newest:
        raise SchemaTooNew(f"the database is at schema version {version}, newer than this code ({newest})")
    applied: list[int] = []
    for migration in migrations:
        if migration.version <= version:
            continue
        async with db.transaction(immediate=True) as conn:
            if db.dialect == "sqlite":
                for statement in migration.statements("sqlite"):
                    await conn.execute(statement)
            else:  # one script, so a statement may hold semicolons in a function body
                await conn.execute(migration.script(db.dialect))
            await conn.execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, int(time.time())),
            )
        log.info("applied migration %04d_%s", migration.version, migration.name)
        applied.append(migration.version)
    return applied
