"""Member text shown back in Discord: the one escape and the one title validator every feature uses.

Titles (countdown titles, theory titles, spoiler words, the show's name) end up where nothing can be
hidden or escaped after the fact: embed titles, thread names, event names, notifications. So every
one of them passes `clean_title`, and every piece of member text quoted in a message passes `escape`.
"""

from __future__ import annotations

import re
import unicodedata

import discord

from .errors import UserError

__all__ = ["EXCERPT_MAX", "TITLE_MAX", "ZWSP", "clean_title", "defuse_mentions", "escape", "excerpt"]

ZWSP = "\u200b"
TITLE_MAX = 100  # Discord's limit for thread names and scheduled event names
EXCERPT_MAX = 60  # how much of a member's input an error message quotes back

_MASS_MENTION = re.compile(r"@(everyone|here)", re.IGNORECASE)
_ID_MENTION = re.compile(r"<@(?=[!&]?\d)")
# What would ping or render as a mention in a title: users, roles, channels, @everyone and @here.
_MENTION = re.compile(r"<@[!&]?\d+>|<#\d+>|@(everyone|here)\b", re.IGNORECASE)


def defuse_mentions(text: str) -> str:
    """@everyone, @here, <@id> and <@&id> with a zero-width space inside, so they show as text and
    can never ping (the bot's AllowedMentions.none() stays the real guard)."""
    text = _MASS_MENTION.sub(lambda m: f"@{ZWSP}{m[1]}", text)
    return _ID_MENTION.sub(f"<@{ZWSP}", text)


def escape(text: str) -> str:
    """Member text quoted in a message or embed: markdown shown literally, mentions defused."""
    return defuse_mentions(discord.utils.escape_markdown(text))


def excerpt(text: str, limit: int = EXCERPT_MAX) -> str:
    """A short, one-line excerpt of member input for quoting between backticks in an error: spaces
    collapsed, backticks made quotes (so the quote can't be closed early), cut to `limit` characters.
    Every error that echoes input quotes this, never the whole value."""
    flat = " ".join(_without_controls(text).split()).replace("`", "'")
    if not flat:
        return "(empty)"
    return flat if len(flat) <= limit else flat[: limit - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _without_controls(text: str) -> str:
    return "".join(" " if unicodedata.category(c) == "Cc" else c for c in text)


def clean_title(raw: str, *, example: str, what: str = "The title", limit: int = TITLE_MAX) -> str:
    """A title as it will be stored and shown: control characters (line breaks, tabs, NUL) become
    spaces, runs of spaces become one, and it must hold a letter or digit, fit in `limit` characters
    and carry no mention. Otherwise a UserError naming `what` is wrong, with `example`."""
    cleaned = " ".join(_without_controls(raw).split())
    if not cleaned:
        raise UserError(f"{what} can't be blank.", example=example)
    if not any(c.isalnum() for c in cleaned):
        raise UserError(f"{what} needs at least one letter or digit.", example=example)
    if len(cleaned) > limit:
        raise UserError(f"{what} is {len(cleaned)} characters; keep it to {limit}.", example=example)
    if _MENTION.search(cleaned):
        raise UserError(
            f"{what} can't contain mentions (@everyone, @here, users, roles or channels): it shows where "
            "a mention would ping or turn into an id.",
            example=example,
        )
    return cleaned
