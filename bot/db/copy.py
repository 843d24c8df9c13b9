"""A one-way copy of an SQLite database into an empty PostgreSQL one (`main.py copy-to-postgres`).

Both sides must be at the same schema version (the target is migrated first), the target must hold
no rows, and everything is copied in one PostgreSQL transaction: the row counts are compared table
by table before it commits, so a copy is whole or nothing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from .errors import DatabaseError, from_postgres
from .postgres import PostgresDatabase

__all__ = ["CopyRefused", "TableCount", "copy_order", "copy_to_postgres"]

_CHUNK = 20_000
_SKIPPED = {"schema_version"}  # the target's own migrations wrote it


class CopyRefused(Exception):
    """The copy cannot start (or did not verify); nothing was written."""


@dataclass(frozen=True, slots=True)
class TableCount:
    table: str
    source: int
    target: int


def copy_order(conn: sqlite3.Connection) -> list[str]:
    """The tables, every one after the tables its foreign keys point at."""
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        if r[0] not in _SKIPPED
    ]
    parents = {t: {r[2] for r in conn.execute(f'PRAGMA foreign_key_list("{t}")')} - {t} for t in tables}
    ordered: list[str] = []
    while len(ordered) < len(tables):
        ready = [t for t in tables if t not in ordered and parents[t] <= set(ordered)]
        if not ready:
            raise CopyRefused(f"the tables' foreign keys form a cycle: {sorted(set(tables) - set(ordered))}")
        ordered.extend(ready)
    return ordered


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)


async def copy_to_postgres(
    source: Path, target: PostgresDatabase, *, progress: Callable[[str], None] = lambda _: None
) -> list[TableCount]:
    """Copy every row of the SQLite file `source` into `target` (open, migrated, empty). Returns the
    row counts per table, which are equal on both sides, or raises CopyRefused having written nothing."""
    reader = _read_only(source)
    try:
        source_version = reader.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        target_version = await target.schema_version()
        if source_version != target_version:
            raise CopyRefused(
                f"{source} is at schema version {source_version} and this code's is {target_version}: "
                "run `python main.py migrate` on the SQLite database first (with DATABASE_URL unset)."
            )
        tables = copy_order(reader)
        filled = [t for t in tables if await target.fetchval(f'SELECT EXISTS (SELECT 1 FROM "{t}")')]
        if filled:
            raise CopyRefused(
                f"the PostgreSQL database {target.location} is not empty ({', '.join(filled)} hold rows); "
                "copy-to-postgres only fills an empty database. Create a new one (createdb) and point the URL at it."
            )
        counts: list[TableCount] = []
        try:
            async with target.pool.acquire() as conn, conn.transaction():
                for table in tables:
                    columns = [r[1] for r in reader.execute(f'PRAGMA table_info("{table}")')]
                    quoted = ", ".join(f'"{c}"' for c in columns)
                    rows = reader.execute(f'SELECT {quoted} FROM "{table}"')
                    copied = 0
                    while chunk := rows.fetchmany(_CHUNK):
                        await conn.copy_records_to_table(table, records=chunk, columns=columns)
                        copied += len(chunk)
                    if "id" in columns:  # identity columns continue after the copied ids
                        await conn.execute(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f'(SELECT coalesce(max(id), 0) + 1 FROM "{table}"), false)'
                        )
                    source_rows = reader.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                    target_rows = await conn.fetchval(f'SELECT count(*) FROM "{table}"')
                    counts.append(TableCount(table, source_rows, target_rows))
                    progress(f"{table}: {target_rows} rows")
                    if source_rows != target_rows or copied != source_rows:
                        raise CopyRefused(
                            f"{table}: {source_rows} rows in SQLite but {target_rows} in PostgreSQL; "
                            "nothing was kept. Stop the bot while copying, then try again."
                        )
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            raise DatabaseError(
                f"the copy into {target.location} failed and was undone: {from_postgres(exc)}"
            ) from None
        return counts
    finally:
        reader.close()
