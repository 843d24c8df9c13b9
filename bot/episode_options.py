"""Episode options of slash commands: reading the episode a member typed, and autocompleting one.

Spoilers, recaps, progress and theories all take an `episode:` option; they read and suggest it here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from .episodes import EpisodeCode, parse_episode
from .spoilers import is_ahead, member_progress

if TYPE_CHECKING:
    from .core import Cliffhanger

__all__ = ["episode_choices", "read_episode"]

MAX_CHOICES = 25  # Discord's limit for autocomplete


async def read_episode(bot: Cliffhanger, guild_id: int, text: str, *, example: str) -> EpisodeCode:
    """A typed episode code, refused when the server's schedule ends its season earlier. `example`
    is the command with `{code}` where the episode goes."""
    code = parse_episode(text, example_command=example)
    code.check_in_schedule(await bot.episodes.season_sizes(guild_id), example)
    return code


async def episode_choices(
    interaction: discord.Interaction[Cliffhanger],
    current: str,
    *,
    codes: Iterable[EpisodeCode] | None = None,
    hide_ahead: bool = False,
    aired_only: bool = False,
    newest_first: bool = False,
) -> list[app_commands.Choice[str]]:
    """Episodes matching what was typed: `codes` (default: the server's schedule), only those aired
    so far with `aired_only`, none past the member's progress with `hide_ahead`. Codes only: an
    episode's title can itself be a spoiler."""
    guild_id = interaction.guild_id
    if guild_id is None:
        return []
    bot = interaction.client
    if codes is None:
        now = bot.scheduler.clock.now()
        codes = [
            e.code
            for e in await bot.episodes.schedule(guild_id)
            if not aired_only or e.air_at is None or e.air_at <= now
        ]
    progress = await member_progress(bot, guild_id, interaction.user.id) if hide_ahead else None
    typed = "".join(current.lower().split())
    found = [str(c) for c in codes if not is_ahead(progress, c) and typed in str(c).lower()]
    if newest_first:
        found.reverse()
    return [app_commands.Choice(name=code, value=code) for code in found[:MAX_CHOICES]]
