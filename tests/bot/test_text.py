"""bot.text: the one title validator and the one escape that every feature uses."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import UserError
from bot.spoilers import spoiler
from bot.text import ZWSP, clean_title, defuse_mentions, escape

EXAMPLE = "/countdown create title:Severance S2 premiere when:in 3 days"
PING = re.compile(r"@everyone|@here|<@!?\d|<@&\d", re.IGNORECASE)


def test_titles_are_tidied_and_limited() -> None:
    assert clean_title("  Severance   season 2 ", example=EXAMPLE) == "Severance season 2"
    assert clean_title("Tab\there\nand\r\nthere", example=EXAMPLE) == "Tab here and there"
    assert clean_title("x" * 100, example=EXAMPLE) == "x" * 100
    with pytest.raises(UserError, match="The title can't be blank"):
        clean_title("   ", example=EXAMPLE)
    with pytest.raises(UserError, match="The title is 101 characters; keep it to 100"):
        clean_title("x" * 101, example=EXAMPLE)
    with pytest.raises(UserError, match="A spoiler word needs at least one letter or digit"):
        clean_title("?!", what="A spoiler word", example=EXAMPLE)


def test_control_characters_are_stripped() -> None:
    assert clean_title("Helly\x00R\x1b[31m\x7f\x85", example=EXAMPLE) == "Helly R [31m"


@pytest.mark.parametrize(
    "title", ["@everyone premiere", "hi @HERE", "<@123> s2", "<@!123>", "<@&456> ping", "in <#789>"]
)
def test_titles_cannot_carry_mentions(title: str) -> None:
    with pytest.raises(UserError, match="can't contain mentions") as caught:
        clean_title(title, example=EXAMPLE)
    assert caught.value.example == EXAMPLE


def test_a_control_character_does_not_hide_a_mention() -> None:
    with pytest.raises(UserError, match="can't contain mentions"):
        clean_title("x @here\x00", example=EXAMPLE)


@given(st.text(max_size=300))
def test_any_text_is_a_tidy_line_without_mentions_or_refused(raw: str) -> None:
    try:
        title = clean_title(raw, example=EXAMPLE)
    except UserError as exc:
        assert exc.example == EXAMPLE  # noqa: PT017 - every refusal shows a working command
        return
    assert 1 <= len(title) <= 100
    assert title == " ".join(title.split())
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in title)
    assert not PING.search(title)


def test_escape_shows_markdown_literally_and_defuses_mentions() -> None:
    assert escape("**bold** _it_") == "\\*\\*bold\\*\\* \\_it\\_"
    assert escape("@everyone and <@123> and <@&4>") == (f"@{ZWSP}everyone and <@{ZWSP}123> and <@{ZWSP}&4>")
    assert defuse_mentions("@Here") == f"@{ZWSP}Here"


@given(st.text(max_size=200))
def test_nothing_escaped_can_ping(text: str) -> None:
    assert not PING.search(escape(text))
    assert not PING.search(spoiler(text))


def test_a_spoiler_cannot_be_closed_early_by_the_text() -> None:
    assert spoiler("Who Is Alive?") == "||Who Is Alive?||"
    wrapped = spoiler("a || b|")
    assert wrapped.startswith("||") and wrapped.endswith("||")
    assert "||" not in wrapped[2:-2].replace("\\|", "")
