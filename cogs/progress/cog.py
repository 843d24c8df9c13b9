"""/progress: how far each member has watched; recaps and theories past it are hidden from them, and
"watched up to" roles follow it. Discord in and out; which roles a member holds in rules.py."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.episode_options import episode_choices, read_episode
from bot.episodes import EpisodeCode
from bot.errors import UserError
from bot.roles import change_roles
from bot.spoilers import member_progress

from .rules import roles_for_progress

if TYPE_CHECKING:
    from bot.core import Cliffhanger

log = logging.getLogger(__name__)

Interaction = discord.Interaction["Cliffhanger"]

EX_PROGRESS = "/progress set episode:{code}"


@app_commands.guild_only()
class Progress(
    commands.GroupCog,
    group_name="progress",
    group_description="How far you've watched: later spoilers are hidden from you",
):
    """Each member's own progress; nothing here is for moderators."""

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        super().__init__()

    async def role_changes(
        self, member: discord.Member, progress: EpisodeCode | None
    ) -> tuple[list[discord.Role], list[discord.Role]]:
        """The "watched up to" roles to give and to take so the member's roles match their progress."""
        mapped = await self.bot.progress.roles(member.guild.id)
        if not mapped:
            return [], []
        keep, drop = roles_for_progress(mapped, progress)
        add = [
            r
            for r in (member.guild.get_role(i) for i in keep)
            if r is not None and member.get_role(r.id) is None
        ]
        remove = [
            r for r in (member.guild.get_role(i) for i in drop) if r is not None and member.get_role(r.id)
        ]
        return add, remove

    async def answer(self, interaction: Interaction, progress: EpisodeCode | None, text: str) -> None:
        """Reply, and give or take roles. Each role is a request of its own (one per role, never a
        rewrite of the member's whole role list), so with roles to change the reply is deferred first:
        a dozen round trips would miss Discord's 3 seconds."""
        member = interaction.user
        add, remove = (
            await self.role_changes(member, progress) if isinstance(member, discord.Member) else ([], [])
        )
        if not (add or remove):
            await interaction.response.send_message(text, ephemeral=True)
            return
        assert isinstance(member, discord.Member)  # noqa: S101 - roles only come for members
        await interaction.response.defer(ephemeral=True, thinking=True)
        note = await self.sync_roles(member, add, remove)
        await interaction.followup.send(text + note, ephemeral=True)

    async def sync_roles(
        self, member: discord.Member, add: list[discord.Role], remove: list[discord.Role]
    ) -> str:
        """Give and take the roles (each checked again at the moment of granting); a note when
        something was refused or failed."""
        problem = await change_roles(self.bot, member, add=add, remove=remove, reason="watch progress")
        return f"\n\N{WARNING SIGN} Your progress roles: {problem}" if problem else ""

    # -- /progress ---------------------------------------------------------------------------------
    @app_commands.command(name="set", description="Record the last episode you've watched")
    @app_commands.describe(episode="The last episode you've watched, for example S2E3")
    async def set_(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = await read_episode(self.bot, interaction.guild_id, episode, example=EX_PROGRESS)
        await self.bot.progress.set(interaction.guild_id, interaction.user.id, code)
        await self.answer(
            interaction,
            code,
            f"\N{WHITE HEAVY CHECK MARK} Your progress is **{code}**. Recaps and theories about later episodes are "
            "hidden from you until you move it on.",
        )

    @app_commands.command(name="show", description="Show how far you've said you've watched")
    async def show(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = await member_progress(self.bot, interaction.guild_id, interaction.user.id)
        text = (
            f"Your progress is **{code}**: anything about later episodes is hidden from you."
            if code
            else "You haven't set your progress, so nothing is hidden from you."
        )
        await interaction.response.send_message(
            text + "\n**Example:** `/progress set episode:S2E3`", ephemeral=True
        )

    @app_commands.command(name="clear", description="Forget your progress and stop hiding later episodes")
    async def clear(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        cleared = await self.bot.progress.clear(interaction.guild_id, interaction.user.id)
        if not cleared:
            raise UserError(
                "You haven't set your progress, so there is nothing to clear.",
                example=EX_PROGRESS.replace("{code}", "S2E3"),
            )
        await self.answer(
            interaction, None, "\N{WHITE HEAVY CHECK MARK} Progress cleared: nothing is hidden from you now."
        )

    @set_.autocomplete("episode")
    async def episode_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await episode_choices(interaction, current)
