"""Run-time permission checks: who may run moderator commands, and what the bot may do where.

The one way to make a command moderators-only is `@moderator_only()` on it: it runs when the command
does, whatever a server's command permission overrides say. No command carries `default_permissions`:
Discord would hide such a command from the moderator role set with /config moderator-role until an
admin added an override in Server Settings > Integrations (see the README, Commands). A button that
finishes a moderator command (the delete confirmation) calls `ensure_moderator` itself, because views
have no check decorator.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands

from .errors import BotMissingPermissions, NotModerator

if TYPE_CHECKING:
    from .core import Cliffhanger

__all__ = [
    "ANNOUNCE_PERMISSIONS",
    "AUTOMOD_PERMISSIONS",
    "INVITE_PERMISSIONS",
    "OPTIONAL_PERMISSIONS",
    "PERMISSION_NAMES",
    "SPOILER_CHANNEL_PERMISSIONS",
    "ensure_bot_can",
    "ensure_moderator",
    "is_moderator",
    "missing_permissions",
    "moderator_only",
    "requires_moderator",
]

T = TypeVar("T")

# The names Discord's own UI uses, so a moderator can find the toggle.
PERMISSION_NAMES: dict[str, str] = {
    "view_channel": "View Channel",
    "read_messages": "View Channel",
    "send_messages": "Send Messages",
    "send_messages_in_threads": "Send Messages in Threads",
    "embed_links": "Embed Links",
    "attach_files": "Attach Files",
    "read_message_history": "Read Message History",
    "manage_messages": "Manage Messages",
    "manage_threads": "Manage Threads",
    "manage_channels": "Manage Channels",
    "manage_roles": "Manage Roles",
    "manage_guild": "Manage Server",
    "manage_events": "Manage Events",
    "create_events": "Create Events",
    "create_public_threads": "Create Public Threads",
    "create_private_threads": "Create Private Threads",
    "pin_messages": "Pin Messages",
    "create_expressions": "Create Expressions",
    "bypass_slowmode": "Bypass Slowmode",
    "mention_everyone": "Mention @everyone, @here, and All Roles",
    "add_reactions": "Add Reactions",
    "use_external_emojis": "Use External Emoji",
}

ANNOUNCE_PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, embed_links=True)
# A spoiler channel: recaps are posted and edited there, and the guard's reposts may land there.
SPOILER_CHANNEL_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, read_message_history=True, manage_messages=True
)

# What the invite link asks for: everything any feature needs, nothing more (see README).
INVITE_PERMISSIONS = discord.Permissions(
    view_channel=True,  # see the channels it posts in
    send_messages=True,  # announcements, recaps, theories
    send_messages_in_threads=True,  # theory threads and recap threads
    create_public_threads=True,  # one thread per theory or recap
    manage_threads=True,  # rename, tag and lock resolved theory threads
    embed_links=True,  # countdown and theory embeds
    read_message_history=True,  # edit its own recap and vote messages
    manage_messages=True,  # the optional spoiler guard removes leaked messages
    manage_roles=True,  # "Notify me" ping roles and watch-progress roles
    create_events=True,  # a Discord scheduled event per premiere; it moves and removes only its own
    manage_channels=True,  # Open/Confirmed/Debunked tags on a theory forum, season tags on discussions
)

# Opt-in, so not in the invite: /spoilers automod keeps an AutoMod rule, which Discord allows only with
# Manage Server, a permission that also edits the server itself. The README's second invite link adds
# it, and says how to add it to the bot's role instead.
AUTOMOD_PERMISSIONS = discord.Permissions(manage_guild=True)
OPTIONAL_PERMISSIONS = AUTOMOD_PERMISSIONS


def permission_label(flag: str) -> str:
    return PERMISSION_NAMES.get(flag, flag.replace("_", " ").title())


def missing_permissions(have: discord.Permissions, need: discord.Permissions) -> list[str]:
    """Discord's names for each permission in `need` that `have` lacks, in a stable order."""
    labels: list[str] = []
    for flag, wanted in need:
        if wanted and not getattr(have, flag) and permission_label(flag) not in labels:
            labels.append(permission_label(flag))
    return labels


def ensure_bot_can(
    channel: discord.abc.GuildChannel | discord.Thread,
    need: discord.Permissions,
    *,
    example: str | None = None,
) -> None:
    """Raise BotMissingPermissions naming what the bot lacks in `channel`."""
    me = channel.guild.me
    missing = missing_permissions(channel.permissions_for(me), need)
    if missing:
        raise BotMissingPermissions(channel.mention, missing, example=example)


async def is_moderator(interaction: discord.Interaction[Cliffhanger]) -> bool:
    """Manage Server, or the server's configured moderator role."""
    member = interaction.user
    if interaction.guild_id is None or not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild:
        return True
    settings = await interaction.client.guild_store.get(interaction.guild_id)
    return settings.moderator_role_id is not None and member.get_role(settings.moderator_role_id) is not None


async def ensure_moderator(interaction: discord.Interaction[Cliffhanger]) -> None:
    """Raise NotModerator (with the role to ask for) unless the member is a moderator."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage
    if await is_moderator(interaction):
        return
    settings = await interaction.client.guild_store.get(interaction.guild_id)
    role = f"<@&{settings.moderator_role_id}>" if settings.moderator_role_id else None
    raise NotModerator(role)


async def _moderator_check(interaction: discord.Interaction[Any]) -> bool:
    await ensure_moderator(interaction)
    return True


def moderator_only() -> Callable[[T], T]:
    """Make an app command moderators-only; checked each time it runs, whatever the server's overrides."""
    return app_commands.check(_moderator_check)


def requires_moderator(command: app_commands.Command[Any, ..., Any]) -> bool:
    """Whether `moderator_only()` guards the command (for tests and documentation)."""
    return _moderator_check in command.checks
