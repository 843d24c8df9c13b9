"""/config: the server's own settings, for moderators."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ANNOUNCE_PERMISSIONS, ensure_bot_can, missing_permissions, moderator_only
from bot.embeds import fit_embed
from bot.errors import UserError
from bot.text import clean_title, escape
from bot.timezones import resolve_zone, search_zones

if TYPE_CHECKING:
    from bot.core import Cliffhanger

log = logging.getLogger(__name__)


@app_commands.guild_only()
class Config(
    commands.GroupCog,
    group_name="config",
    group_description="Cliffhanger's settings for this server (moderators)",
):
    """Server settings. Every subcommand re-checks moderator status when it runs; features add their
    own subcommands and /config show lines through `bot.config_registry`."""

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        super().__init__()

    @property
    def group(self) -> app_commands.Group:
        group = self.app_command
        assert group is not None  # noqa: S101 - a GroupCog always has its group
        return group

    async def cog_load(self) -> None:
        self.bot.config_registry.attach(self.group)

    async def cog_unload(self) -> None:
        self.bot.config_registry.detach(self.group)

    @app_commands.command(name="show", description="Show this server's Cliffhanger settings")
    @moderator_only()
    async def show(self, interaction: discord.Interaction[Cliffhanger]) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        embed = await self.settings_embed(interaction.guild)
        await interaction.response.send_message(embed=embed, ephemeral=True)

    async def settings_embed(self, guild: discord.Guild) -> discord.Embed:
        settings = await self.bot.guild_store.get(guild.id)
        zone = resolve_zone(settings.timezone)
        local = dt.datetime.now(zone)
        embed = discord.Embed(title="Cliffhanger settings", colour=discord.Colour.blurple())
        embed.add_field(name="Show", value=escape(settings.show_name or "not set"), inline=True)
        embed.add_field(
            name="Timezone", value=f"{settings.timezone} (now {local:%a %H:%M}, UTC{local:%z})", inline=True
        )
        role = guild.get_role(settings.moderator_role_id) if settings.moderator_role_id else None
        embed.add_field(
            name="Moderator role",
            value=(role.mention if role else "deleted role, set a new one")
            if settings.moderator_role_id
            else "not set (Manage Server holders only)",
            inline=False,
        )
        embed.add_field(
            name="Announcements",
            value=self.describe_channel(guild, settings.announce_channel_id),
            inline=False,
        )
        refused = await self.bot.role_refusals.all(guild.id)
        if refused:
            embed.add_field(
                name="\N{WARNING SIGN} Roles I refused to hand out",
                value="\n".join(
                    f"<@&{r.role_id}>: {escape(r.reason)} (<t:{r.refused_at}:R>)" for r in refused
                ),
                inline=False,
            )
        for name, value in await self.bot.config_registry.show_lines(guild):
            embed.add_field(name=name, value=value, inline=False)
        embed.set_footer(text="Change these with the other /config commands.")
        return fit_embed(embed)

    @staticmethod
    def describe_channel(guild: discord.Guild, channel_id: int | None) -> str:
        if channel_id is None:
            return "not set: countdowns need a channel of their own or this"
        channel = guild.get_channel(channel_id)
        if channel is None:
            return "deleted channel, set a new one"
        missing = missing_permissions(channel.permissions_for(guild.me), ANNOUNCE_PERMISSIONS)
        if missing:
            return f"{channel.mention} \N{WARNING SIGN} I'm missing {', '.join(missing)} there"
        return channel.mention

    @app_commands.command(
        name="timezone", description="Set the timezone that times typed in this server are read in"
    )
    @app_commands.describe(zone="An IANA timezone name, for example America/New_York or Europe/London")
    @moderator_only()
    async def timezone(
        self, interaction: discord.Interaction[Cliffhanger], zone: app_commands.Range[str, 1, 64]
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        tz = resolve_zone(zone)
        await self.bot.guild_store.update(interaction.guild_id, timezone=tz.key)
        now = dt.datetime.now(tz)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} Timezone set to **{tz.key}** (it is {now:%H:%M} there now). "
            "Times typed without a zone are read in it from now on.",
            ephemeral=True,
        )

    @timezone.autocomplete("zone")
    async def timezone_autocomplete(
        self, interaction: discord.Interaction[Cliffhanger], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in search_zones(current)]

    @app_commands.command(name="show-name", description="Set the name of the show this server follows")
    @app_commands.describe(name="The show's name as fans write it, for example Severance")
    @moderator_only()
    async def show_name(
        self, interaction: discord.Interaction[Cliffhanger], name: app_commands.Range[str, 1, 100]
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        cleaned = clean_title(name, what="The show's name", example="/config show-name name:Severance")
        await self.bot.guild_store.update(interaction.guild_id, show_name=cleaned)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} This server follows **{escape(cleaned)}**.",
            ephemeral=True,
        )

    @app_commands.command(
        name="moderator-role", description="Let a role run moderator commands (leave empty to clear)"
    )
    @app_commands.describe(role="Members with this role count as moderators; leave it out to clear it")
    @moderator_only()
    async def moderator_role(
        self, interaction: discord.Interaction[Cliffhanger], role: discord.Role | None = None
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        if role is None:
            await self.bot.guild_store.update(interaction.guild_id, moderator_role_id=None)
            await interaction.response.send_message(
                "\N{WHITE HEAVY CHECK MARK} Moderator role cleared: only members with Manage Server are moderators now.",
                ephemeral=True,
            )
            return
        if role.is_default():
            raise UserError(
                "@everyone can't be the moderator role: that would make every member a moderator. Pick a staff role.",
                example="/config moderator-role role:@Mods",
            )
        if role.managed:
            raise UserError(
                f"{role.mention} belongs to an integration or bot and can't be given to members. Pick a staff role.",
                example="/config moderator-role role:@Mods",
            )
        await self.bot.guild_store.update(interaction.guild_id, moderator_role_id=role.id)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} Members with {role.mention} can now use moderator commands.",
            ephemeral=True,
        )

    @app_commands.command(
        name="announcements",
        description="Set the channel countdown announcements go to (leave empty to clear)",
    )
    @app_commands.describe(
        channel="A text or announcement channel the bot can post in; leave it out to clear it"
    )
    @moderator_only()
    async def announcements(
        self,
        interaction: discord.Interaction[Cliffhanger],
        channel: discord.TextChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        if channel is None:
            await self.bot.guild_store.update(interaction.guild_id, announce_channel_id=None)
            await interaction.response.send_message(
                "\N{WHITE HEAVY CHECK MARK} Announcement channel cleared. Countdowns without a channel of their own "
                "won't be announced until you set one.",
                ephemeral=True,
            )
            return
        ensure_bot_can(
            channel, ANNOUNCE_PERMISSIONS, example=f"/config announcements channel:#{channel.name}"
        )
        await self.bot.guild_store.update(interaction.guild_id, announce_channel_id=channel.id)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} Countdown announcements will go to {channel.mention}.",
            ephemeral=True,
        )


async def setup(bot: Cliffhanger) -> None:
    await bot.add_cog(Config(bot))
