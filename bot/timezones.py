"""IANA timezone names: validation with suggestions, and autocomplete."""

from __future__ import annotations

import difflib
import functools
import zoneinfo

from .errors import UserError
from .text import excerpt

__all__ = ["POPULAR_ZONES", "find_zone", "resolve_zone", "search_zones", "zone_names"]

# Shown when the member has typed nothing yet: where most English-speaking fan servers live.
POPULAR_ZONES = (
    "UTC",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
    "America/Toronto",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Stockholm",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Manila",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Perth",
    "Pacific/Auckland",
)

_EXAMPLE = "/config timezone zone:America/New_York"


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every IANA name zoneinfo can load (from tzdata), sorted, without the legacy 'posix/' copies."""
    return tuple(sorted(n for n in zoneinfo.available_timezones() if not n.startswith(("posix/", "right/"))))


@functools.cache
def _by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in zone_names()}


def find_zone(name: str) -> str | None:
    """The canonical spelling of `name` (case and spaces forgiven), or None if it is not a zone."""
    cleaned = name.strip().replace(" ", "_")
    return _by_folded_name().get(cleaned.casefold())


def resolve_zone(name: str) -> zoneinfo.ZoneInfo:
    """Load a zone or raise a UserError that suggests the closest real names."""
    canonical = find_zone(name)
    if canonical is not None:
        return zoneinfo.ZoneInfo(canonical)
    raise unknown_zone(name)


def unknown_zone(name: str) -> UserError:
    shown = excerpt(name)
    guesses = suggest_zones(name)
    hint = f" Did you mean {' or '.join(f'`{g}`' for g in guesses)}?" if guesses else ""
    return UserError(
        f"`{shown}` is not a timezone I know.{hint} Use an IANA name such as `Europe/London`; "
        "the autocomplete lists them all.",
        example=_EXAMPLE,
    )


def suggest_zones(name: str, limit: int = 3) -> list[str]:
    folded = name.strip().replace(" ", "_").casefold()
    if not folded:
        return []
    table = _by_folded_name()
    close = difflib.get_close_matches(folded, table.keys(), n=limit, cutoff=0.6)
    if not close:
        # "new york" -> America/New_York: match the city part alone.
        cities = {key.rsplit("/", 1)[-1]: key for key in table}
        close = [
            cities[c]
            for c in difflib.get_close_matches(folded.rsplit("/", 1)[-1], cities.keys(), n=limit, cutoff=0.7)
        ]
    return [table[c] for c in close]


def search_zones(current: str, limit: int = 25) -> list[str]:
    """Autocomplete: popular zones for empty input, else prefix matches first, then substring matches."""
    query = current.strip().replace(" ", "_").casefold()
    if not query:
        return list(POPULAR_ZONES[:limit])
    prefix: list[str] = []
    inner: list[str] = []
    for name in zone_names():
        folded = name.casefold()
        city = folded.rsplit("/", 1)[-1]
        if folded.startswith(query) or city.startswith(query):
            prefix.append(name)
        elif query in folded:
            inner.append(name)
    return (prefix + inner)[:limit]
