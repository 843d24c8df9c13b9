"""The shared spoiler core: escaping, chunking, spoiler words, windows and progress rules."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.db.spoiler_words import SpoilerWord
from bot.episodes import EpisodeCode
from bot.folding import fold
from bot.spoilers import (
    RevealRegistry,
    escape_spoiler_text,
    find_spoiler_word,
    hidden_notice,
    is_ahead,
    safe_header,
    spoiler_chunks,
    unspoilered_text,
)
from bot.text import ZWSP
from tests.support import PING, squash, unescape, visible_outside_spoilers

GUILD = 42
NOW = 1_700_000_000
S2E3, S2E5 = EpisodeCode(2, 3), EpisodeCode(2, 5)


def body_of(chunk: str, header: str) -> str:
    if header:
        assert chunk.startswith(safe_header(header) + "\n||")
        chunk = chunk[len(safe_header(header)) + 1 :]
    assert chunk.startswith("||") and chunk.endswith("||"), chunk
    return chunk[2:-2]


fragment = st.one_of(
    st.sampled_from(list("|\\`*_~>#-+.!? \n@<>&0123456789")),
    st.sampled_from(
        ["@everyone", "@here", "<@123>", "<@&456>", "<@!789>", "||", "```", "\\||", "1. ", "\n# "]
    ),
    st.text(max_size=30),
    st.just("x" * 2500),
)
user_text = st.lists(fragment, max_size=400).map("".join)
headers = st.sampled_from(["", "Recap: Severance S2E3, spoilers below", "A|B \\ @everyone", "x" * 3000])


@settings(max_examples=300, deadline=None)
@given(text=user_text, header=headers)
def test_any_text_is_hidden_balanced_short_and_cannot_ping(text: str, header: str) -> None:
    chunks = spoiler_chunks(text, header=header)
    assert chunks
    shown_header = " ".join(header.split())
    for i, chunk in enumerate(chunks):
        assert len(chunk) <= 2000
        outside = visible_outside_spoilers(chunk)  # also asserts the tags balance
        if i == 0 and shown_header and len(shown_header) <= 2000:
            # Only the header shows outside a spoiler, and only on the first message.
            assert squash(outside) == squash(unescape(safe_header(shown_header))) or squash(outside) == ""
        else:
            assert squash(outside) == "" or (i == 0 and "\N{HORIZONTAL ELLIPSIS}" in outside)
        assert not PING.search(chunk), chunk
    # Nothing is lost: the bodies unescaped give back the text, whitespace aside.
    bodies = []
    for i, chunk in enumerate(chunks):
        body = chunk.partition("\n")[2] if i == 0 and shown_header else chunk
        if body:
            bodies.append(unescape(body_of(body, "")))
    assert squash("".join(bodies)) == squash(text)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=3000), limit=st.integers(min_value=16, max_value=2000))
def test_every_limit_is_respected(text: str, limit: int) -> None:
    for chunk in spoiler_chunks(text, header="Recap S1E1", limit=limit):
        assert len(chunk) <= limit
        visible_outside_spoilers(chunk)


@given(st.text(max_size=300))
def test_escaped_text_has_no_bare_pipe_backslash_or_backtick(text: str) -> None:
    escaped = escape_spoiler_text(text)
    assert unescape(escaped) == text.replace(ZWSP, "")
    stripped = re.sub(r"\\.", "", escaped, flags=re.DOTALL)
    assert not set(stripped) & set("|\\`")


def test_a_pipe_pair_cannot_close_the_tag_early() -> None:
    [chunk] = spoiler_chunks("Mark is || actually Helly ||")
    assert visible_outside_spoilers(chunk) == ""
    assert chunk == "||Mark is \\|\\| actually Helly \\|\\|||"


def test_a_trailing_backslash_cannot_escape_the_closing_tag() -> None:
    [chunk] = spoiler_chunks("ends with \\")
    assert chunk.endswith("\\\\||")
    visible_outside_spoilers(chunk)


def test_block_markers_and_mentions_are_defused() -> None:
    escaped = escape_spoiler_text("# Big\n> quote\n-# small\n1. one\n@everyone <@&5> @here")
    assert escaped.startswith("\\# Big\n\\> quote\n\\-# small\n1\\. one")
    assert not PING.search(escaped)


def test_long_text_splits_at_lines_then_sentences_then_words() -> None:
    lines = "\n".join(f"Line {i} says something about the finale." for i in range(200))
    chunks = spoiler_chunks(lines, header="Recap: S2E3")
    assert len(chunks) > 1
    for chunk in chunks:
        assert chunk.endswith(".||")  # every message ends at a line end
    prose = " ".join(f"Sentence number {i} is here." for i in range(300))
    for chunk in spoiler_chunks(prose)[:-1]:
        assert chunk.endswith(".||")
    words = " ".join(["innie"] * 1000)
    for chunk in spoiler_chunks(words):
        assert chunk.endswith("innie||")


def test_empty_text_gives_the_header_alone() -> None:
    assert spoiler_chunks("  \n", header="Recap: S1E1") == ["Recap: S1E1"]


def test_the_header_cannot_open_a_spoiler() -> None:
    [chunk] = spoiler_chunks("secret", header="Show || name")
    assert squash(visible_outside_spoilers(chunk)) == "Show||name"


def test_spoiler_words_match_whole_words_ignoring_case_and_accents() -> None:
    words = [SpoilerWord(GUILD, S2E3, "Helly"), SpoilerWord(GUILD, S2E5, "Ms. Casey")]
    assert find_spoiler_word("HÉLLY is back", words) == words[0]
    assert find_spoiler_word("hel\u200bly!", words) == words[0]
    assert find_spoiler_word("Hellyfish", words) is None
    assert find_spoiler_word("meet  ms.   casey", words) == words[1]
    assert find_spoiler_word("nothing here", words) is None


def test_fold() -> None:
    assert fold("  Hélly\u00a0 R. ") == "helly r."


def test_is_ahead_hides_only_past_progress() -> None:
    assert is_ahead(S2E3, S2E5)
    assert not is_ahead(S2E5, S2E3)
    assert not is_ahead(S2E3, S2E3)
    assert not is_ahead(None, S2E5)  # no progress set: nothing hidden


def test_hidden_notice_names_the_episode_and_holds_a_persistent_button() -> None:
    text, view = hidden_notice(S2E5, "recap", 12, progress=S2E3)
    assert "S2E5" in text and "S2E3" in text
    [button] = view.children
    assert getattr(button, "custom_id", None) == "cliff:reveal:recap:12"


def test_reveal_kinds_are_checked() -> None:
    registry = RevealRegistry()
    with pytest.raises(ValueError, match="lowercase letters"):
        registry.register("Recap!", lambda i, n: None)  # type: ignore[arg-type,return-value]


def test_unspoilered_text_drops_closed_spoilers_only() -> None:
    assert unspoilered_text("a ||Reghabi|| b").split() == ["a", "b"]
    assert unspoilered_text("x || Reghabi") == "x || Reghabi"  # an unclosed tag hides nothing
    assert "Reghabi" in unspoilered_text("\\||Reghabi||")  # an escaped pipe opens nothing
    assert unspoilered_text("||a|| Reghabi ||b||").split() == ["Reghabi"]


@settings(max_examples=200, deadline=None)
@given(text=user_text)
def test_the_guard_sees_nothing_in_what_the_bot_reposts(text: str) -> None:
    """A reposted leak cannot trip the guard again: nothing of it is outside the tags."""
    for chunk in spoiler_chunks(text):
        assert squash(unescape(unspoilered_text(chunk))) == ""


# How Discord renders a message, as the guard must read it: does "Reghabi" show outside spoilers?
GUARD_READINGS = [
    ("Reghabi did it", True),
    ("||Reghabi did it||", False),
    ("`||`Reghabi did it`||`", True),  # the example: code spans, not spoiler bars
    ("``||``Reghabi``||``", True),  # double-backtick spans
    ("```\n||\n```Reghabi```||```", True),  # code blocks
    ("`code` ||Reghabi||", False),
    ("||`Reghabi`||", False),  # a code span inside a spoiler stays hidden
    ("||a `|| Reghabi ` b||", True),  # a spoiler ends at the first || (Discord's rule): Reghabi shows
    ("`unclosed ||Reghabi||", False),  # a lone backtick opens nothing
    ("``` ||Reghabi||", False),  # an unclosed block opens nothing
    ("\\`||Reghabi||\\`", False),  # escaped backticks open nothing
    ("\\||Reghabi||", True),  # an escaped pipe opens nothing
    ("|| Reghabi", True),  # an unclosed spoiler hides nothing
    ("||||Reghabi||", False),  # a spoiler holds at least one character: this one holds "||Reghabi"
    ("`a``Reghabi`", True),  # a span's closing run must be exactly as long
]


@pytest.mark.parametrize(("content", "shows"), GUARD_READINGS)
def test_the_guard_reads_markdown_as_discord_renders_it(content: str, shows: bool) -> None:
    words = [SpoilerWord(1, EpisodeCode(2, 3), "Reghabi")]
    assert (find_spoiler_word(unspoilered_text(content), words) is not None) is shows, unspoilered_text(
        content
    )
