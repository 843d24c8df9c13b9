"""/spoilers (moderators): spoiler channels, the spoiler window, spoiler words, the guard and the
"watched up to" roles. Discord in and out; the window's rules in rules.py, the guard in guard.py."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import SPOILER_CHANNEL_PERMISSIONS, ensure_bot_can, missing_permissions, moderator_only
from bot.config_registry import ConfigSection
from bot.embeds import CONTENT_MAX, fit_lines, fit_text
from bot.episode_options import episode_choices, read_episode
from bot.episodes import EpisodeCode, parse_episode
from bot.errors import BotMissingPermissions, UserError
from bot.roles import ensure_label_role
from bot.spoilers import spoiler
from bot.text import clean_title

from .guard import GUARD_PERMISSIONS, SpoilerGuard
from .rules import describe_window, parse_window

if TYPE_CHECKING:
    from bot.core import Cliffhanger

log = logging.getLogger(__name__)

Interaction = discord.Interaction["Cliffhanger"]

EX_WORD = "/spoilers words add episode:S2E3 word:Reghabi"
EX_ROLE = "/spoilers roles set episode:{code} role:@Watched S2E3"
WORDS_PER_LINE = 8

INTENT_HELP = (
    "The spoiler guard reads members' messages, which needs Discord's privileged **Message Content** intent, "
    "and this bot runs without it. Whoever hosts the bot can turn it on: Discord Developer Portal > your "
    "application > Bot > Privileged Gateway Intents > **Message Content Intent**, then set "
    "`MESSAGE_CONTENT_INTENT=true` in the bot's `.env` and restart it. Then try again."
)


def describe_channels(guild: discord.Guild, channel_ids: list[int]) -> str:
    """The spoiler channels, each with a warning where the bot lacks a permission."""
    if not channel_ids:
        return "none yet: add one with /spoilers channel add"
    lines = []
    for channel_id in channel_ids:
        channel = guild.get_channel(channel_id)
        if channel is None:
            lines.append(f"<#{channel_id}> (deleted: remove it)")
            continue
        missing = missing_permissions(channel.permissions_for(guild.me), SPOILER_CHANNEL_PERMISSIONS)
        note = f" \N{WARNING SIGN} I'm missing {', '.join(missing)} there" if missing else ""
        lines.append(channel.mention + note)
    return "\n".join(lines)


@app_commands.guild_only()
class Spoilers(
    commands.GroupCog,
    group_name="spoilers",
    group_description="Spoiler channels, window, words and guard (moderators)",
):
    """Moderators' spoiler settings, and the optional guard that reads members' messages."""

    channel = app_commands.Group(name="channel", description="The spoiler channels")
    words = app_commands.Group(name="words", description="Per-episode spoiler words")
    guard = app_commands.Group(name="guard", description="Remove messages that leak a fresh spoiler word")
    roles = app_commands.Group(name="roles", description='"Watched up to" roles')

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        self.leak_guard = SpoilerGuard(bot)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.config_registry.add("spoilers", ConfigSection(show_lines=self.config_lines))

    async def cog_unload(self) -> None:
        self.bot.config_registry.remove("spoilers")

    def now(self) -> int:
        return int(self.bot.scheduler.clock.now())

    # -- settings for /config show ---------------------------------------------------------------
    async def config_lines(self, guild: discord.Guild) -> list[tuple[str, str]]:
        settings = await self.bot.guild_store.get(guild.id)
        channels = await self.bot.spoiler_channels.ordered(guild.id)
        words = await self.bot.spoiler_words.words(guild.id)
        guard = "on" if settings.spoiler_guard else "off"
        if settings.spoiler_guard and not self.bot.intents.message_content:
            guard = (
                "on, \N{WARNING SIGN} but the bot runs without the Message Content intent, so it sees nothing"
            )
        return [
            ("Spoiler channels", describe_channels(guild, channels)),
            (
                "Spoilers",
                f"Window: {describe_window(settings.spoiler_window_seconds)} after an episode airs · "
                f"{len(words)} spoiler word{'s' if len(words) != 1 else ''} · guard {guard}",
            ),
        ]

    # -- /spoilers channel -------------------------------------------------------------------------
    @channel.command(name="add", description="Mark a channel where spoilers may be posted and recaps go")
    @app_commands.describe(channel="A text channel the bot can read, post and manage messages in")
    @moderator_only()
    async def channel_add(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        ensure_bot_can(
            channel, SPOILER_CHANNEL_PERMISSIONS, example=f"/spoilers channel add channel:#{channel.name}"
        )
        added = await self.bot.spoiler_channels.add(
            interaction.guild.id, channel.id, interaction.user.id, self.now()
        )
        text = (
            f"\N{WHITE HEAVY CHECK MARK} {channel.mention} is a spoiler channel: recaps can go there, and the "
            "spoiler guard leaves it alone."
            if added
            else f"{channel.mention} already is a spoiler channel."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @channel.command(name="remove", description="Stop treating a channel as a spoiler channel")
    @app_commands.describe(channel="One of the spoiler channels")
    @moderator_only()
    async def channel_remove(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        if not await self.bot.spoiler_channels.remove(interaction.guild.id, channel.id):
            raise UserError(f"{channel.mention} isn't a spoiler channel.", example="/spoilers channel list")
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} {channel.mention} is no longer a spoiler channel. Recaps already posted "
            "there stay.",
            ephemeral=True,
        )

    @channel.command(name="list", description="List the spoiler channels")
    @moderator_only()
    async def channel_list(self, interaction: Interaction) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        channels = await self.bot.spoiler_channels.ordered(interaction.guild.id)
        await interaction.response.send_message(
            fit_text("**Spoiler channels**\n" + describe_channels(interaction.guild, channels)),
            ephemeral=True,
        )

    # -- /spoilers window --------------------------------------------------------------------------
    @app_commands.command(name="window", description="How long after airing an episode counts as fresh")
    @app_commands.describe(length="For example 7 days (the default), 36 hours or 2 weeks")
    @moderator_only()
    async def window(self, interaction: Interaction, length: app_commands.Range[str, 1, 40]) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        seconds = parse_window(length)
        await self.bot.guild_store.update(interaction.guild_id, spoiler_window_seconds=seconds)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} An episode now counts as fresh until **{describe_window(seconds)}** after "
            "it airs (and always before). Its spoiler words can't be used in titles until then.",
            ephemeral=True,
        )

    # -- /spoilers words ---------------------------------------------------------------------------
    @words.command(name="add", description="Add a spoiler word or name for an episode")
    @app_commands.describe(
        episode="The episode, for example S2E3", word="A word or short phrase, for example Reghabi"
    )
    @moderator_only()
    async def words_add(
        self,
        interaction: Interaction,
        episode: app_commands.Range[str, 1, 30],
        word: app_commands.Range[str, 1, 100],
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = await read_episode(
            self.bot, interaction.guild_id, episode, example=EX_WORD.replace("S2E3", "{code}")
        )
        clean = clean_title(word, what="A spoiler word", example=EX_WORD)
        added = await self.bot.spoiler_words.add_word(interaction.guild_id, code, clean, interaction.user.id)
        settings = await self.bot.guild_store.get(interaction.guild_id)
        shown = spoiler(clean)
        text = (
            f"\N{WHITE HEAVY CHECK MARK} Added {shown} as a spoiler word for **{code}**. While {code} is fresh, "
            "titles can't use it"
            + (" and the guard removes messages that do." if settings.spoiler_guard else ".")
            if added
            else f"{shown} already is a spoiler word for {code}."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @words.command(name="remove", description="Remove a spoiler word from an episode")
    @app_commands.describe(episode="The episode, for example S2E3", word="The word as it was added")
    @moderator_only()
    async def words_remove(
        self,
        interaction: Interaction,
        episode: app_commands.Range[str, 1, 30],
        word: app_commands.Range[str, 1, 100],
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = parse_episode(episode, example_command="/spoilers words remove episode:{code} word:Reghabi")
        if not await self.bot.spoiler_words.remove_word(interaction.guild_id, code, word):
            raise UserError(
                f"{code} has no such spoiler word.", example=f"/spoilers words list episode:{code}"
            )
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} Removed {spoiler(word)} from {code}'s spoiler words.",
            ephemeral=True,
        )

    @words.command(name="list", description="List spoiler words (hidden behind spoiler tags)")
    @app_commands.describe(episode="Only this episode's words, for example S2E3")
    @moderator_only()
    async def words_list(
        self, interaction: Interaction, episode: app_commands.Range[str, 1, 30] | None = None
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = (
            parse_episode(episode, example_command="/spoilers words list episode:{code}") if episode else None
        )
        found = await self.bot.spoiler_words.words(interaction.guild_id, code)
        if not found:
            raise UserError(
                f"There are no spoiler words{f' for {code}' if code else ''} yet.", example=EX_WORD
            )
        by_episode: dict[EpisodeCode, list[str]] = {}
        for w in found:
            by_episode.setdefault(w.episode, []).append(spoiler(w.word))
        # Whole words only, a line per few of them, so no cut can fall inside a spoiler tag.
        lines = [
            f"**{c}**: {', '.join(ws[i : i + WORDS_PER_LINE])}"
            for c, ws in by_episode.items()
            for i in range(0, len(ws), WORDS_PER_LINE)
        ]
        more = "\N{HORIZONTAL ELLIPSIS} and {n} more lines" + (
            "" if code else ": name an episode to see its words"
        )
        await interaction.response.send_message(fit_lines(lines, CONTENT_MAX, more=more), ephemeral=True)

    # -- /spoilers guard ---------------------------------------------------------------------------
    @guard.command(
        name="on", description="Remove and repost, spoiler-tagged, messages that leak fresh spoiler words"
    )
    @moderator_only()
    async def guard_on(self, interaction: Interaction) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        if not self.bot.intents.message_content:
            raise UserError(INTENT_HELP)
        me = interaction.guild.me
        missing = missing_permissions(me.guild_permissions, GUARD_PERMISSIONS)
        if missing:
            raise BotMissingPermissions("this server", missing, example="/spoilers guard on")
        await self.bot.guild_store.update(interaction.guild.id, spoiler_guard=True)
        words = await self.bot.spoiler_words.words(interaction.guild.id)
        note = "" if words else " There are no spoiler words yet, so add some:"
        await interaction.response.send_message(
            "\N{WHITE HEAVY CHECK MARK} The spoiler guard is on. Outside the spoiler channels, a message with a fresh "
            "episode's spoiler word is removed and reposted behind spoiler tags, and its author is told why."
            + note
            + (f"\n**Example:** `{EX_WORD}`" if not words else ""),
            ephemeral=True,
        )

    @guard.command(name="off", description="Stop removing messages that contain spoiler words")
    @moderator_only()
    async def guard_off(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        await self.bot.guild_store.update(interaction.guild_id, spoiler_guard=False)
        await interaction.response.send_message(
            "\N{WHITE HEAVY CHECK MARK} The spoiler guard is off. Spoiler words still keep titles neutral.",
            ephemeral=True,
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        await self.leak_guard.check(message)

    @commands.Cog.listener()
    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        # An edit can add a spoiler after the fact. Only messages still in discord.py's cache are
        # seen (recent ones); older edits are let through.
        if before.content != after.content:
            await self.leak_guard.check(after)

    # -- /spoilers roles ---------------------------------------------------------------------------
    @roles.command(name="set", description="Give a role to members whose progress reaches an episode")
    @app_commands.describe(
        episode="The episode, for example S2E3", role="The role, for example @Watched S2E3"
    )
    @moderator_only()
    async def roles_set(
        self, interaction: Interaction, episode: app_commands.Range[str, 1, 30], role: discord.Role
    ) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        code = await read_episode(self.bot, interaction.guild.id, episode, example=EX_ROLE)
        example = EX_ROLE.replace("{code}", str(code))
        await ensure_label_role(self.bot, role, moderator=interaction.user, example=example)
        if not interaction.guild.me.guild_permissions.manage_roles:
            raise BotMissingPermissions("this server", ["Manage Roles"], example=example)
        await self.bot.progress.set_role(interaction.guild.id, code, role.id)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} Members who set their progress to {code} or later get {role.mention}. "
            "Gate spoiler channels with it in the channel's permissions.",
            ephemeral=True,
        )

    @roles.command(name="remove", description="Stop giving a role for an episode")
    @app_commands.describe(episode="The episode, for example S2E3")
    @moderator_only()
    async def roles_remove(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = parse_episode(episode, example_command="/spoilers roles remove episode:{code}")
        if not await self.bot.progress.remove_role(interaction.guild_id, code):
            raise UserError(f"{code} has no progress role.", example="/spoilers roles list")
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} {code} no longer has a progress role. Members keep roles they have.",
            ephemeral=True,
        )

    @roles.command(name="list", description='List the "watched up to" roles')
    @moderator_only()
    async def roles_list(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        found = await self.bot.progress.roles(interaction.guild_id)
        if not found:
            raise UserError("There are no progress roles yet.", example=EX_ROLE.replace("{code}", "S2E3"))
        await interaction.response.send_message(
            fit_lines([f"**{r.episode}**: <@&{r.role_id}>" for r in found], CONTENT_MAX), ephemeral=True
        )

    # -- autocomplete ------------------------------------------------------------------------------
    @words_add.autocomplete("episode")
    @roles_set.autocomplete("episode")
    async def episode_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await episode_choices(interaction, current)
