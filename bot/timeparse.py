"""Reading times that members type: dates, clock times, "in 3 days", zones and Discord timestamps.

Pure functions, no Discord: `read_when(text, now=..., zone=...)` returns the instant (UTC unix
seconds) and the zone it was read in, or raises a UserError whose example works. Wall-clock times
that a daylight-saving change makes happen twice, or never, are refused rather than guessed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from .errors import UserError
from .text import excerpt
from .timezones import find_zone, suggest_zones

__all__ = [
    "MAX_AHEAD",
    "When",
    "Zone",
    "describe",
    "format_duration",
    "humanize_delta",
    "local_to_utc",
    "parse_duration",
    "read_when",
    "resolve_wall",
    "zone_label",
]

MAX_AHEAD = 10 * 366 * 86_400  # ten years: further than any announced premiere
# The parser knows no feature: a caller passes its own command as the example ("{when}" marks where a
# working time goes). Without one, the example is just a time that works.
DEFAULT_EXAMPLE = "{when}"

Zone = ZoneInfo | dt.timezone

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_WORDS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DAY_WORDS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# Abbreviations fans type after a time. North American ones mean the region's civil time (with
# daylight saving), which is what "9pm ET" or "9pm EST" means in a premiere announcement.
ZONE_ABBREVIATIONS: dict[str, str] = {
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
    "et": "America/New_York",
    "est": "America/New_York",
    "edt": "America/New_York",
    "ct": "America/Chicago",
    "cst": "America/Chicago",
    "cdt": "America/Chicago",
    "mt": "America/Denver",
    "mst": "America/Denver",
    "mdt": "America/Denver",
    "pt": "America/Los_Angeles",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "bst": "Europe/London",
    "cet": "Europe/Paris",
    "cest": "Europe/Paris",
    "aest": "Australia/Sydney",
    "aedt": "Australia/Sydney",
    "ist": "Asia/Kolkata",
    "jst": "Asia/Tokyo",
}

_UNITS: dict[str, int] = {}
for _names, _seconds in (
    (("s", "sec", "secs", "second", "seconds"), 1),
    (("m", "min", "mins", "minute", "minutes"), 60),
    (("h", "hr", "hrs", "hour", "hours"), 3600),
    (("d", "day", "days"), 86_400),
    (("w", "wk", "wks", "week", "weeks"), 604_800),
    (("mo", "mos", "month", "months"), 30 * 86_400),
    (("y", "yr", "yrs", "year", "years"), 365 * 86_400),
):
    for _name in _names:
        _UNITS[_name] = _seconds

_DISCORD_TS = re.compile(r"^<t:(-?\d{1,13})(?::([a-zA-Z]))?>$")
_DIGITS = re.compile(r"^\d+$")
_DURATION_PART = re.compile(r"(\d{1,7}|an|a|one)\s*([a-z]+)")
_OFFSET_ZONE = re.compile(r"^(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?$")
_ISO_DATE = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$")
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?$")
_TIME = re.compile(r"^(\d{1,2})(?:[:.](\d{2}))?(?::(\d{2}))?(am|pm|a|p)?$")
_DAY_NUMBER = re.compile(r"^(\d{1,2})(st|nd|rd|th)?$")
_YEAR = re.compile(r"^(\d{4})$")
_FILLER = {"at", "on", "the", "of", "this", "next", "by"}


@dataclass(frozen=True, slots=True)
class When:
    """An instant read from text, and the zone it was read in (for previews and weekly cadences)."""

    at: int
    zone: Zone
    wall: dt.datetime | None = None  # the naive local time as typed, when the text named one


def zone_label(zone: Zone) -> str:
    if isinstance(zone, ZoneInfo):
        return zone.key
    offset = zone.utcoffset(None)
    total = int(offset.total_seconds())
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total) // 60, 60)
    return f"UTC{sign}{hours:02d}:{minutes:02d}"


def describe(at: int, zone: Zone, *, with_zone: bool = True) -> str:
    """How the bot reads an instant in a zone, e.g. 'Fri 17 Jan 2025 21:00 America/New_York'."""
    local = dt.datetime.fromtimestamp(at, dt.UTC).astimezone(zone)
    text = f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year} {local:%H:%M}"
    return f"{text} {zone_label(zone)}" if with_zone else text


def humanize_delta(seconds: float) -> str:
    """'in 3 days', 'in 2 hours', '5 minutes ago': a coarse relative time for previews."""
    future = seconds >= 0
    left = abs(int(seconds))
    for size, unit in ((86_400 * 7, "week"), (86_400, "day"), (3600, "hour"), (60, "minute")):
        if left >= size * (2 if unit == "week" else 1):
            count = left // size
            break
    else:
        count, unit = left, "second"
    phrase = f"{count} {unit}{'s' if count != 1 else ''}"
    return f"in {phrase}" if future else f"{phrase} ago"


def format_duration(seconds: int) -> str:
    """A compact duration such as '7d', '1d12h' or '10m' (the form milestones are typed in)."""
    if seconds <= 0:
        return "0m"
    parts = []
    for size, unit in ((86_400, "d"), (3600, "h"), (60, "m"), (1, "s")):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def parse_duration(text: str) -> int:
    """Seconds in '2h 30m', '3 days', 'a week', '1w2d'. Raises ValueError when it is not a duration."""
    cleaned = re.sub(r"\band\b|,", " ", text.strip().lower())
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise ValueError("empty duration")
    total = 0
    position = 0
    for match in _DURATION_PART.finditer(cleaned):
        if cleaned[position : match.start()].strip():
            raise ValueError(f"unexpected {cleaned[position : match.start()]!r}")
        amount_text, unit = match.groups()
        amount = 1 if amount_text in ("a", "an", "one") else int(amount_text)
        if unit not in _UNITS:
            raise ValueError(f"unknown unit {unit!r}")
        total += amount * _UNITS[unit]
        position = match.end()
    if position == 0 or cleaned[position:].strip():
        raise ValueError("not a duration")
    return total


def _shown(text: str) -> str:
    return excerpt(text)


def _example(template: str, when: str) -> str:
    return template.replace("{when}", when)


def _kept(rest: str) -> str:
    """The member's own date and time for an example that fixes only the zone, when it is short and
    plain enough to quote; otherwise a time that works (an example never echoes input at length)."""
    return rest if len(rest) <= 30 and _shown(rest) == rest else "jan 17 9pm"


def _fmt_wall(wall: dt.datetime) -> str:
    return f"{wall:%Y-%m-%d %H:%M}"


def _transition(first: dt.datetime, zone: ZoneInfo) -> tuple[str, str]:
    """The wall-clock change around an ambiguous or skipped time: ('02:00 EST', '03:00 EDT')."""
    base = int(first.timestamp())
    offset_at = [dt.datetime.fromtimestamp(base + m * 60, dt.UTC).astimezone(zone) for m in range(-180, 181)]
    for before, after in itertools.pairwise(offset_at):
        if before.utcoffset() != after.utcoffset():
            change = after.astimezone(dt.UTC)
            old_wall = (change + (before.utcoffset() or dt.timedelta())).replace(tzinfo=None)
            return f"{old_wall:%H:%M} {before.tzname()}", f"{after:%H:%M} {after.tzname()}"
    return "?", "?"  # pragma: no cover - fold and gap always have a transition within 3 hours


def local_to_utc(wall: dt.datetime, zone: Zone, *, example: str = DEFAULT_EXAMPLE) -> int:
    """The instant a naive local time names in `zone`; refuses times a DST change repeats or skips."""
    if isinstance(zone, dt.timezone):
        return int(wall.replace(tzinfo=zone).timestamp())
    first = wall.replace(tzinfo=zone, fold=0)
    second = wall.replace(tzinfo=zone, fold=1)
    if first.utcoffset() == second.utcoffset():
        return int(first.timestamp())
    earlier, later = sorted((first, second), key=lambda d: d.timestamp())
    old, new = _transition(first, zone)
    round_trip = earlier.astimezone(dt.UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != wall:
        raise UserError(
            f"`{_fmt_wall(wall)}` never happens in {zone.key}: that night clocks jump from {old} to {new}, "
            "so the time is skipped. Pick a time outside the gap.",
            example=_example(example, f"{wall:%Y-%m-%d} {(wall + dt.timedelta(hours=1)):%H:%M} {zone.key}"),
        )
    a_utc, b_utc = earlier.astimezone(dt.UTC), later.astimezone(dt.UTC)
    raise UserError(
        f"`{_fmt_wall(wall)}` happens twice in {zone.key}: that night clocks go back from {old} to {new}, "
        f"so it is first {earlier.tzname()} ({a_utc:%H:%M} UTC), then {later.tzname()} "
        f"({b_utc:%H:%M} UTC). Say which one you mean in UTC.",
        example=_example(example, f"{a_utc:%Y-%m-%d %H:%M} UTC"),
    )


def resolve_wall(wall: dt.datetime, zone: Zone) -> int:
    """The instant of a local time without refusing: a skipped time moves forward past the gap, a
    repeated one takes its first occurrence. For schedules computed by the bot (weekly episodes)."""
    # fold=0 reads the time with the offset in force before the change: for a repeated hour that is
    # its first occurrence, and for a skipped one it lands the same distance past the jump.
    return int(wall.replace(tzinfo=zone, fold=0).timestamp())


def _split_zone(text: str, example: str) -> tuple[str, Zone | None]:
    """Take a trailing zone off the text: an IANA name, an abbreviation such as ET, or UTC+2."""
    parts = text.rsplit(None, 1)
    if len(parts) != 2:
        return text, None
    rest, last = parts
    folded = last.lower()
    if folded in ZONE_ABBREVIATIONS:
        return rest, ZoneInfo(ZONE_ABBREVIATIONS[folded])
    offset = _OFFSET_ZONE.match(folded)
    if offset and (folded.startswith(("utc", "gmt")) or ":" in folded or len(folded) == 5):
        sign, hours, minutes = offset.group(1), int(offset.group(2)), int(offset.group(3) or 0)
        if hours > 14 or minutes >= 60:
            raise UserError(
                f"`{last}` is not a UTC offset: offsets run from UTC-12 to UTC+14.",
                example=_example(example, f"{_kept(rest)} UTC+2"),
            )
        delta = dt.timedelta(hours=hours, minutes=minutes)
        return rest, dt.timezone(-delta if sign == "-" else delta)
    if "/" in last and not _NUMERIC_DATE.match(last) and not _ISO_DATE.match(last):
        name = find_zone(last)
        if name is None:
            guesses = suggest_zones(last)
            hint = f" Did you mean {' or '.join(f'`{g}`' for g in guesses)}?" if guesses else ""
            raise UserError(
                f"`{_shown(last)}` is not a timezone I know.{hint} Use an IANA name such as `America/New_York`.",
                example=_example(example, f"{_kept(rest)} {guesses[0] if guesses else 'America/New_York'}"),
            )
        return rest, ZoneInfo(name)
    name = find_zone(last)
    if name is not None and not _TIME.match(folded):
        return rest, ZoneInfo(name)
    return text, None


def _prefix_of(token: str, words: tuple[str, ...]) -> int | None:
    """The index of the word `token` abbreviates (at least three letters: 'jan', 'sept', 'thurs')."""
    token = token.rstrip(".")
    if len(token) < 3 or not token.isalpha():
        return None
    return next((index for index, word in enumerate(words) if word.startswith(token)), None)


def _month(token: str) -> int | None:
    index = _prefix_of(token, _MONTH_WORDS)
    return None if index is None else index + 1


def _weekday(token: str) -> int | None:
    return _prefix_of(token, _DAY_WORDS)


@dataclass
class _Parts:
    year: int | None = None
    month: int | None = None
    day: int | None = None
    weekday: int | None = None
    relative_day: int | None = None  # 0 today, 1 tomorrow
    time: dt.time | None = None


_NAMED_TIMES = {"noon": dt.time(12, 0), "midnight": dt.time(0, 0)}


def _parse_time(token: str) -> dt.time | None:
    if token in _NAMED_TIMES:
        return _NAMED_TIMES[token]
    match = _TIME.match(token)
    if match is None:
        return None
    hour_text, minute_text, second_text, meridiem = match.groups()
    if minute_text is None and meridiem is None:
        return None  # a bare number is a day of the month, not a time
    hour, minute, second = int(hour_text), int(minute_text or 0), int(second_text or 0)
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(f"`{token}` is not a time: with am/pm the hour runs from 1 to 12.")
        hour = hour % 12 + (12 if meridiem.startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"`{token}` is not a time of day: hours run from 00 to 23, minutes to 59.")
    return dt.time(hour, minute, second)


def _tokens(text: str) -> list[str]:
    cleaned = text.lower().replace(",", " ")
    cleaned = re.sub(r"(\d{4}-\d{1,2}-\d{1,2})t(?=\d)", r"\1 ", cleaned)
    cleaned = re.sub(
        r"(\d)\s+(a\.?m\.?|p\.?m\.?)(?=\s|$)", lambda m: m.group(1) + m.group(2).replace(".", ""), cleaned
    )
    cleaned = re.sub(r"(\d)(a|p)\.m\.?", r"\1\2m", cleaned)
    return cleaned.split()


def _iso_example(now: dt.datetime) -> str:
    """A year-month-day time that is always ahead: next January 17th at 21:00."""
    return f"{now.year + 1}-01-17 21:00"


def _read_parts(text: str, example: str, now: dt.datetime) -> _Parts:  # noqa: PLR0912 - one branch per kind of token
    parts = _Parts()
    unread: list[str] = []

    def once(field: str, value: object, token: str) -> None:
        if getattr(parts, field) is not None:
            raise UserError(
                f"`{_shown(text)}` names more than one {'time' if field == 'time' else 'date'} (`{token}`).",
                example=_example(example, "jan 17 9pm"),
            )
        setattr(parts, field, value)

    for token in _tokens(text):
        if token in _FILLER:
            continue
        if (iso := _ISO_DATE.match(token)) is not None:
            once("year", int(iso[1]), token)
            once("month", int(iso[2]), token)
            once("day", int(iso[3]), token)
            continue
        if _NUMERIC_DATE.match(token) and ("/" in token or token.count(".") == 2):
            raise UserError(
                f"`{token}` could be day/month or month/day. Write the month as a word, or use year-month-day.",
                example=_example(example, _iso_example(now)),
            )
        if token in ("today", "tonight"):
            once("relative_day", 0, token)
            continue
        if token in ("tomorrow", "tmrw", "tmr"):
            once("relative_day", 1, token)
            continue
        try:
            clock = _parse_time(token)
        except ValueError as exc:
            raise UserError(str(exc), example=_example(example, "jan 17 9pm")) from None
        if clock is not None:
            once("time", clock, token)
            continue
        if (month := _month(token)) is not None:
            once("month", month, token)
            continue
        if (weekday := _weekday(token)) is not None:
            once("weekday", weekday, token)
            continue
        if (year := _YEAR.match(token)) is not None:
            once("year", int(year[1]), token)
            continue
        if (day := _DAY_NUMBER.match(token)) is not None:
            once("day", int(day[1]), token)
            continue
        unread.append(token)
    if unread:
        guesses = suggest_zones(unread[-1]) if len(unread) == 1 else []
        hint = f" If that is a timezone, write its IANA name, such as `{guesses[0]}`." if guesses else ""
        raise UserError(
            f"I couldn't read `{_shown(' '.join(unread))}` in `{_shown(text)}`.{hint} "
            "Write a date and time (`2025-01-17 21:00`, `jan 17 9pm`, `friday 20:00`), "
            "a delay (`in 3 days`, `in 2h 30m`), or paste a Discord timestamp.",
            example=_example(example, "jan 17 9pm"),
        )
    return parts


def _candidate(date: dt.date, clock: dt.time) -> dt.datetime:
    return dt.datetime.combine(date, clock)


def _absolute(text: str, *, now: dt.datetime, zone: Zone, example: str) -> tuple[int, dt.datetime]:  # noqa: PLR0912
    parts = _read_parts(text, example, now)
    local_now = now.astimezone(zone)
    today = local_now.date()
    has_date = any(
        v is not None for v in (parts.year, parts.month, parts.day, parts.weekday, parts.relative_day)
    )
    if parts.time is None:
        if not has_date:
            raise UserError(
                f"`{_shown(text)}` has no date or time I can read.", example=_example(example, "jan 17 9pm")
            )
        raise UserError(
            f"`{_shown(text)}` needs a time of day too (a premiere at midnight is rarely right).",
            example=_example(example, f"{_shown(text)} 21:00"),
        )
    clock = parts.time

    def strict(wall: dt.datetime) -> int:
        # A time already gone is refused as past (or accepted where the past is allowed) before
        # any daylight-saving question: "it happens twice" is no help about last March.
        lenient = resolve_wall(wall, zone)
        if lenient <= now.timestamp():
            return lenient
        return local_to_utc(wall, zone, example=example)

    if parts.day is not None and parts.month is None:
        raise UserError(
            f"`{_shown(text)}`: which month is day {parts.day} in? Add the month.",
            example=_example(example, f"jan {parts.day} 9pm"),
        )
    if parts.month is not None and (parts.day is None or parts.relative_day is not None):
        raise UserError(
            f"`{_shown(text)}` needs exactly one date: a day and month (`jan 17`), a weekday, or today/tomorrow.",
            example=_example(example, "jan 17 9pm"),
        )
    if parts.weekday is not None and parts.relative_day is not None:
        raise UserError(
            f"`{_shown(text)}` names both a weekday and today/tomorrow; keep one.",
            example=_example(example, "friday 9pm"),
        )
    if parts.year is not None and parts.month is None:
        raise UserError(
            f"`{_shown(text)}` has a year but no day and month.",
            example=_example(example, "jan 17 9pm"),
        )

    if parts.year is not None and not 1970 <= parts.year <= today.year + 10:
        if parts.year < 1970:
            raise UserError(f"`{_shown(text)}` is long in the past.", example=_example(example, "in 3 days"))
        raise _too_far(example)
    if parts.month is not None and parts.day is not None:
        wall = _calendar_date(parts, clock, now=now, zone=zone, example=example)
        if parts.weekday is not None and wall.weekday() != parts.weekday:
            raise UserError(
                f"{_MONTH_WORDS[wall.month - 1].title()} {wall.day}, {wall.year} is a "
                f"{_DAY_WORDS[wall.weekday()].title()}, not a {_DAY_WORDS[parts.weekday].title()}. "
                "Which did you mean?",
                example=_example(example, f"{wall:%Y-%m-%d} {clock:%H:%M}"),
            )
        return strict(wall), wall
    if parts.relative_day is not None:
        wall = _candidate(today + dt.timedelta(days=parts.relative_day), clock)
        return strict(wall), wall
    if parts.weekday is not None:
        ahead = (parts.weekday - today.weekday()) % 7
        wall = _candidate(today + dt.timedelta(days=ahead), clock)
        if resolve_wall(wall, zone) <= now.timestamp():
            wall += dt.timedelta(days=7)
        return strict(wall), wall
    # A time alone: the next time the clock shows it.
    wall = _candidate(today, clock)
    if resolve_wall(wall, zone) <= now.timestamp():
        wall += dt.timedelta(days=1)
    return strict(wall), wall


def _calendar_date(
    parts: _Parts, clock: dt.time, *, now: dt.datetime, zone: Zone, example: str
) -> dt.datetime:
    """The wall-clock time of a day-and-month date: in the given year, or the next time it comes round."""
    assert parts.month is not None  # noqa: S101 - checked by the caller
    assert parts.day is not None  # noqa: S101
    if parts.year is not None:
        try:
            return _candidate(dt.date(parts.year, parts.month, parts.day), clock)
        except ValueError:
            raise _no_such_date(parts.year, parts.month, parts.day, example, now) from None
    today = now.astimezone(zone).date()
    for year in range(today.year, today.year + 9):
        try:
            wall = _candidate(dt.date(year, parts.month, parts.day), clock)
        except ValueError:
            continue  # 29 February outside a leap year
        if resolve_wall(wall, zone) > now.timestamp():
            return wall
    raise _no_such_date(today.year, parts.month, parts.day, example, now)


def _no_such_date(year: int, month: int, day: int, example: str, now: dt.datetime) -> UserError:
    if not 1 <= month <= 12:
        message = f"`{year}-{month:02d}-{day:02d}` is not a date: months run from 01 to 12 (year-month-day)."
    else:
        message = f"There is no {_MONTH_WORDS[month - 1].title()} {day} in {year}."
    return UserError(message, example=_example(example, _iso_example(now)))


def read_when(
    text: str,
    *,
    now: dt.datetime,
    zone: Zone,
    allow_past: bool = False,
    example: str = DEFAULT_EXAMPLE,
) -> When:
    """Read a time a member typed. `zone` is the server's; `now` is an aware datetime.

    Accepts `2025-01-17 21:00`, `jan 17 9pm` (the next such date), `friday 20:00`, `tomorrow 9pm`,
    `in 3 days`, `in 2h 30m`, any of those followed by a zone (`America/New_York`, `ET`, `UTC+2`),
    a pasted Discord timestamp `<t:1737165600:F>`, or unix seconds. `example` shows a correct use;
    `{when}` in it is replaced by a time that works.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    raw = " ".join(text.split())
    if not raw:
        raise UserError("Tell me when: a date and time, or a delay.", example=_example(example, "in 3 days"))
    now_ts = now.timestamp()
    if (stamp := _DISCORD_TS.match(raw)) is not None:
        result = When(int(stamp[1]), zone)
    elif _DIGITS.match(raw):
        if len(raw) > 20:  # no time has this many digits; int() of thousands of them raises
            raise UserError(
                f"`{_shown(raw)}` is {len(raw)} digits long: that is no time I can read.",
                example=_example(example, "in 3 days"),
            )
        if len(raw) >= 13:
            seconds = int(raw) // 1000
            raise UserError(
                f"`{_shown(raw)}` looks like milliseconds; I need unix *seconds* (10 digits).",
                example=_example(
                    example, str(seconds) if now_ts < seconds <= now_ts + MAX_AHEAD else "in 3 days"
                ),
            )
        result = When(int(raw), zone)
    else:
        result = _read_words(raw, now=now, zone=zone, example=example)
    if result.at > now_ts + MAX_AHEAD:
        raise _too_far(example)
    if not allow_past and result.at <= now_ts:
        raise UserError(
            f"`{_shown(raw)}` is in the past (<t:{result.at}:F>, <t:{result.at}:R>); pick a time still to come.",
            example=_example(example, "in 3 days"),
        )
    if result.at < 0:
        raise UserError(f"`{_shown(raw)}` is before 1970.", example=_example(example, "in 3 days"))
    return result


def _read_words(raw: str, *, now: dt.datetime, zone: Zone, example: str) -> When:
    """A delay ('in 3 days') or a date and time with an optional trailing zone."""
    lowered = raw.lower()
    relative = re.match(r"^in\s+(.+?)(?:\s+from\s+now)?$", lowered) or re.match(
        r"^(.+?)\s+from\s+now$", lowered
    )
    if relative is not None:
        try:
            seconds = parse_duration(relative.group(1))
        except ValueError:
            raise UserError(
                f"I couldn't read `{_shown(raw)}` as a delay. Use weeks, days, hours and minutes.",
                example=_example(example, "in 2h 30m"),
            ) from None
        if seconds > MAX_AHEAD:
            raise _too_far(example)
        return When(int(now.timestamp()) + seconds, zone)
    try:
        parse_duration(lowered)
    except ValueError:
        pass
    else:
        raise UserError(
            f"Did you mean `in {_shown(raw)}`? Start a delay with *in* so it isn't read as a clock time.",
            example=_example(example, f"in {_shown(raw)}"),
        )
    text_part, explicit = _split_zone(raw, example)
    read_zone = explicit or zone
    at, wall = _absolute(text_part, now=now, zone=read_zone, example=example)
    return When(at, read_zone, wall)


def _too_far(example: str) -> UserError:
    return UserError(
        "That is more than ten years away; pick a nearer time.", example=_example(example, "in 3 days")
    )
