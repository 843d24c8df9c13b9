"""The spoiler window's rules, without Discord."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.episodes import EpisodeCode
from bot.errors import UserError
from cogs.spoilers.rules import (
    DAY,
    HOUR,
    MAX_WINDOW,
    MIN_WINDOW,
    describe_window,
    parse_window,
)

GUILD = 42
S2E3 = EpisodeCode(2, 3)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("7 days", 7 * DAY),
        ("36h", 36 * HOUR),
        ("2 weeks", 14 * DAY),
        ("1 week, 3 days", 10 * DAY),
        ("1 hour", HOUR),
    ],
)
def test_window_lengths(text: str, seconds: int) -> None:
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["", "hello", "7", "0 days", "366 days", "3 fortnights", "7 days ago"])
def test_bad_window_lengths_say_how(text: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_window(text)
    assert refused.value.example == "/spoilers window length:7 days"


@given(st.text(max_size=60))
def test_any_typed_window_is_read_or_refused_clearly(text: str) -> None:
    try:
        seconds = parse_window(text)
    except UserError as exc:
        example = exc.example
        assert example == "/spoilers window length:7 days"
        return
    assert MIN_WINDOW <= seconds <= MAX_WINDOW


def test_describe_window() -> None:
    assert describe_window(7 * DAY) == "7 days"
    assert describe_window(36 * HOUR) == "1 day 12 hours"
    assert describe_window(HOUR) == "1 hour"
