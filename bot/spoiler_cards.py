"""Spoiler cards: a recap as Components V2 messages, a neutral header above one blurred Container that
keeps the member's markdown (headings, lists, code) and reveals with one click.

Discord's limits for one V2 message (components/reference; discord.py's LayoutView.content_length):
the Text Displays together hold at most 4,000 characters, and a message at most 40 components (a card
uses 3). Text that doesn't fit continues in the next card, split where spoiler_chunks splits (a line,
else a sentence, else a word); a code block cut in two is closed and reopened so both halves render as
code. Mentions are defused with the spoiler core's escape, so nothing pings whatever allowed_mentions
says; the header is made spoiler-safe with safe_header.
"""

from __future__ import annotations

from collections.abc import Callable

import discord

from .spoilers import cut_point, safe_header
from .text import defuse_mentions

__all__ = ["CARD_TEXT_LIMIT", "card_texts", "spoiler_cards"]

CARD_TEXT_LIMIT = 4000
_FENCE = "```"


def _open_fence(piece: str) -> str | None:
    """The fence line to reopen when `piece` ends inside a code block (with its language), else None."""
    if piece.count(_FENCE) % 2 == 0:
        return None
    opening = piece[piece.rfind(_FENCE) + len(_FENCE) :]
    language = opening.split("\n", 1)[0].strip() if "\n" in opening else ""
    return _FENCE + (language if language.isalnum() and len(language) <= 20 else "") + "\n"


def _render(piece: str) -> str:
    """One card's body as posted: mentions defused, a code block left open closed again."""
    body = defuse_mentions(piece)
    return body + f"\n{_FENCE}" if _open_fence(piece) is not None else body


def _renderer(prefix: str) -> Callable[[str], str]:
    """_render for a card that starts by reopening a code block (`prefix`)."""

    def render(piece: str) -> str:
        return _render(prefix + piece)

    return render


def card_texts(text: str, *, header: str = "", limit: int = CARD_TEXT_LIMIT) -> list[tuple[str, str]]:
    """(header, body) for each card: the spoiler-safe header on the first card only, each body
    rendered, and every card's text together at most `limit` characters."""
    if limit < 100:
        raise ValueError("limit is too small for a card")
    head = safe_header(" ".join(header.split()))
    if len(head) > limit // 2:
        head = safe_header(" ".join(header.split())[: limit // 4]) + "\N{HORIZONTAL ELLIPSIS}"
    cards: list[tuple[str, str]] = []
    rest = text.strip()
    prefix = ""  # the fence that reopens a code block the previous card closed
    while rest:
        budget = limit - (len(head) if not cards else 0)
        n = cut_point(rest, budget, _renderer(prefix))
        if n == 0 and prefix:
            prefix = ""  # no room to reopen the code block: carry on as plain text
            continue
        if n == 0:  # cannot happen with limit >= 100; never loop forever
            raise ValueError("could not fit any text into a card")
        piece = prefix + rest[:n].strip()
        cards.append((head if not cards else "", _render(piece)))
        prefix = _open_fence(piece) or ""
        rest = rest[n:].strip()
    if not cards:
        if not head:
            raise ValueError("a card needs a header or some text")
        cards.append((head, ""))
    return cards


def spoiler_cards(
    text: str, *, header: str = "", limit: int = CARD_TEXT_LIMIT
) -> list[discord.ui.LayoutView]:
    """`text` (a member's recap) as one or more cards: send each with `view=` and no content; discord.py
    sets the IS_COMPONENTS_V2 flag."""
    views: list[discord.ui.LayoutView] = []
    for head, body in card_texts(text, header=header, limit=limit):
        view = discord.ui.LayoutView(timeout=None)
        if head:
            view.add_item(discord.ui.TextDisplay(head))
        if body:
            view.add_item(discord.ui.Container(discord.ui.TextDisplay(body), spoiler=True))
        views.append(view)
    return views
