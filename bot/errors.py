"""Errors members can fix, and the one place every interaction error is reported."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence

import discord
from discord import app_commands

from .db import StorageError

__all__ = [
    "BotMissingPermissions",
    "NotModerator",
    "UserError",
    "format_user_error",
    "report_error",
]

log = logging.getLogger(__name__)

UNKNOWN_INTERACTION = 10062  # Discord's code for an interaction past its deadline (or unknown)


class UserError(app_commands.AppCommandError):
    """A mistake the member can fix. Shown only to them, with an example that works."""

    def __init__(self, message: str, *, example: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.example = example


class NotModerator(app_commands.CheckFailure):
    """The member is neither a Manage Server holder nor in the configured moderator role."""

    def __init__(self, role_mention: str | None) -> None:
        who = (
            "Manage Server permission"
            if role_mention is None
            else f"Manage Server permission or the {role_mention} role"
        )
        super().__init__(f"Only moderators can do that: it needs the {who}.")
        self.message = str(self)


def _join(names: Sequence[str]) -> str:
    bold = [f"**{n}**" for n in names]
    return bold[0] if len(bold) == 1 else ", ".join(bold[:-1]) + " and " + bold[-1]


class BotMissingPermissions(UserError):
    """The bot lacks permissions in a channel; names each one and how to grant it."""

    def __init__(self, where: str, missing: Sequence[str], *, example: str | None = None) -> None:
        self.missing = list(missing)
        super().__init__(
            f"I'm missing {_join(missing)} in {where}. Give my role {'this permission' if len(missing) == 1 else 'these permissions'} "
            "there (channel settings > Permissions), then try again.",
            example=example,
        )


def format_user_error(message: str, example: str | None) -> str:
    text = f"\N{CROSS MARK} {message}"
    if example:
        text += f"\n**Example:** `{example}`"
    return text


def _describe(error: Exception) -> tuple[str, str | None] | None:
    """The member-facing message and example for a known error, or None for a bug."""
    if isinstance(error, UserError):
        return error.message, error.example
    if isinstance(error, NotModerator):
        return error.message, None
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server, not in direct messages.", None
    if isinstance(error, app_commands.MissingPermissions):
        return (
            f"You need {_join([p.replace('_', ' ').title() for p in error.missing_permissions])} to do that.",
            None,
        )
    if isinstance(error, app_commands.BotMissingPermissions):
        return BotMissingPermissions(
            "this channel", [p.replace("_", " ").title() for p in error.missing_permissions]
        ).message, None
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s.", None
    if isinstance(error, app_commands.TransformerError):
        from .text import excerpt

        return (
            f"I couldn't understand `{excerpt(str(error.value))}` as a {error.type.name.lower().replace('_', ' ')}.",
            None,
        )
    if isinstance(error, app_commands.CommandNotFound):
        return (
            "That command no longer exists; Discord may still be showing an old list. Try again in a minute.",
            None,
        )
    if isinstance(error, app_commands.CommandSignatureMismatch):
        return "That command changed since Discord last loaded it. Try again in a minute.", None
    if isinstance(error, app_commands.CheckFailure):
        return "You can't use that command here.", None
    return None


def storage_problem(error: BaseException) -> str | None:
    """A plain description of a database failure the host must fix, or None if it is not one."""
    return error.problem if isinstance(error, StorageError) else None


async def report_error(interaction: discord.Interaction[discord.Client], error: Exception) -> None:
    """Tell the member what went wrong, ephemerally; log anything unexpected with an incident id."""
    described = _describe(error)
    if described is not None:
        await send_ephemeral(interaction, format_user_error(*described))
        return
    original = getattr(error, "original", None) or error.__cause__ or error
    if isinstance(original, discord.NotFound) and original.code == UNKNOWN_INTERACTION:
        # Answered after Discord's 3 s deadline: no reply can reach the member any more, and under
        # overload a traceback per late answer is the last thing the bot needs to spend time on.
        log.warning(
            "interaction %s expired before its answer reached Discord (the bot is overloaded or paused)",
            interaction.id,
        )
        return
    incident = secrets.token_hex(4)
    command = (
        interaction.command.qualified_name
        if interaction.command
        else interaction.data and interaction.data.get("custom_id")
    )
    log.error(
        "incident %s: unexpected error in %s (guild %s, user %s)",
        incident,
        command or "an interaction",
        interaction.guild_id,
        interaction.user.id,
        exc_info=original,
    )
    problem = storage_problem(original)
    if problem is not None:
        text = (
            f"\N{WARNING SIGN} I couldn't save that: {problem}. Nothing was changed, so try again later. "
            f"Whoever runs the bot can find incident `{incident}` in its log."
        )
    else:
        text = (
            f"\N{WARNING SIGN} Something went wrong on my side, sorry. It was logged as incident `{incident}`; "
            "a moderator can pass that id to whoever runs the bot."
        )
    await send_ephemeral(interaction, text)


PUBLIC_STAND_IN = "\N{WARNING SIGN} That didn't work; I've told you why privately."


async def send_ephemeral(interaction: discord.Interaction[discord.Client], text: str) -> None:
    """Reply ephemerally whether or not the interaction was already answered.

    After a deferral Discord makes the first followup the response itself, as public or private as
    the deferral was, and ignores the followup's own ephemeral flag. So when a public deferral is
    still "thinking", it is replaced by a neutral line first, and the error goes in a followup of its
    own, which is private."""
    if interaction.type is discord.InteractionType.autocomplete:
        return  # an autocomplete cannot carry a message; it was logged if it mattered
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(text, ephemeral=True)
            return
        if interaction.response.type is discord.InteractionResponseType.deferred_channel_message:
            original = await interaction.original_response()
            if original.flags.loading and not original.flags.ephemeral:
                await interaction.edit_original_response(content=PUBLIC_STAND_IN)
        await interaction.followup.send(text, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not deliver an error message for interaction %s", interaction.id, exc_info=True)
