"""The one check for every role the bot gives or takes on a member's say-so.

"Watched up to" roles follow a member's /progress, and "Notify me" hands a ping role to whoever
presses it. Anything such a role carries, any member can get, so the bot hands out only roles that
are labels: no permission beyond ordinary chatting and voice (`LABEL_PERMISSIONS`), never @everyone,
a bot's or integration's role, the configured moderator role, or a role at or above the bot's own.
A moderator who configures a role must also be able to hand it out by Discord's rules (their top role
above it, unless they own the server), so the moderator role can't be used to reach past its place.

The check runs when a moderator picks a role (`ensure_label_role`) and again whenever the bot gives
or takes one (`change_roles`), because a role's permissions and position can change after it was
picked. A refusal at that moment changes nothing, tells the member why, tells the moderators once
(as failed announcements are told) and shows in /config show until the role is fine again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord

from .checks import permission_label
from .errors import BotMissingPermissions, UserError
from .notices import tell_moderators

if TYPE_CHECKING:
    from .core import Cliffhanger

__all__ = [
    "LABEL_PERMISSIONS",
    "Refusal",
    "change_roles",
    "ensure_label_role",
    "extra_permissions",
    "refusal",
]

log = logging.getLogger(__name__)

# What a role the bot hands out may carry: what any member of a fan server has to read, chat, react
# and talk. Everything else is power: Administrator, every Manage permission, Kick, Ban, Timeout
# (Moderate Members), Mention @everyone, View Audit Log, the voice moderation ones, Priority Speaker,
# text-to-speech, Create Invite, Create Events and Expressions, Bypass Slowmode, Pin Messages...
LABEL_PERMISSIONS = discord.Permissions(
    view_channel=True,
    read_message_history=True,
    send_messages=True,
    send_messages_in_threads=True,
    create_public_threads=True,
    create_private_threads=True,
    embed_links=True,
    attach_files=True,
    add_reactions=True,
    use_external_emojis=True,
    use_external_stickers=True,
    use_application_commands=True,
    use_external_apps=True,
    send_voice_messages=True,
    send_polls=True,
    change_nickname=True,
    connect=True,
    speak=True,
    stream=True,
    use_voice_activation=True,
    use_embedded_activities=True,
    use_soundboard=True,
    use_external_sounds=True,
    request_to_speak=True,
)


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a role can't be handed out, in words for members and moderators alike."""

    role: discord.Role
    reason: str  # completes "I won't hand out @role: ..."
    fix: str  # what a moderator can do about it

    @property
    def text(self) -> str:
        return f"I won't hand out {self.role.mention}: {self.reason}."


def extra_permissions(role: discord.Role) -> list[str]:
    """Discord's names for what the role carries beyond a label's permissions."""
    extra = discord.Permissions(role.permissions.value & ~LABEL_PERMISSIONS.value)
    names: list[str] = []
    for flag, on in extra:
        if on and permission_label(flag) not in names:
            names.append(permission_label(flag))
    return names


def refusal(
    role: discord.Role, *, moderator_role_id: int | None, moderator: discord.Member | None = None
) -> Refusal | None:
    """Why the bot must not give or take `role`, or None when it is a plain label it may hand out.
    `moderator` is who is configuring it (None when a member presses a button later)."""
    guild = role.guild
    if role.is_default():
        return Refusal(role, "that is every member of the server", "Pick or make a role of its own.")
    if role.managed:
        return Refusal(
            role, "it belongs to a bot or integration, and Discord lets no one give it", "Pick a plain role."
        )
    if moderator_role_id is not None and role.id == moderator_role_id:
        return Refusal(
            role,
            "it is this server's moderator role, so whoever got it could run moderator commands",
            "Pick a role of its own, not the moderator role.",
        )
    extra = extra_permissions(role)
    if extra:
        shown = ", ".join(extra[:4]) + (f" and {len(extra) - 4} more" if len(extra) > 4 else "")
        return Refusal(
            role,
            f"it carries {shown}, and anyone could get it from me. Roles I hand out may carry only "
            "ordinary chat and voice permissions",
            f"Turn those permissions off for {role.mention} in Server Settings > Roles, or pick a role "
            "without them.",
        )
    if role >= guild.me.top_role:
        return Refusal(
            role,
            "it is not below my highest role, so Discord won't let me",
            "Drag my role above it in Server Settings > Roles.",
        )
    if moderator is not None and moderator.id != guild.owner_id and role >= moderator.top_role:
        return Refusal(
            role,
            "it is not below your highest role, so Discord wouldn't let you hand it out yourself",
            "Ask someone whose role is above it, or the server owner.",
        )
    return None


async def ensure_label_role(
    bot: Cliffhanger, role: discord.Role, *, moderator: discord.Member | discord.User, example: str
) -> None:
    """Refuse, with a UserError that says why, a role a moderator picked for the bot to hand out."""
    settings = await bot.guild_store.get(role.guild.id)
    member = moderator if isinstance(moderator, discord.Member) else None
    found = refusal(role, moderator_role_id=settings.moderator_role_id, moderator=member)
    if found is not None:
        raise UserError(f"{found.text} {found.fix}", example=example)
    await bot.role_refusals.clear(role.guild.id, [role.id])


async def change_roles(
    bot: Cliffhanger,
    member: discord.Member,
    *,
    add: Sequence[discord.Role] = (),
    remove: Sequence[discord.Role] = (),
    reason: str,
) -> str | None:
    """Give and take roles on a member's behalf, all or nothing: every role passes `refusal` now, at
    the moment of granting, or nothing changes. Returns None when done, else what to tell the member
    (a refused role is also told to the moderators once and recorded for /config show)."""
    guild = member.guild
    roles = [*add, *remove]
    if not roles:
        return None
    settings = await bot.guild_store.get(guild.id)
    refused = [
        r for r in (refusal(role, moderator_role_id=settings.moderator_role_id) for role in roles) if r
    ]
    if refused:
        now = int(bot.scheduler.clock.now())
        for found in refused:
            log.warning("guild %s: refused to hand out role %s: %s", guild.id, found.role.id, found.reason)
            if await bot.role_refusals.note(guild.id, found.role.id, found.reason, now):
                await tell_moderators(
                    bot,
                    guild,
                    f"\N{WARNING SIGN} {found.text} A member just asked for it ({reason}); I changed "
                    f"nothing. {found.fix} `/config show` lists the roles I refuse.",
                )
        first = refused[0]
        return f"{first.text} I changed none of your roles, and the moderators have been told."
    if not guild.me.guild_permissions.manage_roles:
        return BotMissingPermissions("this server", ["Manage Roles"]).message
    try:
        if add:
            await member.add_roles(*add, reason=reason)
        if remove:
            await member.remove_roles(*remove, reason=reason)
    except discord.Forbidden:
        return (
            "Discord wouldn't let me change your roles. A moderator should check that my role has "
            "**Manage Roles** and sits above " + ", ".join(r.mention for r in roles) + "."
        )
    await bot.role_refusals.clear(guild.id, [r.id for r in roles])
    return None
