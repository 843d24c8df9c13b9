"""Discord's permission algorithm, as documented (Topics > Permissions > Permission Hierarchy)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from .state import Channel, Guild, Member

ALL = discord.Permissions.all().value
ADMINISTRATOR = discord.Permissions(administrator=True).value
VIEW_CHANNEL = discord.Permissions(view_channel=True).value
SEND_MESSAGES = discord.Permissions(send_messages=True).value
SEND_IN_THREADS = discord.Permissions(send_messages_in_threads=True).value
EMBED_LINKS = discord.Permissions(embed_links=True).value
MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value
MANAGE_THREADS = discord.Permissions(manage_threads=True).value
MANAGE_CHANNELS = discord.Permissions(manage_channels=True).value
MANAGE_ROLES = discord.Permissions(manage_roles=True).value
MANAGE_GUILD = discord.Permissions(manage_guild=True).value
MANAGE_EVENTS = discord.Permissions(manage_events=True).value
CREATE_EVENTS = discord.Permissions(create_events=True).value
CREATE_PUBLIC_THREADS = discord.Permissions(create_public_threads=True).value
CREATE_PRIVATE_THREADS = discord.Permissions(create_private_threads=True).value
READ_MESSAGE_HISTORY = discord.Permissions(read_message_history=True).value
MENTION_EVERYONE = discord.Permissions(mention_everyone=True).value

# Permissions that only make sense when you can send; Discord drops them with SEND_MESSAGES (in a
# thread, with SEND_MESSAGES_IN_THREADS: whether the parent channel allows sending doesn't matter).
_TEXT_DEPENDENT = discord.Permissions(
    send_tts_messages=True, mention_everyone=True, embed_links=True, attach_files=True
).value


def base_permissions(guild: Guild, member: Member) -> int:
    if guild.owner_id == member.user.id:
        return ALL
    perms = guild.roles[guild.id].permissions
    for role_id in member.role_ids:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & ADMINISTRATOR:
        return ALL
    return perms


def channel_permissions(guild: Guild, member: Member, channel: Channel) -> int:
    """Permissions of `member` in `channel`; a thread uses its parent's overwrites."""
    base = base_permissions(guild, member)
    if base & ADMINISTRATOR or guild.owner_id == member.user.id:
        return ALL
    target = guild.channels[channel.parent_id] if channel.is_thread and channel.parent_id else channel
    perms = base
    everyone = target.overwrites.get(guild.id)
    if everyone is not None:
        perms &= ~everyone.deny
        perms |= everyone.allow
    allow = deny = 0
    for role_id in member.role_ids:
        ow = target.overwrites.get(role_id)
        if ow is not None and ow.type == 0:
            allow |= ow.allow
            deny |= ow.deny
    perms &= ~deny
    perms |= allow
    ow = target.overwrites.get(member.user.id)
    if ow is not None and ow.type == 1:
        perms &= ~ow.deny
        perms |= ow.allow
    if not perms & VIEW_CHANNEL:
        return 0
    if not perms & (SEND_IN_THREADS if channel.is_thread else SEND_MESSAGES):
        perms &= ~_TEXT_DEPENDENT
    return perms


def names(bits: int) -> list[str]:
    return [name for name, value in discord.Permissions(bits) if value]
