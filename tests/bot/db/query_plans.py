"""Catch the SQL a store really runs and check SQLite's plan for it: no full scan on a hot path.

The statements are captured with SQLite's trace callback while the real store methods run, so the
check follows the code instead of a copy of its SQL. Each captured statement (with its values bound
in) is then explained on a second connection to the same file.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.db.sqlite import SQLiteDatabase

_CHECKED = ("SELECT", "UPDATE", "DELETE", "WITH", "INSERT")
_SMALL_TABLES = frozenset({"bot_meta", "schema_version"})


@dataclass
class Captured:
    statements: list[str] = field(default_factory=list)

    def checked(self) -> list[str]:
        """Distinct statements worth explaining (not PRAGMAs, transaction control or schema)."""
        seen: dict[str, None] = {}
        for sql in self.statements:
            head = sql.lstrip().split(None, 1)[0].upper() if sql.strip() else ""
            if head in _CHECKED:
                seen.setdefault(sql, None)
        return list(seen)


@contextlib.asynccontextmanager
async def capture(db: SQLiteDatabase) -> AsyncIterator[Captured]:
    """Record every statement `db` runs inside the block."""
    captured = Captured()
    await db.trace(captured.statements.append)
    try:
        yield captured
    finally:
        await db.trace(None)


def full_scans(path: Path, statements: list[str]) -> dict[str, list[str]]:
    """For each statement whose plan reads a whole table (or a whole index), the offending plan
    lines. A plan step that searches an index by key is fine; `SCAN` is not, except over the
    tiny bookkeeping tables."""
    problems: dict[str, list[str]] = {}
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        # A partial index holds only the rows its WHERE matches (the pending jobs, say), so
        # walking it reads exactly the rows asked for, not the table.
        partial = {
            name
            for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'")
            if sql and " WHERE " in sql.upper()
        }
        for sql in statements:
            plan = conn.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall()
            bad = [
                detail
                for _id, _parent, _unused, detail in plan
                if detail.startswith("SCAN ")
                and not detail.startswith("SCAN CONSTANT ROW")
                and detail.split()[1] not in _SMALL_TABLES
                and not _walks_partial_index(detail, partial)
            ]
            if bad:
                problems[" ".join(sql.split())[:300]] = bad
    finally:
        conn.close()
    return problems


def _walks_partial_index(detail: str, partial: set[str]) -> bool:
    words = detail.split()
    return "INDEX" in words and words[words.index("INDEX") + 1] in partial
