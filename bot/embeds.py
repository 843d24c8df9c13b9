"""Replies that fit Discord's limits however many items there are: the one way to build long lists,
embed fields and multi-embed replies.

Discord refuses a message whose content passes 2,000 characters, an embed description past 4,096,
a field value past 1,024, more than 25 fields, more than 10 embeds, or embeds totalling more than
6,000 characters across the whole message. Slicing a string to a limit cuts a `||tag||`, a mention
or a `<t:...>` in half, so lists are fitted whole item by item, with a last line saying how many
did not fit, and embeds that do not fit one message are spread over several.
"""

from __future__ import annotations

from collections.abc import Sequence

import discord

__all__ = [
    "CONTENT_MAX",
    "DESCRIPTION_MAX",
    "EMBEDS_MAX",
    "EMBED_TOTAL_MAX",
    "FIELDS_MAX",
    "FIELD_VALUE_MAX",
    "fit_embed",
    "fit_lines",
    "fit_text",
    "pack_embeds",
]

CONTENT_MAX = 2000
DESCRIPTION_MAX = 4096
FIELD_VALUE_MAX = 1024
FIELD_NAME_MAX = 256
FIELDS_MAX = 25
EMBEDS_MAX = 10
EMBED_TOTAL_MAX = 6000
MORE = "\N{HORIZONTAL ELLIPSIS} and {n} more"


def fit_lines(lines: Sequence[str], limit: int, *, more: str = MORE, sep: str = "\n") -> str:
    """As many whole `lines` as fit in `limit` characters joined by `sep`, then `more` (with `{n}`,
    how many were left out) when some did not fit. A line is never cut mid-way."""
    text = sep.join(lines)
    if len(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for line in lines:
        extra = len(line) + (len(sep) if kept else 0)
        if used + extra > limit:
            break
        kept.append(line)
        used += extra
    while True:
        note = more.format(n=len(lines) - len(kept))
        if not kept or used + len(sep) + len(note) <= limit:
            break
        dropped = kept.pop()
        used -= len(dropped) + (len(sep) if kept else 0)
    return sep.join([*kept, note])[:limit]


def fit_text(text: str, limit: int = CONTENT_MAX) -> str:
    """Message content within `limit`, cut only between lines, saying how many lines were left out."""
    return fit_lines(text.split("\n"), limit, more=MORE + " lines")


def fit_embed(embed: discord.Embed) -> discord.Embed:
    """The embed within Discord's limits: description and field values fitted line by line, at most
    25 fields, and fields dropped from the end (with a note saying how many) until the whole embed
    is within 6,000 characters."""
    if embed.description and len(embed.description) > DESCRIPTION_MAX:
        embed.description = fit_lines(embed.description.split("\n"), DESCRIPTION_MAX)
    fields = [
        (
            (f.name or "\u200b")[:FIELD_NAME_MAX],
            fit_lines((f.value or "\u200b").split("\n"), FIELD_VALUE_MAX),
            bool(f.inline),
        )
        for f in embed.fields
    ]
    base = len(embed) - sum(len(f.name or "") + len(f.value or "") for f in embed.fields)
    note = ("\N{HORIZONTAL ELLIPSIS}", "{n} more not shown")
    shown = fields[:FIELDS_MAX]

    def size() -> int:
        extra = len(note[0]) + len(note[1]) + 4 if len(shown) < len(fields) else 0
        return base + sum(len(name) + len(value) for name, value, _ in shown) + extra

    while shown and (size() > EMBED_TOTAL_MAX or (len(shown) < len(fields) and len(shown) >= FIELDS_MAX)):
        shown.pop()
    embed.clear_fields()
    for name, value, inline in shown:
        embed.add_field(name=name, value=value, inline=inline)
    if len(shown) < len(fields):
        embed.add_field(name=note[0], value=note[1].format(n=len(fields) - len(shown)), inline=False)
    return embed


def pack_embeds(embeds: Sequence[discord.Embed]) -> list[list[discord.Embed]]:
    """Embeds grouped into messages: each group at most 10 embeds and 6,000 characters in all."""
    groups: list[list[discord.Embed]] = []
    size = 0
    for embed in (fit_embed(e) for e in embeds):
        if not groups or len(groups[-1]) >= EMBEDS_MAX or size + len(embed) > EMBED_TOTAL_MAX:
            groups.append([])
            size = 0
        groups[-1].append(embed)
        size += len(embed)
    return groups
