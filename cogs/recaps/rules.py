"""The recaps' rules as plain functions: the spoiler-safe header and the thread name."""

from __future__ import annotations

from bot.episodes import EpisodeCode
from bot.errors import UserError
from bot.spoilers import spoiler_chunks
from bot.text import escape

__all__ = ["recap_chunks", "recap_header", "recap_thread_name"]


def recap_chunks(show_label: str, code: EpisodeCode, text: str, *, example: str) -> list[str]:
    """The messages a recap is posted as, header first; a recap with no text (blank, or only spaces
    and line breaks) is refused, whether it is new or edited."""
    chunks = spoiler_chunks(text, header=recap_header(show_label, code))
    if len(chunks) == 1 and "||" not in chunks[0]:
        raise UserError(
            "The recap is empty: write what happened (to remove a recap, delete it instead).", example=example
        )
    return chunks


def recap_header(show_label: str, code: EpisodeCode) -> str:
    """The spoiler-safe first line of a posted recap."""
    return f"\N{CLAPPER BOARD} Recap: {escape(show_label)} {code}, spoilers below"


def recap_thread_name(show_label: str, code: EpisodeCode) -> str:
    """A thread name (1 to 100 characters, never spoiler-tagged)."""
    suffix = f" {code} recap"
    return (show_label[: 100 - len(suffix)] + suffix).strip()
