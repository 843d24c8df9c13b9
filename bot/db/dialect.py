"""One SQL text for both databases: lines marked for one dialect, and PostgreSQL's numbered parameters.

The rule, for the stores and the migrations alike: SQL is written once, in the subset SQLite and
PostgreSQL both accept. A line that only one of them should see ends with the comment
`-- sqlite only` or `-- postgresql only`; the other database never sees that line. Stores write
SQLite's parameters (`?`, or `:name` with a dict); PostgreSQL gets them renumbered as `$1, $2...`.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

__all__ = ["DIALECTS", "Dialect", "for_dialect", "numbered", "numbered_many"]

Dialect = Literal["sqlite", "postgresql"]
DIALECTS: tuple[Dialect, ...] = ("sqlite", "postgresql")

_MARKER = re.compile(r"\s*--\s*(sqlite|postgresql) only\s*$")


@functools.lru_cache(maxsize=4096)
def for_dialect(sql: str, dialect: Dialect) -> str:
    """`sql` with the lines marked for the other dialect left out (and the markers removed)."""
    if " only" not in sql:
        return sql
    kept: list[str] = []
    for line in sql.split("\n"):
        marker = _MARKER.search(line)
        if marker is None:
            kept.append(line)
        elif marker[1] == dialect:
            kept.append(line[: marker.start()])
    return "\n".join(kept)


@functools.lru_cache(maxsize=4096)
def _numbered(sql: str) -> tuple[str, tuple[str | int, ...]]:
    """Rewrite `?` and `:name` parameters as `$1, $2...`, skipping string literals, quoted names,
    comments and `::` casts. Returns the new text and, per number, the `?` position or the name."""
    out: list[str] = []
    order: list[str | int] = []
    names: dict[str, int] = {}
    positional = 0
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            end = i + 1
            while end < n:
                if sql[end] == ch:
                    if end + 1 < n and sql[end + 1] == ch:  # a doubled quote inside the literal
                        end += 2
                        continue
                    break
                end += 1
            out.append(sql[i : end + 1])
            i = end + 1
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            end = n if end < 0 else end
            out.append(sql[i:end])
            i = end
        elif ch == "?":
            order.append(positional)
            positional += 1
            out.append(f"${len(order)}")
            i += 1
        elif ch == ":" and sql.startswith("::", i):
            out.append("::")
            i += 2
        elif ch == ":" and i + 1 < n and (sql[i + 1].isalpha() or sql[i + 1] == "_"):
            end = i + 1
            while end < n and (sql[end].isalnum() or sql[end] == "_"):
                end += 1
            name = sql[i + 1 : end]
            if name not in names:
                order.append(name)
                names[name] = len(order)
            out.append(f"${names[name]}")
            i = end
        else:
            out.append(ch)
            i += 1
    return "".join(out), tuple(order)


def numbered(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[str, list[Any]]:
    """The statement with PostgreSQL's `$n` parameters, and the values in that order. Booleans go
    as 0 and 1, the way SQLite stores them, since every flag column is an integer."""
    text, order = _numbered(sql)
    return text, _values(sql, order, params)


def numbered_many(sql: str, rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> tuple[str, list[list[Any]]]:
    """`numbered` for one statement and many parameter sets (executemany)."""
    text, order = _numbered(sql)
    return text, [_values(sql, order, params) for params in rows]


def _values(sql: str, order: tuple[str | int, ...], params: Sequence[Any] | Mapping[str, Any]) -> list[Any]:
    if isinstance(params, Mapping):
        values = [params[str(key)] for key in order]
    else:
        if len(order) != len(params):
            raise ValueError(f"the statement takes {len(order)} parameter(s), {len(params)} given: {sql!r}")
        values = [params[int(key)] for key in order]
    return [int(v) if isinstance(v, bool) else v for v in values]
