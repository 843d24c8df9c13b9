"""Finding what a member named in an option: a number from autocomplete, "#12", or an exact title.

Countdowns and theories are both picked this way (`countdown:`, `theory:`), so it is written once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from .errors import UserError
from .text import escape

__all__ = ["find_by_ref", "parse_ref"]

T = TypeVar("T")
MAX_DIGITS = 18  # fits SQLite's 64-bit integers


def parse_ref(text: str) -> int | None:
    """The number in "12", "#12" or " # 12 ", or None when the text is not a number."""
    number = "".join(text.split()).removeprefix("#")
    return int(number) if number.isdigit() and len(number) <= MAX_DIGITS else None


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
            f"{len(matches)} {plural} are called **{escape(cleaned)}** ({numbers}); pick one by number.",
            example=example.format(number=number_of(matches[0])),
        )
    shown = cleaned[:60].replace("`", "'")
    raise UserError(
        f"No {singular} in this server matches `{shown}`. Pick one from the list as you type.",
        example=example.format(number=1),
    )
