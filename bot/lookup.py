"""Finding what a member named in an option: a number from autocomplete, "#12", or an exact title.

Countdowns and theories are both picked this way (`countdown:`, `theory:`), so it is written once.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from .errors import UserError
from .text import escape, excerpt

__all__ = ["ROW_ID_MAX", "find_by_ref", "parse_ref", "row_id"]

T = TypeVar("T")
ROW_ID_MAX = 2**63 - 1  # SQLite's largest integer; a bigger one can't be a row's id
_ASCII_DIGITS = re.compile(r"[0-9]{1,19}")


def row_id(text: str) -> int:
    """A row id read from member input or a button's custom_id: ASCII digits within SQLite's integer
    range, else 0, which no row has (so the caller answers "no longer exists", never an incident).
    str.isdigit() is no test: "²" passes it and int() refuses it."""
    if not _ASCII_DIGITS.fullmatch(text):
        return 0
    number = int(text)
    return number if number <= ROW_ID_MAX else 0


def parse_ref(text: str) -> int | None:
    """The number in "12", "#12" or " # 12 ", or None when the text is not a number."""
    number = "".join(text.split()).removeprefix("#")
    return row_id(number) or None


async def find_by_ref(
    text: str,
    *,
    by_number: Callable[[int], Awaitable[T | None]],
    by_title: Callable[[str], Awaitable[Sequence[T]]],
    number_of: Callable[[T], int],
    noun: tuple[str, str],
    example: str,
) -> T:
    """The one item `text` names: by number first, else by exact title (ignoring case), which must
    match exactly one. `noun` is the singular and plural ("countdown", "countdowns"); `example` is a
    command with `{number}` where a number goes. Anything else is a UserError that says why."""
    singular, plural = noun
    cleaned = " ".join(text.split())
    number = parse_ref(cleaned)
    if number is not None:
        found = await by_number(number)
        if found is not None:
            return found
    matches = await by_title(cleaned)
    if len(matches) == 1:
        return matches[0]
    if matches:
        numbers = ", ".join(f"#{number_of(m)}" for m in matches[:5])
        raise UserError(
            f"{len(matches)} {plural} are called **{escape(excerpt(cleaned))}** ({numbers}); pick one by number.",
            example=example.format(number=number_of(matches[0])),
        )
    raise UserError(
        f"No {singular} in this server matches `{excerpt(cleaned)}`. Pick one from the list as you type.",
        example=example.format(number=1),
    )
