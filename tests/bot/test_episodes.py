"""Episode codes: the forms members type, and the refusals with examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.episodes import EpisodeCode, parse_episode
from bot.errors import UserError


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("S2E3", EpisodeCode(2, 3)),
        ("s02e03", EpisodeCode(2, 3)),
        ("2x03", EpisodeCode(2, 3)),
        (" S2 E3 ", EpisodeCode(2, 3)),
        ("season 2 episode 3", EpisodeCode(2, 3)),
        ("S1E10", EpisodeCode(1, 10)),
    ],
)
def test_accepted_forms(text: str, code: EpisodeCode) -> None:
    assert parse_episode(text) == code
    assert str(code) == f"S{code.season}E{code.episode}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("S0E0", "`S0E0` is not an episode: seasons and episodes are numbered from 1."),
        ("S2E0", "`S2E0` is not an episode: seasons and episodes are numbered from 1."),
        ("hello", "`hello` is not an episode code. Write it as `S2E3`, `2x03` or `s02e03`."),
        ("", "`(empty)` is not an episode code."),
        ("S100E1", "`S100E1` is out of range"),
        ("`S2E3`", "`'S2E3'` is not an episode code."),
    ],
)
def test_refusals_say_what_is_wrong_with_an_example(text: str, message: str) -> None:
    with pytest.raises(UserError) as info:
        parse_episode(text, example_command="/recap read episode:{code}")
    assert info.value.message.startswith(message)
    assert info.value.example is not None and info.value.example.startswith("/recap read episode:S")


def test_a_code_past_the_end_of_a_scheduled_season_is_refused() -> None:
    with pytest.raises(UserError) as info:
        EpisodeCode(2, 99).check_in_schedule({2: 10}, "/recap read episode:{code}")
    assert info.value.message == "Season 2 has 10 episodes in this server's schedule, so there is no S2E99."
    assert info.value.example == "/recap read episode:S2E10"
    EpisodeCode(2, 10).check_in_schedule({2: 10}, "x")  # the last one is fine
    EpisodeCode(3, 99).check_in_schedule({2: 10}, "x")  # a season with no schedule is not checked


@given(st.integers(1, 99), st.integers(1, 999))
def test_codes_round_trip(season: int, episode: int) -> None:
    code = EpisodeCode(season, episode)
    assert parse_episode(str(code)) == code
    assert parse_episode(f"{season}x{episode:02d}") == code


@given(st.text(max_size=60))
def test_any_text_parses_or_is_refused_cleanly(text: str) -> None:
    outcome: EpisodeCode | UserError
    try:
        outcome = parse_episode(text)
    except UserError as exc:
        outcome = exc
    if isinstance(outcome, UserError):
        assert "\n" not in outcome.message
    else:
        assert 1 <= outcome.season <= 99 and 1 <= outcome.episode <= 999


def test_ordering() -> None:
    assert EpisodeCode(1, 10) < EpisodeCode(2, 1) < EpisodeCode(2, 3)
    assert max(EpisodeCode(2, 3), EpisodeCode(2, 10)) == EpisodeCode(2, 10)
