"""The recaps' rules as plain functions: the spoiler-safe header and the thread name."""

from __future__ import annotations

from bot.episodes import EpisodeCode
from bot.text import escape

__all__ = ["recap_header", "recap_thread_name"]


def recap_header(show_label: str, code: EpisodeCode) -> str:
    """The spoiler-safe first line of a posted recap."""
    return f"\N{CLAPPER BOARD} Recap: {escape(show_label)} {code}, spoilers below"


def recap_thread_name(show_label: str, code: EpisodeCode) -> str:
    """A thread name (1 to 100 characters, never spoiler-tagged)."""
    suffix = f" {code} recap"
    return (show_label[: 100 - len(suffix)] + suffix).strip()
