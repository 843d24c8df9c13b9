"""Ping roles: which roles may be handed out by a "Notify me" button, and making one."""

from __future__ import annotations

import logging

import discord

from bot.checks import permission_label
from bot.errors import BotMissingPermissions, UserError

__all__ = [
    "RISKY_PERMISSIONS",
    "make_ping_role",
    "ping_role_warnings",
    "refuse_ping_role",
    "risky_permissions",
]

log = logging.getLogger(__name__)

# A "Notify me" button gives its role to anyone who presses it, so the role must not carry power.
RISKY_PERMISSIONS = discord.Permissions.elevated() | discord.Permissions(
    mention_everyone=True,
    manage_events=True,
    # Split from the powers above (Discord change log 2025-11-24): each is still power to hand out.
    create_events=True,
    create_expressions=True,
    pin_messages=True,
    manage_nicknames=True,
    view_audit_log=True,
    move_members=True,
    mute_members=True,
    deafen_members=True,
)


def risky_permissions(role: discord.Role) -> list[str]:
    """Discord's names for the powers a role would hand to anyone who presses Notify me."""
    return [permission_label(flag) for flag, on in role.permissions & RISKY_PERMISSIONS if on]


def refuse_ping_role(role: discord.Role, *, example: str) -> None:
    """Raise a UserError for a role that must never be a ping role."""
    if role.is_default():
        raise UserError(
            "@everyone can't be a ping role: the point of a ping role is that members opt in. "
            "Pick or make a role such as @Severance pings (or use `make_role:True`).",
            example=example,
        )
    if role.managed:
        raise UserError(
            f"{role.mention} belongs to a bot or integration, so it can't be given to members.",
            example=example,
        )
    risky = risky_permissions(role)
    if risky:
        raise UserError(
            f"{role.mention} carries {', '.join(risky[:4])}{' and more' if len(risky) > 4 else ''}. "
            "Its **Notify me** button would hand that to anyone who presses it, so pick a role without "
            "permissions (or use `make_role:True`).",
            example=example,
        )


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
    elif role >= me.top_role:
        warnings.append(
            f"\N{WARNING SIGN} {role.mention} is above my highest role, so **Notify me** can't hand it out. "
            "Drag my role above it in Server Settings > Roles."
        )
    return warnings


def default_role_name(base: str) -> str:
    return f"{base[:94]} pings"


async def make_ping_role(guild: discord.Guild, name: str, *, example: str) -> tuple[discord.Role, bool]:
    """Reuse a safe role with this name, or create a mentionable role that grants nothing extra.

    Returns the role and whether it was created.
    """
    existing = discord.utils.get(guild.roles, name=name)
    if existing is not None:
        refuse_ping_role(existing, example=example)
        return existing, False
    if not guild.me.guild_permissions.manage_roles:
        raise BotMissingPermissions("this server", ["Manage Roles"], example=example)
    try:
        # No `permissions`: Discord then copies @everyone's, so the role grants nothing extra.
        role = await guild.create_role(
            name=name,
            mentionable=True,
            reason="Cliffhanger: a ping role members opt into with Notify me",
        )
    except discord.Forbidden:
        raise BotMissingPermissions("this server", ["Manage Roles"], example=example) from None
    log.info("created ping role %s (%s) in guild %s", role.name, role.id, guild.id)
    return role, True
