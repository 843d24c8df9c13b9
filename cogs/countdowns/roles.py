"""Ping roles: what will not work yet with a role, and making one. Which roles may be handed out at
all is bot/roles.py's one check."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.errors import BotMissingPermissions
from bot.roles import ensure_label_role

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["make_ping_role", "ping_role_warnings"]

log = logging.getLogger(__name__)


def ping_role_warnings(role: discord.Role, channel: discord.abc.GuildChannel | None) -> list[str]:
    """What will not work with this role yet, said plainly (these don't block the command)."""
    guild = role.guild
    me = guild.me
    warnings: list[str] = []
    can_ping_any = channel is not None and channel.permissions_for(me).mention_everyone
    if not role.mentionable and not can_ping_any:
        warnings.append(
            f"\N{WARNING SIGN} {role.mention} isn't mentionable, so announcements can't ping it. Turn on "
            "*Allow anyone to @mention this role* in Server Settings > Roles."
        )
    if not me.guild_permissions.manage_roles:
        warnings.append(
            "\N{WARNING SIGN} I'm missing **Manage Roles**, so **Notify me** can't hand the role out yet."
        )
    return warnings


def default_role_name(base: str) -> str:
    return f"{base[:94]} pings"


async def make_ping_role(
    bot: Cliffhanger,
    guild: discord.Guild,
    name: str,
    *,
    moderator: discord.Member | discord.User,
    example: str,
) -> tuple[discord.Role, bool]:
    """Reuse a role with this name that the bot may hand out, or create a mentionable one that carries
    no permission at all. Returns the role and whether it was created."""
    existing = discord.utils.get(guild.roles, name=name)
    if existing is not None:
        await ensure_label_role(bot, existing, moderator=moderator, example=example)
        return existing, False
    if not guild.me.guild_permissions.manage_roles:
        raise BotMissingPermissions("this server", ["Manage Roles"], example=example)
    try:
        # No permissions at all: left out, Discord would copy @everyone's, whatever they are.
        role = await guild.create_role(
            name=name,
            permissions=discord.Permissions.none(),
            mentionable=True,
            reason="Cliffhanger: a ping role members opt into with Notify me",
        )
    except discord.Forbidden:
        raise BotMissingPermissions("this server", ["Manage Roles"], example=example) from None
    log.info("created ping role %s (%s) in guild %s", role.name, role.id, guild.id)
    return role, True
