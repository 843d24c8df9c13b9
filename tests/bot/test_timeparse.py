"""bot.timeparse: every form members type, every refusal, and properties over arbitrary input."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.timeparse import (
    MAX_AHEAD,
    describe,
    format_duration,
    humanize_delta,
    local_to_utc,
    parse_duration,
    read_when,
    resolve_wall,
)

NY = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
# Friday 10 January 2025, 12:00 UTC (07:00 in New York): a week before the Severance S2 premiere.
NOW = dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC)
PREMIERE = 1737165600  # Fri 17 Jan 2025 21:00 America/New_York = Sat 02:00 UTC

ZONES = [
    "UTC",
    "America/New_York",
    "America/Los_Angeles",
    "America/Sao_Paulo",
    "Europe/London",
    "Europe/Paris",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
    "America/St_Johns",
]


def when(text: str, *, now: dt.datetime = NOW, zone: ZoneInfo = NY) -> int:
    return read_when(text, now=now, zone=zone).at


EXAMPLE = "/countdown create title:Premiere when:{when}"  # what a feature passes in


def refusal(text: str, *, now: dt.datetime = NOW, zone: ZoneInfo = NY) -> UserError:
    with pytest.raises(UserError) as caught:
        read_when(text, now=now, zone=zone, example=EXAMPLE)
    return caught.value


def test_without_a_feature_example_the_example_is_a_time_that_works() -> None:
    with pytest.raises(UserError) as caught:
        read_when("2024-01-17 21:00", now=NOW, zone=NY)
    assert caught.value.example == "in 3 days"
    assert "countdown" not in caught.value.message.lower()


@pytest.mark.parametrize(
    "text",
    [
        "2025-01-17 21:00",
        "2025-01-17T21:00",
        "2025-01-17 9pm",
        "2025/01/17 21:00",
        "jan 17 9pm",
        "Jan 17 9 PM",
        "january 17th at 9:00 p.m.",
        "17 January 2025, 21:00",
        "17th of jan 21.00",
        "Friday, January 17, 2025 9:00 PM",
    ],
)
def test_the_premiere_written_every_way_in_the_servers_timezone(text: str) -> None:
    assert when(text) == PREMIERE


def test_an_explicit_zone_wins_over_the_servers() -> None:
    assert when("2025-01-17 21:00 America/New_York", zone=UTC) == PREMIERE
    assert when("jan 17 9pm america/new_york", zone=ZoneInfo("Asia/Tokyo")) == PREMIERE
    assert when("jan 17 9pm ET", zone=UTC) == PREMIERE
    assert when("jan 17 9pm EST", zone=UTC) == PREMIERE  # fans mean Eastern time, DST or not
    assert when("2025-01-18 02:00 UTC", zone=NY) == PREMIERE
    assert when("2025-01-18 03:00 UTC+1", zone=NY) == PREMIERE
    assert when("2025-01-17 21:00 -05:00", zone=UTC) == PREMIERE
    assert when("2025-01-18 07:30 UTC+05:30", zone=NY) == PREMIERE


@pytest.mark.parametrize("style", ["", ":t", ":T", ":d", ":D", ":f", ":F", ":R"])
def test_pasted_discord_timestamps_and_unix_seconds(style: str) -> None:
    assert when(f"<t:{PREMIERE}{style}>") == PREMIERE
    assert when(f"  <t:{PREMIERE}{style}>  ") == PREMIERE
    assert when(str(PREMIERE)) == PREMIERE


def test_relative_delays() -> None:
    base = int(NOW.timestamp())
    assert when("in 3 days") == base + 3 * 86_400
    assert when("in 2h 30m") == base + 2 * 3600 + 30 * 60
    assert when("in 2h30m") == base + 9000
    assert when("in 1 week and 2 days") == base + 9 * 86_400
    assert when("in an hour") == base + 3600
    assert when("in 45 seconds") == base + 45
    assert when("3 days from now") == base + 3 * 86_400


def test_dates_without_a_year_mean_the_next_such_date() -> None:
    # 17 January is a week away; 9 January has gone, so it is next year's.
    assert when("jan 17 9pm") == PREMIERE
    nine_jan = when("jan 9 9pm")
    assert describe(nine_jan, NY) == "Fri 9 Jan 2026 21:00 America/New_York"
    # Today, but later: still today. Today, earlier: a year on.
    assert describe(when("jan 10 8am"), NY) == "Fri 10 Jan 2025 08:00 America/New_York"
    assert describe(when("jan 10 6am"), NY) == "Sat 10 Jan 2026 06:00 America/New_York"
    # 29 February waits for a leap year.
    assert describe(when("feb 29 10am"), NY) == "Tue 29 Feb 2028 10:00 America/New_York"


def test_weekdays_today_tomorrow_and_bare_times() -> None:
    # NOW is Friday 07:00 in New York.
    assert describe(when("friday 9pm"), NY) == "Fri 10 Jan 2025 21:00 America/New_York"
    assert describe(when("fri 6am"), NY) == "Fri 17 Jan 2025 06:00 America/New_York"
    assert describe(when("thursday 21:00"), NY) == "Thu 16 Jan 2025 21:00 America/New_York"
    assert describe(when("tomorrow 21:00"), NY) == "Sat 11 Jan 2025 21:00 America/New_York"
    assert describe(when("tonight 9pm"), NY) == "Fri 10 Jan 2025 21:00 America/New_York"
    assert describe(when("9pm"), NY) == "Fri 10 Jan 2025 21:00 America/New_York"
    assert describe(when("6:30am"), NY) == "Sat 11 Jan 2025 06:30 America/New_York"
    assert describe(when("noon"), NY) == "Fri 10 Jan 2025 12:00 America/New_York"


def test_a_past_time_is_refused_with_a_future_example() -> None:
    error = refusal("2024-01-17 21:00")
    assert "is in the past" in error.message
    assert f"<t:{when('2025-01-17 21:00') - 366 * 86_400}:F>" in error.message
    assert error.example == "/countdown create title:Premiere when:in 3 days"
    assert "in the past" in refusal("today 6am").message
    assert "in the past" in refusal(str(PREMIERE - 30 * 86_400)).message
    assert "in the past" in refusal(f"<t:{int(NOW.timestamp())}:R>").message
    # allow_past reads it anyway (a season that already started).
    assert read_when("2024-01-17 21:00", now=NOW, zone=NY, allow_past=True).at < NOW.timestamp()


def test_a_wall_clock_time_skipped_by_daylight_saving_is_refused() -> None:
    error = refusal("2025-03-09 02:30")
    assert error.message.startswith("`2025-03-09 02:30` never happens in America/New_York")
    assert "clocks jump from 02:00 EST to 03:00 EDT" in error.message
    assert error.example == "/countdown create title:Premiere when:2025-03-09 03:30 America/New_York"
    assert when("2025-03-09 03:30 America/New_York") == int(
        dt.datetime(2025, 3, 9, 7, 30, tzinfo=dt.UTC).timestamp()
    )


def test_a_wall_clock_time_repeated_by_daylight_saving_is_refused_with_both_readings() -> None:
    error = refusal("2025-11-02 01:30")
    assert "happens twice in America/New_York" in error.message
    assert "clocks go back from 02:00 EDT to 01:00 EST" in error.message
    assert "first EDT (05:30 UTC), then EST (06:30 UTC)" in error.message
    assert error.example == "/countdown create title:Premiere when:2025-11-02 05:30 UTC"
    london = refusal("oct 26 1:15am", zone=ZoneInfo("Europe/London"))
    assert "happens twice in Europe/London" in london.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "Tell me when"),
        ("   ", "Tell me when"),
        ("soon", "I couldn't read `soon`"),
        ("jan 17", "needs a time of day"),
        ("17 9pm", "which month is day 17"),
        ("17/01 9pm", "could be day/month or month/day"),
        ("01/17/2025 9pm", "could be day/month or month/day"),
        ("2025-13-01 10:00", "months run from 01 to 12"),
        ("jan 32 9pm", "There is no January 32"),
        ("feb 30 2027 9pm", "There is no February 30 in 2027"),
        ("13pm", "with am/pm the hour runs from 1 to 12"),
        ("25:00", "hours run from 00 to 23"),
        ("3 days", "Did you mean `in 3 days`?"),
        ("21h", "Did you mean `in 21h`?"),
        ("in 3 fortnights", "couldn't read `in 3 fortnights` as a delay"),
        ("jan 17 9pm Europe/Pariss", "`Europe/Pariss` is not a timezone I know. Did you mean `Europe/Paris`"),
        ("jan 17 9pm paris", "such as `Europe/Paris`"),
        ("jan 17 9pm 10pm", "names more than one time"),
        ("friday tomorrow 9pm", "names both a weekday and today/tomorrow"),
        ("jan friday 9pm", "needs exactly one date"),
        ("2025 9pm", "has a year but no day and month"),
        ("1737165600000", "looks like milliseconds"),
        ("in 20 years", "more than ten years away"),
        ("2099-01-01 10:00", "more than ten years away"),
        ("1900-01-01 10:00", "long in the past"),
        ("jan 17 9pm UTC+15", "not a UTC offset"),
    ],
)
def test_refusals_say_what_is_wrong(text: str, expected: str) -> None:
    error = refusal(text)
    assert expected in error.message
    assert error.example


def test_a_zone_fix_example_keeps_a_short_date_but_never_echoes_a_long_one() -> None:
    assert "jan 17 9pm Europe/Paris" in (refusal("jan 17 9pm Europe/Pariss").example or "")
    long_rest = "America/New_York```block```<t:1737165600:F> " * 2
    example = refusal(long_rest + "Europe/Pariss").example or ""
    assert "block" not in example and "jan 17 9pm Europe/Paris" in example


EXAMPLE_WHEN = re.compile(r"when:(.*)$")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "soon",
        "jan 17",
        "17/01 9pm",
        "2025-13-01 10:00",
        "3 days",
        "in 3 fortnights",
        "jan 17 9pm Europe/Pariss",
        "2024-01-17 21:00",
        "2025-03-09 02:30",
        "2025-11-02 01:30",
        "1737165600000",
        "in 20 years",
        "13pm",
        "jan 32 9pm",
        "2025 9pm",
        "jan 17 9pm UTC+15",
    ],
)
@pytest.mark.parametrize("now", [NOW, dt.datetime(2026, 11, 23, 6, 40, tzinfo=dt.UTC)], ids=["2025", "2026"])
def test_every_refusal_carries_an_example_that_works(text: str, now: dt.datetime) -> None:
    error = refusal(text, now=now)
    assert error.example is not None
    match = EXAMPLE_WHEN.search(error.example)
    assert match is not None, error.example
    assert when(match.group(1), now=now) > now.timestamp()


def test_describe_and_humanize() -> None:
    assert describe(PREMIERE, NY) == "Fri 17 Jan 2025 21:00 America/New_York"
    assert describe(PREMIERE, UTC, with_zone=False) == "Sat 18 Jan 2025 02:00"
    assert (
        describe(PREMIERE, dt.timezone(dt.timedelta(hours=5, minutes=30)))
        == "Sat 18 Jan 2025 07:30 UTC+05:30"
    )
    assert humanize_delta(3 * 86_400) == "in 3 days"
    assert humanize_delta(86_400 * 21) == "in 3 weeks"
    assert humanize_delta(-7200) == "2 hours ago"
    assert humanize_delta(30) == "in 30 seconds"


def test_durations() -> None:
    assert parse_duration("2h 30m") == 9000
    assert parse_duration("1w2d") == 9 * 86_400
    assert parse_duration("a week") == 604_800
    assert format_duration(604_800) == "7d"
    assert format_duration(36 * 3600) == "1d12h"
    assert format_duration(600) == "10m"
    for bad in ("", "hours", "3", "3 parsecs", "2h and then"):
        with pytest.raises(ValueError, match=r"duration|unit|unexpected"):
            parse_duration(bad)


def test_resolve_wall_moves_gaps_forward_and_takes_the_first_of_a_fold() -> None:
    gap = dt.datetime(2025, 3, 9, 2, 30)
    assert resolve_wall(gap, NY) == int(
        dt.datetime(2025, 3, 9, 7, 30, tzinfo=dt.UTC).timestamp()
    )  # 03:30 EDT
    fold = dt.datetime(2025, 11, 2, 1, 30)
    assert resolve_wall(fold, NY) == int(dt.datetime(2025, 11, 2, 5, 30, tzinfo=dt.UTC).timestamp())  # EDT


# -- properties --------------------------------------------------------------------------------------
def outcome(read: Callable[[], int]) -> int | UserError:
    """The instant, or the refusal, so properties can assert on either outside an except block."""
    try:
        return read()
    except UserError as exc:
        return exc


FUTURE = st.integers(min_value=int(NOW.timestamp()) + 60, max_value=int(NOW.timestamp()) + 9 * 365 * 86_400)
ZONE = st.sampled_from(ZONES).map(ZoneInfo)
NOWS = st.integers(min_value=946_684_800, max_value=2_200_000_000).map(
    lambda ts: dt.datetime.fromtimestamp(ts, dt.UTC)
)

WORDS = st.sampled_from(
    [
        "in", "at", "on", "jan", "january", "feb", "mar", "sept", "dec", "fri", "friday", "next", "today",
        "tomorrow", "tonight", "noon", "midnight", "9pm", "9:30", "21:00", "21.00", "12am", "0:00",
        "17", "17th", "31", "2025", "2026", "2025-01-17", "2025-02-30", "1/2", "3", "days", "hours",
        "2h", "30m", "1w", "an", "hour", "and", "from", "now", "utc", "UTC+2", "-05:00", "ET",
        "America/New_York", "Europe/Pariss", "<t:1737165600:F>", "<t:99>", "1737165600", ",", "p.m.", "am",
    ]
)  # fmt: skip


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(st.text(max_size=60), st.lists(WORDS, max_size=6).map(" ".join)), now=NOWS, zone=ZONE)
@example(text="in 9999999 weeks", now=NOW, zone=NY)
@example(text="9999-12-31 23:59", now=NOW, zone=ZoneInfo("Pacific/Auckland"))
@example(text="<t:-99999999999>", now=NOW, zone=NY)
@example(text="<t:9999999999999>", now=NOW, zone=NY)
def test_any_text_is_a_future_instant_or_a_user_error(text: str, now: dt.datetime, zone: ZoneInfo) -> None:
    at = outcome(lambda: read_when(text, now=now, zone=zone).at)
    if isinstance(at, UserError):
        assert at.message
        assert at.example
        assert len(at.example) < 200
    else:
        assert now.timestamp() < at <= now.timestamp() + MAX_AHEAD


@settings(max_examples=300)
@given(at=FUTURE, zone=ZONE)
def test_a_written_local_time_reads_back_as_the_same_instant(at: int, zone: ZoneInfo) -> None:
    at -= at % 60
    local = dt.datetime.fromtimestamp(at, dt.UTC).astimezone(zone)
    text = f"{local:%Y-%m-%d %H:%M} {zone.key}"
    wall = local.replace(tzinfo=None)
    repeated = wall.replace(tzinfo=zone, fold=0).utcoffset() != wall.replace(tzinfo=zone, fold=1).utcoffset()
    if repeated:
        with pytest.raises(UserError, match="happens twice"):
            read_when(text, now=NOW, zone=UTC)
    else:
        assert read_when(text, now=NOW, zone=UTC).at == at
        # The same text without the zone, read in that zone as the server's, agrees.
        assert read_when(f"{local:%Y-%m-%d %H:%M}", now=NOW, zone=zone).at == at


@given(at=FUTURE, style=st.sampled_from(["", ":t", ":T", ":d", ":D", ":f", ":F", ":R"]), zone=ZONE)
def test_discord_timestamps_and_unix_seconds_are_taken_as_they_are(
    at: int, style: str, zone: ZoneInfo
) -> None:
    assert read_when(f"<t:{at}{style}>", now=NOW, zone=zone).at == at
    assert read_when(str(at), now=NOW, zone=zone).at == at


@given(
    weeks=st.integers(0, 20),
    days=st.integers(0, 30),
    hours=st.integers(0, 48),
    minutes=st.integers(0, 90),
    now=NOWS,
)
def test_delays_add_up(weeks: int, days: int, hours: int, minutes: int, now: dt.datetime) -> None:
    assume(weeks or days or hours or minutes)
    parts = [f"{n}{u}" for n, u in ((weeks, "w"), (days, "d"), (hours, "h"), (minutes, "m")) if n]
    total = weeks * 604_800 + days * 86_400 + hours * 3600 + minutes * 60
    assert read_when("in " + " ".join(parts), now=now, zone=NY).at == int(now.timestamp()) + total


@settings(max_examples=300)
@given(
    month=st.integers(1, 12),
    day=st.integers(1, 31),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 59]),
    now=NOWS,
    zone=ZONE,
)
def test_a_date_without_a_year_is_the_next_one_and_keeps_its_wall_clock(
    *, month: int, day: int, hour: int, minute: int, now: dt.datetime, zone: ZoneInfo
) -> None:
    text = f"{dt.date(2000, month, 1):%b} {day} {hour:02d}:{minute:02d}"
    at = outcome(lambda: read_when(text, now=now, zone=zone).at)
    if isinstance(at, UserError):
        # Only impossible dates, or a time a DST change skips or repeats on that day, are refused.
        assert re.search(r"There is no|never happens|happens twice", at.message), at.message
        return
    local = dt.datetime.fromtimestamp(at, dt.UTC).astimezone(zone)
    assert (local.month, local.day, local.hour, local.minute) == (month, day, hour, minute)
    assert now.timestamp() < at <= now.timestamp() + 4 * 366 * 86_400  # 29 Feb waits up to four years
    if not (month == 2 and day == 29):
        assert at <= now.timestamp() + 367 * 86_400


@given(
    start=st.datetimes(min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1)),
    zone=ZONE,
)
def test_strict_and_lenient_wall_clock_readings_agree_whenever_the_time_is_unambiguous(
    start: dt.datetime, zone: ZoneInfo
) -> None:
    wall = start.replace(second=0, microsecond=0)
    strict = outcome(lambda: local_to_utc(wall, zone))
    if isinstance(strict, UserError):
        assert re.search(r"never happens|happens twice", strict.message)
        return
    assert strict == resolve_wall(wall, zone)
    assert dt.datetime.fromtimestamp(strict, dt.UTC).astimezone(zone).replace(tzinfo=None) == wall
