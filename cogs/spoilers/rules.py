"""The spoiler settings' rules as plain functions: how long an episode stays fresh."""

from __future__ import annotations

import re

from bot.errors import UserError
from bot.text import excerpt

__all__ = ["EX_WINDOW", "MAX_WINDOW", "MIN_WINDOW", "describe_window", "parse_window"]

HOUR, DAY = 3600, 86_400
MIN_WINDOW, MAX_WINDOW = HOUR, 365 * DAY
EX_WINDOW = "/spoilers window length:7 days"
_UNITS = {
    "h": HOUR, "hr": HOUR, "hrs": HOUR, "hour": HOUR, "hours": HOUR,
    "d": DAY, "day": DAY, "days": DAY,
    "w": 7 * DAY, "wk": 7 * DAY, "week": 7 * DAY, "weeks": 7 * DAY,
}  # fmt: skip
_PART = re.compile(r"(\d{1,4})\s*([a-z]+)")


def parse_window(text: str) -> int:
    """Read "7 days", "36h", "2 weeks" or "1 week 3 days" as seconds, between an hour and a year."""
    cleaned = " ".join(text.lower().replace(",", " ").replace(" and ", " ").split())
    parts = _PART.findall(cleaned)
    if not parts or _PART.sub("", cleaned).strip():
        raise UserError(
            f"I couldn't read `{excerpt(cleaned)}` as a length of time. Write it in hours, days or weeks.",
            example=EX_WINDOW,
        )
    total = 0
    for amount, unit in parts:
        if unit not in _UNITS:
            raise UserError(
                f"`{excerpt(unit, 20)}` is not a unit I know: use hours, days or weeks.", example=EX_WINDOW
            )
        total += int(amount) * _UNITS[unit]
    if not MIN_WINDOW <= total <= MAX_WINDOW:
        raise UserError(
            "The spoiler window must be between 1 hour and 365 days.",
            example=EX_WINDOW,
        )
    return total


def describe_window(seconds: int) -> str:
    """7 days, 36 hours, 1 day 12 hours."""
    days, rest = divmod(seconds, DAY)
    hours = rest // HOUR
    parts = [f"{days} day{'s' if days != 1 else ''}"] if days else []
    if hours or not parts:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    return " ".join(parts)
