"""Telling a server's moderators about something that went wrong without them watching (an
announcement that could not be posted, a role the bot refused to hand out)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from .checks import ANNOUNCE_PERMISSIONS, missing_permissions

if TYPE_CHECKING:
    from .core import Cliffhanger

__all__ = ["tell_moderators"]

log = logging.getLogger(__name__)


async def tell_moderators(
    bot: Cliffhanger, guild: discord.Guild, text: str, *, not_in: int | None = None
) -> bool:
    """Post `text` in the server's announcement channel when the bot can post there (and it is not
    channel `not_in`, the one that failed), else write it to the log. True when it was posted.
    Callers record what they told, so that moderators hear of each problem once."""
    settings = await bot.guild_store.get(guild.id)
    target = guild.get_channel(settings.announce_channel_id) if settings.announce_channel_id else None
    if (
        isinstance(target, discord.TextChannel)
        and target.id != not_in
        and not missing_permissions(target.permissions_for(guild.me), ANNOUNCE_PERMISSIONS)
    ):
        try:
            await target.send(text, allowed_mentions=discord.AllowedMentions.none())
        except discord.HTTPException as exc:
            log.warning("could not tell the moderators of guild %s in #%s: %s", guild.id, target.name, exc)
        else:
            return True
    log.warning("moderators of guild %s could not be told in Discord: %s", guild.id, text)
    return False
