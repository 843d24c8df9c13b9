"""Countdown rules as plain functions: titles, milestones, wording, jobs and weekly cadences."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UserError
from cogs.countdowns.rules import (
    DEFAULT_MILESTONES,
    LATE_RELEASE_LIMIT,
    MAX_MILESTONES,
    describe_milestones,
    episode_times,
    explain_milestones,
    headline,
    job_key,
    key_prefix,
    milestone_phrase,
    parse_milestones,
    plan_jobs,
    series_of,
)

DAY, HOUR = 86_400, 3600


def test_milestones_parse_to_offsets_longest_first_ending_with_the_release() -> None:
    assert parse_milestones("14d,1d,10m") == (14 * DAY, DAY, 600, 0)
    assert parse_milestones("10m 1d 14d") == (14 * DAY, DAY, 600, 0)
    assert parse_milestones("1d12h, 2w") == (14 * DAY, 36 * HOUR, 0)
    assert parse_milestones("1h, release") == (HOUR, 0)
    assert parse_milestones("release") == (0,)
    assert DEFAULT_MILESTONES == (7 * DAY, DAY, HOUR, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "at least one milestone"),
        ("1d,1d", "`1d` is listed twice"),
        ("1d,24h", "`1d` and `24h` are the same time"),
        ("7d,1w", "`7d` and `1w` are the same time"),
        ("5", "Give it a unit"),
        ("5s", "is not a milestone"),
        ("1 day", "Give it a unit"),
        ("0h", "is zero"),
        ("53w", "more than a year"),
        (",".join(f"{n}h" for n in range(1, 12)), "11 milestones; at most 10"),
    ],
)
def test_bad_milestones_are_refused(text: str, expected: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_milestones(text)
    assert expected in caught.value.message
    assert caught.value.example


@given(st.text(max_size=40))
def test_any_milestone_text_parses_to_a_valid_list_or_a_user_error(text: str) -> None:
    try:
        offsets = parse_milestones(text)
    except UserError:
        return
    assert offsets[-1] == 0
    assert list(offsets) == sorted(set(offsets), reverse=True)
    assert len(offsets) <= MAX_MILESTONES + 1
    assert all(o == 0 or 60 <= o <= 52 * 7 * DAY for o in offsets)


@given(st.lists(st.integers(1, 52 * 7 * 24 * 60), min_size=1, max_size=MAX_MILESTONES, unique=True))
def test_milestones_round_trip_through_their_labels(minutes: list[int]) -> None:
    offsets = parse_milestones(",".join(f"{m}m" if m < 10_000 else f"{m // 60}h{m % 60}m" for m in minutes))
    again = parse_milestones(",".join(describe_milestones(offsets).split(" \N{MIDDLE DOT} ")))
    assert again == offsets


def test_milestone_wording() -> None:
    assert milestone_phrase(7 * DAY) == "one week to go"
    assert milestone_phrase(DAY) == "tomorrow"
    assert milestone_phrase(HOUR) == "in one hour"
    assert milestone_phrase(0) == "it's out"
    assert milestone_phrase(14 * DAY) == "2 weeks to go"
    assert milestone_phrase(3 * DAY) == "3 days to go"
    assert milestone_phrase(600) == "10 minutes to go"
    assert milestone_phrase(36 * HOUR) == "1 day 12 hours to go"
    assert (
        describe_milestones(DEFAULT_MILESTONES)
        == "7d \N{MIDDLE DOT} 1d \N{MIDDLE DOT} 1h \N{MIDDLE DOT} release"
    )
    assert explain_milestones(DEFAULT_MILESTONES) == "7d, 1d and 1h before, and when it's out"
    assert explain_milestones((0,)) == "when it's out"


def test_headlines_are_worded_for_when_they_are_actually_posted() -> None:
    release = 1_000_000
    assert headline(0, due_at=release, release_at=release, now=release + 2) == "it's out!"
    late = headline(0, due_at=release, release_at=release, now=release + 3 * HOUR)
    assert late == f"premiered <t:{release}:R>"
    assert headline(HOUR, due_at=release - HOUR, release_at=release, now=release - HOUR) == "in one hour"
    # An hour-before announcement posted 40 minutes late must not claim "in one hour".
    assert (
        headline(HOUR, due_at=release - HOUR, release_at=release, now=release - 1200)
        == f"coming <t:{release}:R>"
    )


def test_jobs_for_a_countdown() -> None:
    now = 1_000_000.0
    release = int(now) + 2 * DAY
    plan = plan_jobs(7, 12, release, DEFAULT_MILESTONES, now)
    assert plan.passed == [7 * DAY]  # a week before is already gone
    assert [j.key for j in plan.jobs] == ["countdown:12:86400", "countdown:12:3600", "countdown:12:0"]
    assert {j.series for j in plan.jobs} == {series_of(12)} == {"countdown:12"}
    assert [j.due_at for j in plan.jobs] == [release - DAY, release - HOUR, release]
    # Before the release a milestone expires at the release; the release may run a day late.
    assert [j.expires_at for j in plan.jobs] == [release, release, release + LATE_RELEASE_LIMIT]
    assert all(j.guild_id == 7 and j.kind == "countdown" for j in plan.jobs)
    assert plan.jobs[0].payload == {"offset": DAY}
    assert job_key(1, 3600).startswith(key_prefix(1))
    assert not job_key(12, 3600).startswith(key_prefix(1))  # the trailing colon keeps #1 and #12 apart


def test_a_weekly_season_keeps_its_wall_clock_hour_across_daylight_saving() -> None:
    ny = ZoneInfo("America/New_York")
    first = dt.datetime(2025, 1, 16, 21, 0)
    times = episode_times(first, ny, 10, 7)
    utc_hours = [dt.datetime.fromtimestamp(t, dt.UTC).hour for t in times]
    assert utc_hours == [2] * 8 + [1] * 2  # DST began on 9 March 2025
    local = [dt.datetime.fromtimestamp(t, dt.UTC).astimezone(ny) for t in times]
    assert {(d.hour, d.minute, d.weekday()) for d in local} == {(21, 0, 3)}
    assert [b - a for a, b in itertools.pairwise(times)] == [7 * DAY] * 7 + [7 * DAY - HOUR] + [7 * DAY]


@given(
    start=st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    every=st.sampled_from([1, 7, 14]),
    zone=st.sampled_from(["Europe/London", "America/Sao_Paulo", "Australia/Sydney", "UTC"]).map(ZoneInfo),
)
def test_cadences_always_land_on_the_same_local_time_unless_it_does_not_exist(
    start: dt.datetime, every: int, zone: ZoneInfo
) -> None:
    start = start.replace(second=0, microsecond=0)
    for n, at in enumerate(episode_times(start, zone, 12, every)):
        local = dt.datetime.fromtimestamp(at, dt.UTC).astimezone(zone).replace(tzinfo=None)
        wanted = start + dt.timedelta(days=every * n)
        # Equal, or pushed past a skipped hour by at most the size of the jump.
        assert dt.timedelta(0) <= local - wanted <= dt.timedelta(hours=1)


def test_the_default_milestones_read_like_the_issue_says() -> None:
    assert re.fullmatch(r"7d · 1d · 1h · release", describe_milestones(DEFAULT_MILESTONES))
