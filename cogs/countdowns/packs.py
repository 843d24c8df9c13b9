"""Show schedule packs: JSON files in data/shows/ that `/countdown import` loads (format in its README)."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.timeparse import local_to_utc
from bot.timezones import find_zone

__all__ = ["PACKS_DIR", "Pack", "PackEpisode", "PackSeason", "list_packs", "load_pack", "parse_pack"]

PACKS_DIR = Path(__file__).resolve().parents[2] / "data" / "shows"
FORMAT_VERSION = 1
MAX_EPISODES = 50
MAX_ERRORS_SHOWN = 5
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_AIR = re.compile(r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2})$")
_IMPORT_EXAMPLE = "/countdown import pack:severance"


@dataclass(frozen=True, slots=True)
class PackEpisode:
    number: int
    title: str | None
    air_at: int  # UTC unix seconds
    air_local: str  # as written in the pack, e.g. '2025-01-16 21:00'


@dataclass(frozen=True, slots=True)
class PackSeason:
    number: int
    zone: str
    episodes: tuple[PackEpisode, ...]


@dataclass(frozen=True, slots=True)
class Pack:
    slug: str
    show: str
    network: str | None
    source: str | None
    notes: str | None
    seasons: tuple[PackSeason, ...]

    def season(self, number: int) -> PackSeason | None:
        return next((s for s in self.seasons if s.number == number), None)

    @property
    def summary(self) -> str:
        """'Severance: season 2 (10 episodes)' for autocomplete and replies."""
        seasons = ", ".join(f"season {s.number} ({len(s.episodes)} episodes)" for s in self.seasons)
        return f"{self.show}: {seasons}"


class _Problems:
    """Collects what is wrong with a pack, with where (a JSON path), so a moderator can fix it all."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"`{where}`: {message}" if where else message)

    def raise_if_any(self) -> None:
        if not self.items:
            return
        shown = self.items[:MAX_ERRORS_SHOWN]
        more = len(self.items) - len(shown)
        text = (
            f"The pack `{self.name}` has {len(self.items)} problem{'s' if len(self.items) != 1 else ''}:\n- "
            + "\n- ".join(shown)
        )
        if more:
            text += f"\n- ...and {more} more"
        raise UserError(text + "\nThe format is described in data/shows/README.md.", example=_IMPORT_EXAMPLE)


def _text(value: Any, where: str, problems: _Problems, *, required: bool, limit: int) -> str | None:
    if value is None:
        if required:
            problems.add(where, "is missing")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(where, "must be a non-empty string")
        return None
    cleaned = " ".join(value.split())
    if len(cleaned) > limit:
        problems.add(where, f"is {len(cleaned)} characters; at most {limit}")
        return None
    return cleaned


def _int(value: Any, where: str, problems: _Problems, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.add(where, f"must be a whole number from {low} to {high}")
        return None
    if not low <= value <= high:
        problems.add(where, f"is {value}; it must be from {low} to {high}")
        return None
    return value


def _zone(value: Any, where: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or find_zone(value) is None:
        problems.add(where, f"`{str(value)[:40]}` is not an IANA timezone such as `America/New_York`")
        return None
    return find_zone(value)


def _air(value: Any, zone: str | None, where: str, problems: _Problems) -> int | None:
    if not isinstance(value, str) or (match := _AIR.match(value.strip())) is None:
        problems.add(
            where, "must be a local date and time written `YYYY-MM-DD HH:MM`, e.g. `2025-01-16 21:00`"
        )
        return None
    year, month, day, hour, minute = (int(g) for g in match.groups())
    try:
        wall = dt.datetime(year, month, day, hour, minute)  # noqa: DTZ001 - a wall-clock time, zoned below
    except ValueError:
        problems.add(where, f"`{value}` is not a real date and time")
        return None
    if zone is None:
        return None
    try:
        return local_to_utc(wall, ZoneInfo(zone), example=_IMPORT_EXAMPLE)
    except UserError as exc:
        problems.add(where, exc.message)
        return None


_ALLOWED_TOP = {"format", "show", "network", "zone", "source", "notes", "seasons"}
_ALLOWED_SEASON = {"season", "zone", "episodes"}
_ALLOWED_EPISODE = {"number", "title", "air"}


def _parse_episode(
    data: Any, where: str, zone: str | None, seen: set[int], problems: _Problems
) -> PackEpisode | None:
    if not isinstance(data, dict):
        problems.add(where, "must be an object with `number`, `title` and `air`")
        return None
    for key in sorted(set(data) - _ALLOWED_EPISODE):
        problems.add(f"{where}.{key}", "is not an episode field (misspelt?)")
    number = _int(data.get("number"), f"{where}.number", problems, 1, 999)
    if number is not None:
        if number in seen:
            problems.add(f"{where}.number", f"episode {number} appears twice")
        seen.add(number)
    title = _text(data.get("title"), f"{where}.title", problems, required=False, limit=100)
    air_at = _air(data.get("air"), zone, f"{where}.air", problems)
    if number is None or air_at is None:
        return None
    return PackEpisode(number, title, air_at, str(data["air"]).strip())


def _parse_season(
    data: Any, where: str, *, default_zone: str | None, zone_given: bool, seen: set[int], problems: _Problems
) -> PackSeason | None:
    if not isinstance(data, dict):
        problems.add(where, "must be an object with `season` and `episodes`")
        return None
    for key in sorted(set(data) - _ALLOWED_SEASON):
        problems.add(f"{where}.{key}", "is not a season field (misspelt?)")
    number = _int(data.get("season"), f"{where}.season", problems, 1, 99)
    if number is not None:
        if number in seen:
            problems.add(f"{where}.season", f"season {number} appears twice")
        seen.add(number)
    zone = default_zone
    if "zone" in data:
        zone = _zone(data["zone"], f"{where}.zone", problems)
    elif not zone_given:
        problems.add(f"{where}.zone", "is missing (set `zone` on the pack or on the season)")
    episodes_data = data.get("episodes")
    if not isinstance(episodes_data, list) or not 1 <= len(episodes_data) <= MAX_EPISODES:
        problems.add(f"{where}.episodes", f"must be a list of 1 to {MAX_EPISODES} episodes")
        return None
    numbers: set[int] = set()
    episodes = [
        _parse_episode(e, f"{where}.episodes[{i}]", zone, numbers, problems)
        for i, e in enumerate(episodes_data)
    ]
    if number is None or zone is None:
        return None
    return PackSeason(number, zone, tuple(sorted((e for e in episodes if e), key=lambda e: e.number)))


def parse_pack(data: Any, slug: str) -> Pack:
    """Validate a decoded pack; raises a UserError listing every problem (the first few shown)."""
    problems = _Problems(slug)
    if not isinstance(data, dict):
        problems.add("", "the file must hold one JSON object")
        problems.raise_if_any()
    for key in sorted(set(data) - _ALLOWED_TOP):
        problems.add(key, "is not a pack field (misspelt?)")
    if data.get("format", FORMAT_VERSION) != FORMAT_VERSION:
        problems.add("format", f"must be {FORMAT_VERSION}")
    show = _text(data.get("show"), "show", problems, required=True, limit=100)
    network = _text(data.get("network"), "network", problems, required=False, limit=100)
    source = _text(data.get("source"), "source", problems, required=False, limit=1000)
    notes = _text(data.get("notes"), "notes", problems, required=False, limit=1000)
    default_zone = _zone(data["zone"], "zone", problems) if "zone" in data else None
    seasons_data = data.get("seasons")
    if not isinstance(seasons_data, list) or not seasons_data:
        problems.add("seasons", "must be a list with at least one season")
        seasons_data = []
    numbers: set[int] = set()
    seasons = [
        _parse_season(
            s,
            f"seasons[{i}]",
            default_zone=default_zone,
            zone_given="zone" in data,
            seen=numbers,
            problems=problems,
        )
        for i, s in enumerate(seasons_data)
    ]
    problems.raise_if_any()
    assert show is not None  # noqa: S101 - a missing show was reported above
    return Pack(
        slug, show, network, source, notes, tuple(sorted((s for s in seasons if s), key=lambda s: s.number))
    )


def load_pack(path: Path) -> Pack:
    """Read and validate one pack file."""
    slug = path.stem
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(
            f"The pack `{slug}` is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}.",
            example=_IMPORT_EXAMPLE,
        ) from None
    except OSError as exc:
        raise UserError(f"I can't read the pack `{slug}`: {exc.strerror}.", example=_IMPORT_EXAMPLE) from None
    return parse_pack(data, slug)


def list_packs(folder: Path = PACKS_DIR) -> dict[str, Path]:
    """Pack files by name (the file name without .json), sorted."""
    if not folder.is_dir():
        return {}
    return {p.stem: p for p in sorted(folder.glob("*.json")) if _SLUG.match(p.stem)}


def find_pack(name: str, folder: Path = PACKS_DIR) -> Path:
    """The pack called `name` (case and a trailing .json forgiven), or a UserError listing what exists."""
    packs = list_packs(folder)
    key = name.strip().lower().removesuffix(".json")
    if key in packs:
        return packs[key]
    available = ", ".join(f"`{p}`" for p in packs) or "none"
    raise UserError(
        f"There is no pack called `{name.strip()[:40]}`. Packs here: {available}. "
        "Moderators can add their own to data/shows/ (see its README.md).",
        example=_IMPORT_EXAMPLE,
    )
