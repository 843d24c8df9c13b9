"""The recaps' rules as plain functions: the messages a recap is posted as (spoiler cards or ||tags||),
the spoiler-safe header and the thread name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import discord

from bot.episodes import EpisodeCode
from bot.errors import UserError
from bot.spoiler_cards import spoiler_cards
from bot.spoilers import spoiler_chunks
from bot.text import escape

__all__ = [
    "FORMATS",
    "Format",
    "RecapPost",
    "recap_chunks",
    "recap_header",
    "recap_posts",
    "recap_thread_name",
]

Format = Literal["cards", "tags"]
FORMATS: tuple[Format, ...] = ("cards", "tags")
EMPTY = "The recap is empty: write what happened (to remove a recap, delete it instead)."


@dataclass(frozen=True, slots=True)
class RecapPost:
    """One message of a posted recap: ||tagged|| text, or a spoiler card (a Components V2 view)."""

    content: str | None = None
    view: discord.ui.LayoutView | None = None

    def fields(self) -> dict[str, Any]:
        """What `send` or `edit` takes for it; mentions never ping, and tagged text shows no link previews."""
        if self.view is not None:
            return {"view": self.view, "allowed_mentions": discord.AllowedMentions.none()}
        return {"content": self.content, "allowed_mentions": discord.AllowedMentions.none()}


def recap_posts(fmt: str, show_label: str, code: EpisodeCode, text: str, *, example: str) -> list[RecapPost]:
    """The messages a recap is posted as in format `fmt`, header first: spoiler cards (the text keeps
    its markdown inside one blurred card, continued in the next when it doesn't fit) or spoiler-tagged
    chunks. A recap with no text is refused either way, new or edited."""
    if fmt == "tags":
        return [RecapPost(content=chunk) for chunk in recap_chunks(show_label, code, text, example=example)]
    if not text.strip():
        raise UserError(EMPTY, example=example)
    return [RecapPost(view=view) for view in spoiler_cards(text, header=recap_header(show_label, code))]


def recap_chunks(show_label: str, code: EpisodeCode, text: str, *, example: str) -> list[str]:
    """The messages a recap is posted as, header first; a recap with no text (blank, or only spaces
    and line breaks) is refused, whether it is new or edited."""
    chunks = spoiler_chunks(text, header=recap_header(show_label, code))
    if len(chunks) == 1 and "||" not in chunks[0]:
        raise UserError(EMPTY, example=example)
    return chunks


def recap_header(show_label: str, code: EpisodeCode) -> str:
    """The spoiler-safe first line of a posted recap."""
    return f"\N{CLAPPER BOARD} Recap: {escape(show_label)} {code}, spoilers below"


def recap_thread_name(show_label: str, code: EpisodeCode) -> str:
    """A thread name (1 to 100 characters, never spoiler-tagged)."""
    suffix = f" {code} recap"
    return (show_label[: 100 - len(suffix)] + suffix).strip()
