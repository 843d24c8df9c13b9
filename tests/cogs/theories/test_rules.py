"""Theory rules and rendering: vote arithmetic, thread names, titles, plain chunks (with hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.spoilers import plain_chunks
from cogs.theories.rules import DOUBTFUL, PLAUSIBLE, STATUSES, thread_name, vote_change

choices = st.sampled_from([PLAUSIBLE, DOUBTFUL])


def test_vote_change_cases() -> None:
    assert vote_change(None, PLAUSIBLE).kind == "added"
    assert (vote_change(None, DOUBTFUL).plausible, vote_change(None, DOUBTFUL).doubtful) == (0, 1)
    switched = vote_change(PLAUSIBLE, DOUBTFUL)
    assert (switched.kind, switched.new, switched.plausible, switched.doubtful) == (
        "changed",
        DOUBTFUL,
        -1,
        1,
    )
    withdrawn = vote_change(DOUBTFUL, DOUBTFUL)
    assert (withdrawn.kind, withdrawn.new, withdrawn.doubtful) == ("withdrawn", None, -1)
    with pytest.raises(ValueError, match="not a vote"):
        vote_change(None, 0)


@given(st.lists(choices, max_size=30))
def test_any_click_sequence_leaves_counts_matching_the_last_vote(clicks: list[int]) -> None:
    vote: int | None = None
    plausible = doubtful = 0
    for clicked in clicks:
        change = vote_change(vote, clicked)
        vote, plausible, doubtful = change.new, plausible + change.plausible, doubtful + change.doubtful
        assert plausible in (0, 1) and doubtful in (0, 1)
    assert (plausible, doubtful) == (int(vote == PLAUSIBLE), int(vote == DOUBTFUL))


def test_thread_names() -> None:
    assert thread_name(12, "Goats") == "#12 \N{MIDDLE DOT} Goats"
    assert thread_name(12, "Goats", "confirmed").startswith("\N{WHITE HEAVY CHECK MARK} #12")
    assert thread_name(3, "Goats", "debunked").startswith("\N{CROSS MARK} #3")


@given(st.integers(1, 10**9), st.text(min_size=1, max_size=100))
def test_thread_names_fit_discord(number: int, title: str) -> None:
    for status in STATUSES:
        name = thread_name(number, title, status)
        assert 1 <= len(name) <= 100 and f"#{number}" in name


@given(st.text(min_size=1, max_size=6000), st.text(max_size=300))
def test_plain_chunks_fit_and_keep_every_word(text: str, header: str) -> None:
    chunks = plain_chunks(text, header=header)
    assert all(1 <= len(c) <= 2000 for c in chunks)

    def visible(s: str) -> str:
        return "".join(s.replace("\N{ZERO WIDTH SPACE}", "").split())

    assert visible("".join(chunks)) == visible(header + text)
