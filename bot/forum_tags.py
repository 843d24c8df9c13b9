"""Forum tags the bot puts on its posts (a theory's status, a season): found by name, made when missing."""

from __future__ import annotations

from collections.abc import Sequence

import discord

from .errors import BotMissingPermissions, UserError

__all__ = ["FORUM_TAG_LIMIT", "add_forum_tags", "forum_tag_ids", "season_tag_name"]

FORUM_TAG_LIMIT = 20  # Discord: a forum holds at most 20 tags


def season_tag_name(season: int) -> str:
    """The tag on posts about a season (theories and discussions share it in a shared forum)."""
    return f"Season {season}"


async def add_forum_tags(
    forum: discord.ForumChannel, wanted: Sequence[tuple[str, str | None]], *, reason: str, example: str
) -> dict[str, int]:
    """Create the tags `wanted` ((name, emoji) pairs) on `forum` in one edit, keeping its others; the new
    tags' ids by casefolded name. Names the missing Manage Channels, and refuses past 20 tags, with
    `example`."""
    if not wanted:
        return {}
    if not forum.permissions_for(forum.guild.me).manage_channels:
        raise BotMissingPermissions(forum.mention, ["Manage Channels"], example=example)
    if len(forum.available_tags) + len(wanted) > FORUM_TAG_LIMIT:
        raise UserError(
            f"{forum.mention} has {len(forum.available_tags)} tags and forums hold at most {FORUM_TAG_LIMIT}, "
            f"so I can't add {', '.join(name for name, _ in wanted)}. Remove a tag or two, then try again.",
            example=example,
        )
    new_tags = [discord.ForumTag(name=name, emoji=emoji) for name, emoji in wanted]
    edited = await forum.edit(available_tags=[*forum.available_tags, *new_tags], reason=reason)
    after = {tag.name.casefold(): tag.id for tag in edited.available_tags}
    return {name.casefold(): after[name.casefold()] for name, _ in wanted}


async def forum_tag_ids(
    forum: discord.ForumChannel, names: Sequence[str], *, reason: str, example: str
) -> dict[str, int]:
    """The ids of the tags named `names` on `forum` (any case), creating those it lacks."""
    by_name = {tag.name.casefold(): tag.id for tag in forum.available_tags}
    found = {name.casefold(): by_name[name.casefold()] for name in names if name.casefold() in by_name}
    missing = [(name, None) for name in names if name.casefold() not in found]
    found.update(await add_forum_tags(forum, missing, reason=reason, example=example))
    return found
