"""/spoilers (moderators), /recap and /progress: Discord in and out; rules in rules.py, SQL in store.py."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_bot_can, ensure_moderator, is_moderator, missing_permissions
from bot.db.guilds import GuildSettings
from bot.db.spoilers import SpoilerWord
from bot.episodes import EpisodeCode, parse_episode
from bot.errors import BotMissingPermissions, UserError
from bot.spoilers import (
    Reveal,
    ensure_title_safe,
    find_spoiler_word,
    hidden_notice,
    is_ahead,
    member_progress,
    spoiler,
    spoiler_chunks,
    unspoilered_text,
)
from bot.text import clean_title, escape
from bot.ui import ReportingModal

from .rules import (
    describe_window,
    parse_window,
    recap_header,
    recap_thread_name,
    roles_for_progress,
)
from .store import Recap, SpoilersStore

if TYPE_CHECKING:
    from bot.core import Cliffhanger

log = logging.getLogger(__name__)

Interaction = discord.Interaction["Cliffhanger"]

CHANNEL_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, read_message_history=True, manage_messages=True
)
THREAD_PERMISSIONS = discord.Permissions(create_public_threads=True, send_messages_in_threads=True)
GUARD_PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, manage_messages=True)
RECAP_LIMIT = 4000
GUILD_ONLY = app_commands.AppCommandContext(guild=True)

EX_CHANNEL = "/spoilers channel add channel:#spoilers"
EX_WORD = "/spoilers words add episode:S2E3 word:Reghabi"
EX_WRITE = "/recap write episode:{code}"
EX_READ = "/recap read episode:{code}"
EX_PROGRESS = "/progress set episode:{code}"
EX_ROLE = "/spoilers roles set episode:{code} role:@Watched S2E3"

INTENT_HELP = (
    "The spoiler guard reads members' messages, which needs Discord's privileged **Message Content** intent, "
    "and this bot runs without it. Whoever hosts the bot can turn it on: Discord Developer Portal > your "
    "application > Bot > Privileged Gateway Intents > **Message Content Intent**, then set "
    "`MESSAGE_CONTENT_INTENT=true` in the bot's `.env` and restart it. Then try again."
)


def _example(template: str, code: EpisodeCode | str = "S2E3") -> str:
    return template.replace("{code}", str(code))


class RecapModal(ReportingModal):
    """The recap text box: up to 4000 characters, prefilled when editing."""

    def __init__(self, cog: Spoilers, code: EpisodeCode, **target: Any) -> None:
        editing = target.get("recap") is not None
        super().__init__(title=f"{'Edit the' if editing else 'Write a'} recap of {code}", timeout=900)
        self.cog = cog
        self.code = code
        self.target = target
        self.text: discord.ui.TextInput[RecapModal] = discord.ui.TextInput(
            label="Recap (spoiler-tagged when posted)",
            style=discord.TextStyle.paragraph,
            custom_id="text",
            min_length=1,
            max_length=RECAP_LIMIT,
            default=target["recap"].body if editing else None,
        )
        self.add_item(self.text)

    async def on_submit(self, interaction: Interaction) -> None:  # type: ignore[override]
        if self.target.get("recap") is not None:
            await self.cog.finish_edit(interaction, self.target["recap"], self.text.value)
        else:
            await self.cog.finish_write(interaction, self.code, self.text.value, **self.target)


class Spoilers(commands.Cog):
    """Spoiler channels, windows, words and guard; recaps; watch progress."""

    spoilers = app_commands.Group(
        name="spoilers",
        description="Spoiler channels, window, words and guard (moderators)",
        guild_only=True,
        allowed_contexts=GUILD_ONLY,
        default_permissions=discord.Permissions(manage_guild=True),
    )
    channel = app_commands.Group(name="channel", description="The spoiler channels", parent=spoilers)
    words = app_commands.Group(name="words", description="Per-episode spoiler words", parent=spoilers)
    guard = app_commands.Group(
        name="guard", description="Remove messages that leak a fresh spoiler word", parent=spoilers
    )
    roles = app_commands.Group(name="roles", description='"Watched up to" roles', parent=spoilers)
    recap = app_commands.Group(
        name="recap",
        description="Episode recaps, spoiler-tagged",
        guild_only=True,
        allowed_contexts=GUILD_ONLY,
    )
    progress = app_commands.Group(
        name="progress",
        description="How far you've watched: later spoilers are hidden from you",
        guild_only=True,
        allowed_contexts=GUILD_ONLY,
    )

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        self.store = SpoilersStore(bot.db)

    async def cog_load(self) -> None:
        self.bot.reveals.register("recap", self.reveal_recap)

    async def cog_unload(self) -> None:
        self.bot.reveals.unregister("recap")

    async def interaction_check(self, interaction: Interaction) -> bool:  # type: ignore[override]
        command = interaction.command
        if (
            isinstance(command, app_commands.Command)
            and command.root_parent is not None
            and command.root_parent.name == "spoilers"
        ):
            await ensure_moderator(interaction)
        return True

    def now(self) -> int:
        return int(self.bot.scheduler.clock.now())

    async def episode(self, guild_id: int, text: str, example: str) -> EpisodeCode:
        """A typed episode code, checked against the server's schedule."""
        code = parse_episode(text, example_command=example)
        code.check_in_schedule(await self.bot.episodes.season_sizes(guild_id), example)
        return code

    # -- settings for /config show ---------------------------------------------------------------
    async def settings_fields(self, guild: discord.Guild) -> list[tuple[str, str]]:
        settings = await self.bot.guild_store.get(guild.id)
        channels = await self.store.ordered_channels(guild.id)
        words = await self.bot.spoiler_store.words(guild.id)
        guard = "on" if settings.spoiler_guard else "off"
        if settings.spoiler_guard and not self.bot.intents.message_content:
            guard = (
                "on, \N{WARNING SIGN} but the bot runs without the Message Content intent, so it sees nothing"
            )
        return [
            ("Spoiler channels", self.describe_channels(guild, channels)),
            (
                "Spoilers",
                f"Window: {describe_window(settings.spoiler_window_seconds)} after an episode airs · "
                f"{len(words)} spoiler word{'s' if len(words) != 1 else ''} · guard {guard}",
            ),
        ]

    @staticmethod
    def describe_channels(guild: discord.Guild, channel_ids: list[int]) -> str:
        if not channel_ids:
            return "none yet: add one with /spoilers channel add"
        lines = []
        for channel_id in channel_ids:
            channel = guild.get_channel(channel_id)
            if channel is None:
                lines.append(f"<#{channel_id}> (deleted: remove it)")
                continue
            missing = missing_permissions(channel.permissions_for(guild.me), CHANNEL_PERMISSIONS)
            note = f" \N{WARNING SIGN} I'm missing {', '.join(missing)} there" if missing else ""
            lines.append(channel.mention + note)
        return "\n".join(lines)

    # -- /spoilers channel -------------------------------------------------------------------------
    @channel.command(name="add", description="Mark a channel where spoilers may be posted and recaps go")
    @app_commands.describe(channel="A text channel the bot can read, post and manage messages in")
    async def channel_add(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        ensure_bot_can(channel, CHANNEL_PERMISSIONS, example=f"/spoilers channel add channel:#{channel.name}")
        added = await self.store.add_channel(
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
    async def channel_remove(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        if not await self.store.remove_channel(interaction.guild.id, channel.id):
            raise UserError(f"{channel.mention} isn't a spoiler channel.", example="/spoilers channel list")
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} {channel.mention} is no longer a spoiler channel. Recaps already posted "
            "there stay.",
            ephemeral=True,
        )

    @channel.command(name="list", description="List the spoiler channels")
    async def channel_list(self, interaction: Interaction) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        channels = await self.store.ordered_channels(interaction.guild.id)
        await interaction.response.send_message(
            "**Spoiler channels**\n" + self.describe_channels(interaction.guild, channels), ephemeral=True
        )

    # -- /spoilers window --------------------------------------------------------------------------
    @spoilers.command(name="window", description="How long after airing an episode counts as fresh")
    @app_commands.describe(length="For example 7 days (the default), 36 hours or 2 weeks")
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
    async def words_add(
        self,
        interaction: Interaction,
        episode: app_commands.Range[str, 1, 30],
        word: app_commands.Range[str, 1, 100],
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = await self.episode(interaction.guild_id, episode, EX_WORD.replace("S2E3", "{code}"))
        clean = clean_title(word, what="A spoiler word", example=EX_WORD)
        added = await self.bot.spoiler_store.add_word(interaction.guild_id, code, clean, interaction.user.id)
        shown = spoiler(clean)
        text = (
            f"\N{WHITE HEAVY CHECK MARK} Added {shown} as a spoiler word for **{code}**. While {code} is fresh, "
            "titles can't use it"
            + (
                " and the guard removes messages that do."
                if (await self.guild(interaction)).spoiler_guard
                else "."
            )
            if added
            else f"{shown} already is a spoiler word for {code}."
        )
        await interaction.response.send_message(text, ephemeral=True)

    @words.command(name="remove", description="Remove a spoiler word from an episode")
    @app_commands.describe(episode="The episode, for example S2E3", word="The word as it was added")
    async def words_remove(
        self,
        interaction: Interaction,
        episode: app_commands.Range[str, 1, 30],
        word: app_commands.Range[str, 1, 100],
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = parse_episode(episode, example_command="/spoilers words remove episode:{code} word:Reghabi")
        if not await self.bot.spoiler_store.remove_word(interaction.guild_id, code, word):
            raise UserError(
                f"{code} has no such spoiler word.", example=f"/spoilers words list episode:{code}"
            )
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} Removed {spoiler(word)} from {code}'s spoiler words.",
            ephemeral=True,
        )

    @words.command(name="list", description="List spoiler words (hidden behind spoiler tags)")
    @app_commands.describe(episode="Only this episode's words, for example S2E3")
    async def words_list(
        self, interaction: Interaction, episode: app_commands.Range[str, 1, 30] | None = None
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = (
            parse_episode(episode, example_command="/spoilers words list episode:{code}") if episode else None
        )
        found = await self.bot.spoiler_store.words(interaction.guild_id, code)
        if not found:
            raise UserError(
                f"There are no spoiler words{f' for {code}' if code else ''} yet.", example=EX_WORD
            )
        by_episode: dict[EpisodeCode, list[str]] = {}
        for w in found:
            by_episode.setdefault(w.episode, []).append(w.word)
        lines = [f"**{c}**: {', '.join(spoiler(w) for w in ws)}" for c, ws in by_episode.items()]
        text = "\n".join(lines)
        if len(text) > 1900:
            text = (
                text[:1900].rsplit("\n", 1)[0]
                + "\n\N{HORIZONTAL ELLIPSIS} (name an episode to see all its words)"
            )
        await interaction.response.send_message(text, ephemeral=True)

    async def guild(self, interaction: Interaction) -> GuildSettings:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        return await self.bot.guild_store.get(interaction.guild_id)

    # -- /spoilers guard ---------------------------------------------------------------------------
    @guard.command(
        name="on", description="Remove and repost, spoiler-tagged, messages that leak fresh spoiler words"
    )
    async def guard_on(self, interaction: Interaction) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        if not self.bot.intents.message_content:
            raise UserError(INTENT_HELP)
        me = interaction.guild.me
        missing = missing_permissions(me.guild_permissions, GUARD_PERMISSIONS)
        if missing:
            raise BotMissingPermissions("this server", missing, example="/spoilers guard on")
        await self.bot.guild_store.update(interaction.guild.id, spoiler_guard=True)
        words = await self.bot.spoiler_store.words(interaction.guild.id)
        note = "" if words else " There are no spoiler words yet, so add some:"
        await interaction.response.send_message(
            "\N{WHITE HEAVY CHECK MARK} The spoiler guard is on. Outside the spoiler channels, a message with a fresh "
            "episode's spoiler word is removed and reposted behind spoiler tags, and its author is told why."
            + note
            + (f"\n**Example:** `{EX_WORD}`" if not words else ""),
            ephemeral=True,
        )

    @guard.command(name="off", description="Stop removing messages that contain spoiler words")
    async def guard_off(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        await self.bot.guild_store.update(interaction.guild_id, spoiler_guard=False)
        await interaction.response.send_message(
            "\N{WHITE HEAVY CHECK MARK} The spoiler guard is off. Spoiler words still keep titles neutral.",
            ephemeral=True,
        )

    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.guild is None or message.author.bot or not message.content:
            return
        settings = await self.bot.guild_store.get(message.guild.id)
        if not settings.spoiler_guard:
            return
        channel = message.channel
        spoiler_channels = await self.store.channels(message.guild.id)
        parent_id = getattr(channel, "parent_id", None)
        if channel.id in spoiler_channels or parent_id in spoiler_channels:
            return
        words = await self.bot.spoiler_store.fresh_words(
            message.guild.id, self.now(), settings.spoiler_window_seconds
        )
        hit = find_spoiler_word(unspoilered_text(message.content), words)
        if hit is None:
            return
        await self.guard_message(message, hit.episode, words)

    @commands.Cog.listener()
    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        # An edit can add a spoiler after the fact. Only messages still in discord.py's cache are
        # seen (recent ones); older edits are let through.
        if before.content != after.content:
            await self.on_message(after)

    async def guard_message(
        self, message: discord.Message, code: EpisodeCode, words: Sequence[SpoilerWord]
    ) -> None:
        """Remove a leaking message and repost it behind spoiler tags; tell the author privately."""
        assert message.guild is not None  # noqa: S101 - guild messages only
        try:
            await message.delete()
        except discord.NotFound:
            return  # already gone
        except discord.HTTPException as exc:
            log.warning(
                "spoiler guard could not remove message %s in %s: %s", message.id, message.channel.id, exc
            )
            return
        name = message.author.display_name
        # The header shows outside the tags, so a display name holding a spoiler word is left out.
        who = "a member" if find_spoiler_word(name, words) else f"@{escape(name)}"
        header = f"\N{SPEAKING HEAD IN SILHOUETTE} From {who}, with spoilers for {code} (tap to reveal):"
        reposted = True
        try:
            for chunk in spoiler_chunks(message.content, header=header):
                await message.channel.send(
                    chunk, allowed_mentions=discord.AllowedMentions.none(), suppress_embeds=True
                )
        except discord.HTTPException as exc:
            reposted = False
            log.warning("spoiler guard could not repost message %s: %s", message.id, exc)
        spoiler_channels = await self.store.ordered_channels(message.guild.id)
        where = f" or in <#{spoiler_channels[0]}>" if spoiler_channels else ""
        server = escape(message.guild.name)
        done = (
            "I reposted it behind spoiler tags."
            if reposted
            else "I couldn't repost it, so here it is for you to post again behind tags:"
        )
        try:
            await message.author.send(
                f"\N{SEE-NO-EVIL MONKEY} Your message in <#{message.channel.id}> mentioned something from "
                f"**{code}**, which is still fresh in **{server}**. {done} "
                f"Next time wrap spoilers in `||like this||`{where}."
            )
            if not reposted:
                for chunk in spoiler_chunks(message.content):
                    await message.author.send(chunk)
        except discord.HTTPException:
            log.debug("could not DM %s about a guarded message", message.author.id)

    # -- /spoilers roles ---------------------------------------------------------------------------
    @roles.command(name="set", description="Give a role to members whose progress reaches an episode")
    @app_commands.describe(
        episode="The episode, for example S2E3", role="The role, for example @Watched S2E3"
    )
    async def roles_set(
        self, interaction: Interaction, episode: app_commands.Range[str, 1, 30], role: discord.Role
    ) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        code = await self.episode(interaction.guild.id, episode, EX_ROLE)
        example = _example(EX_ROLE, code)
        if role.is_default() or role.managed:
            raise UserError(
                f"{role.mention} can't be handed out. Pick or create a plain role.", example=example
            )
        me = interaction.guild.me
        if not me.guild_permissions.manage_roles:
            raise BotMissingPermissions("this server", ["Manage Roles"], example=example)
        if role >= me.top_role:
            raise UserError(
                f"I can't hand out {role.mention}: it is above my highest role. Drag my role above it in "
                "Server Settings > Roles.",
                example=example,
            )
        await self.store.set_progress_role(interaction.guild.id, code, role.id)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} Members who set their progress to {code} or later get {role.mention}. "
            "Gate spoiler channels with it in the channel's permissions.",
            ephemeral=True,
        )

    @roles.command(name="remove", description="Stop giving a role for an episode")
    @app_commands.describe(episode="The episode, for example S2E3")
    async def roles_remove(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = parse_episode(episode, example_command="/spoilers roles remove episode:{code}")
        if not await self.store.remove_progress_role(interaction.guild_id, code):
            raise UserError(f"{code} has no progress role.", example="/spoilers roles list")
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} {code} no longer has a progress role. Members keep roles they have.",
            ephemeral=True,
        )

    @roles.command(name="list", description='List the "watched up to" roles')
    async def roles_list(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        found = await self.store.progress_roles(interaction.guild_id)
        if not found:
            raise UserError("There are no progress roles yet.", example=_example(EX_ROLE))
        await interaction.response.send_message(
            "\n".join(f"**{r.episode}**: <@&{r.role_id}>" for r in found), ephemeral=True
        )

    async def sync_roles(self, member: discord.Member, progress: EpisodeCode | None) -> str:
        """Give and take "watched up to" roles to match progress; a note when something failed."""
        mapped = await self.store.progress_roles(member.guild.id)
        if not mapped:
            return ""
        keep, drop = roles_for_progress(mapped, progress)
        add = [
            r
            for r in (member.guild.get_role(i) for i in keep)
            if r is not None and member.get_role(r.id) is None
        ]
        remove = [
            r for r in (member.guild.get_role(i) for i in drop) if r is not None and member.get_role(r.id)
        ]
        try:
            if add:
                await member.add_roles(*add, reason="watch progress")
            if remove:
                await member.remove_roles(*remove, reason="watch progress")
        except discord.HTTPException as exc:
            log.warning("progress role sync failed in %s: %s", member.guild.id, exc)
            return "\n\N{WARNING SIGN} I couldn't update your progress roles; a moderator should check my Manage Roles permission."
        return ""

    # -- /progress ---------------------------------------------------------------------------------
    @progress.command(name="set", description="Record the last episode you've watched")
    @app_commands.describe(episode="The last episode you've watched, for example S2E3")
    async def progress_set(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = await self.episode(interaction.guild_id, episode, EX_PROGRESS)
        await self.bot.spoiler_store.set_progress(interaction.guild_id, interaction.user.id, code)
        note = (
            await self.sync_roles(interaction.user, code)
            if isinstance(interaction.user, discord.Member)
            else ""
        )
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} Your progress is **{code}**. Recaps and theories about later episodes are "
            "hidden from you until you move it on." + note,
            ephemeral=True,
        )

    @progress.command(name="show", description="Show how far you've said you've watched")
    async def progress_show(self, interaction: Interaction) -> None:
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

    @progress.command(name="clear", description="Forget your progress and stop hiding later episodes")
    async def progress_clear(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        cleared = await self.bot.spoiler_store.clear_progress(interaction.guild_id, interaction.user.id)
        if not cleared:
            raise UserError(
                "You haven't set your progress, so there is nothing to clear.", example=_example(EX_PROGRESS)
            )
        note = (
            await self.sync_roles(interaction.user, None)
            if isinstance(interaction.user, discord.Member)
            else ""
        )
        await interaction.response.send_message(
            "\N{WHITE HEAVY CHECK MARK} Progress cleared: nothing is hidden from you now." + note,
            ephemeral=True,
        )

    # -- episode autocomplete ----------------------------------------------------------------------
    async def episode_choices(
        self, interaction: Interaction, current: str, *, hide_ahead: bool, only_recaps: bool = False
    ) -> list[app_commands.Choice[str]]:
        """Scheduled episodes matching what was typed; those past the member's progress left out."""
        if interaction.guild_id is None:
            return []
        progress = (
            await member_progress(self.bot, interaction.guild_id, interaction.user.id) if hide_ahead else None
        )
        if only_recaps:
            codes = [r.episode for r in await self.store.recaps(interaction.guild_id)]
        else:
            codes = [e.code for e in await self.bot.episodes.schedule(interaction.guild_id)]
        typed = "".join(current.lower().split())
        choices = []
        for code in codes:
            if is_ahead(progress, code):
                continue
            if typed and typed not in str(code).lower():
                continue
            choices.append(app_commands.Choice(name=str(code), value=str(code)))
        return choices[:25]

    async def any_episode(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await self.episode_choices(interaction, current, hide_ahead=False)

    async def recapped_episode(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.episode_choices(interaction, current, hide_ahead=True, only_recaps=True)

    # -- /recap ------------------------------------------------------------------------------------
    @recap.command(name="write", description="Write an episode recap; it is posted behind spoiler tags")
    @app_commands.describe(
        episode="The episode, for example S2E3",
        channel="The spoiler channel to post in (default: the first spoiler channel)",
        thread="Post it in a new thread in that channel",
    )
    async def recap_write(
        self,
        interaction: Interaction,
        episode: app_commands.Range[str, 1, 30],
        channel: discord.TextChannel | None = None,
        thread: bool = False,
    ) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        guild = interaction.guild
        code = await self.episode(guild.id, episode, EX_WRITE)
        if await self.store.recap(guild.id, code) is not None:
            raise UserError(
                f"{code} already has a recap. Edit it instead:", example=f"/recap edit episode:{code}"
            )
        target = await self.recap_channel(guild, channel, code)
        need = CHANNEL_PERMISSIONS | (THREAD_PERMISSIONS if thread else discord.Permissions.none())
        ensure_bot_can(target, need, example=f"/recap write episode:{code} channel:#{target.name}")
        if thread:
            settings = await self.bot.guild_store.get(guild.id)
            await ensure_title_safe(
                self.bot,
                guild.id,
                recap_thread_name(settings.show_label, code),
                example="/config show-name name:Severance",
            )
        await interaction.response.send_modal(RecapModal(self, code, channel=target, thread=thread))

    async def recap_channel(
        self, guild: discord.Guild, channel: discord.TextChannel | None, code: EpisodeCode
    ) -> discord.TextChannel:
        spoiler_ids = await self.store.ordered_channels(guild.id)
        if channel is not None:
            if channel.id not in spoiler_ids:
                raise UserError(
                    f"{channel.mention} isn't a spoiler channel, and recaps only go in spoiler channels. "
                    "A moderator can add it:",
                    example=f"/spoilers channel add channel:#{channel.name}",
                )
            return channel
        for channel_id in spoiler_ids:
            found = guild.get_channel(channel_id)
            if isinstance(found, discord.TextChannel):
                return found
        raise UserError(
            "This server has no spoiler channel yet, and recaps only go in one. A moderator can add one:",
            example=EX_CHANNEL,
        )

    async def post_chunks(self, channel: discord.abc.Messageable, chunks: list[str]) -> list[discord.Message]:
        """Post a recap's messages in order; if one fails, remove those already posted."""
        posted: list[discord.Message] = []
        try:
            for chunk in chunks:
                posted.append(
                    await channel.send(
                        chunk, allowed_mentions=discord.AllowedMentions.none(), suppress_embeds=True
                    )
                )
        except discord.HTTPException:
            for message in posted:
                try:
                    await message.delete()
                except discord.HTTPException:
                    log.warning("could not remove half-posted recap message %s", message.id)
            raise
        return posted

    async def finish_write(
        self,
        interaction: Interaction,
        code: EpisodeCode,
        text: str,
        *,
        channel: discord.TextChannel,
        thread: bool,
    ) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        guild = interaction.guild
        settings = await self.bot.guild_store.get(guild.id)
        chunks = spoiler_chunks(text, header=recap_header(settings.show_label, code))
        if len(chunks) == 1 and "||" not in chunks[0]:
            raise UserError("The recap is empty.", example=_example(EX_WRITE, code))
        await interaction.response.defer(ephemeral=True, thinking=True)
        where: discord.abc.Messageable = channel
        thread_id: int | None = None
        try:
            if thread:
                made = await channel.create_thread(
                    name=recap_thread_name(settings.show_label, code),
                    type=discord.ChannelType.public_thread,
                    reason=f"recap of {code}",
                )
                where, thread_id = made, made.id
            posted = await self.post_chunks(where, chunks)
        except discord.Forbidden as exc:
            need = CHANNEL_PERMISSIONS | (THREAD_PERMISSIONS if thread else discord.Permissions.none())
            missing = missing_permissions(channel.permissions_for(guild.me), need)
            if missing:
                raise BotMissingPermissions(
                    channel.mention, missing, example=_example(EX_WRITE, code)
                ) from exc
            raise UserError(
                f"Discord wouldn't let me post in {channel.mention} ({exc.text}). Nothing was saved; check my "
                "permissions there and try again.",
                example=_example(EX_WRITE, code),
            ) from exc
        recap = await self.store.create_recap(
            guild.id,
            code,
            author_id=interaction.user.id,
            body=text,
            channel_id=thread_id or channel.id,
            thread_id=thread_id,
            message_ids=[m.id for m in posted],
            now=self.now(),
        )
        if recap is None:  # someone else's recap of this episode landed while this one was typed
            for message in posted:
                await message.delete()
            raise UserError(
                f"{code} got a recap while you were writing. Edit it instead:",
                example=f"/recap edit episode:{code}",
            )
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} Your recap of **{code}** is posted: {posted[0].jump_url}",
            ephemeral=True,
        )

    async def recap_for(self, interaction: Interaction, episode: str, example: str, *, manage: bool) -> Recap:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        code = parse_episode(episode, example_command=example)
        recap = await self.store.recap(interaction.guild_id, code)
        if recap is None:
            raise UserError(f"There is no recap of {code} yet.", example="/recap list")
        if manage and recap.author_id != interaction.user.id and not await is_moderator(interaction):
            raise UserError(
                "Only the recap's author or a moderator can change it.", example=f"/recap read episode:{code}"
            )
        return recap

    @recap.command(name="read", description="Read an episode's recap; only you see it")
    @app_commands.describe(episode="The episode, for example S2E3")
    async def recap_read(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        recap = await self.recap_for(interaction, episode, EX_READ, manage=False)
        progress = await member_progress(self.bot, interaction.guild_id, interaction.user.id)
        if is_ahead(progress, recap.episode):
            text, view = hidden_notice(recap.episode, "recap", recap.id, progress=progress)
            await interaction.response.send_message(text, view=view, ephemeral=True)
            return
        reveal = await self.reveal_recap(interaction, recap.id)
        assert reveal is not None  # noqa: S101 - just read
        chunks = spoiler_chunks(reveal.text, header=reveal.header)
        await interaction.response.send_message(chunks[0], ephemeral=True)
        for chunk in chunks[1:]:
            await interaction.followup.send(chunk, ephemeral=True)

    async def reveal_recap(self, interaction: discord.Interaction[Any], recap_id: int) -> Reveal | None:
        """The "Show anyway" resolver for recaps."""
        if interaction.guild_id is None:
            return None
        recap = await self.store.recap_by_id(interaction.guild_id, recap_id)
        if recap is None:
            return None
        settings = await self.bot.guild_store.get(interaction.guild_id)
        return Reveal(
            header=recap_header(settings.show_label, recap.episode),
            text=recap.body,
        )

    @recap.command(name="list", description="List this server's recaps")
    async def recap_list(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        found = await self.store.recaps(interaction.guild_id)
        if not found:
            raise UserError("There are no recaps yet.", example=_example(EX_WRITE))
        progress = await member_progress(self.bot, interaction.guild_id, interaction.user.id)
        lines = [
            f"**{r.episode}** by <@{r.author_id}> in <#{r.channel_id}>"
            + (" \N{SEE-NO-EVIL MONKEY} past your progress" if is_ahead(progress, r.episode) else "")
            for r in found
        ]
        text = "\n".join(lines)
        if len(text) > 1900:
            text = text[:1900].rsplit("\n", 1)[0] + "\n\N{HORIZONTAL ELLIPSIS}"
        await interaction.response.send_message(text + "\nRead one with `/recap read`.", ephemeral=True)

    @recap.command(
        name="edit", description="Edit a recap (its author or a moderator); the posts update in place"
    )
    @app_commands.describe(episode="The recap's episode, for example S2E3")
    async def recap_edit(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        recap = await self.recap_for(interaction, episode, "/recap edit episode:{code}", manage=True)
        await interaction.response.send_modal(RecapModal(self, recap.episode, recap=recap))

    async def recap_messages_channel(self, guild: discord.Guild, recap: Recap) -> discord.abc.Messageable:
        channel = guild.get_channel_or_thread(recap.channel_id)
        if channel is None:
            try:
                fetched = await self.bot.fetch_channel(recap.channel_id)
            except discord.HTTPException:
                raise UserError(
                    f"The channel the recap of {recap.episode} was posted in is gone. Delete the recap and write it again.",
                    example=f"/recap delete episode:{recap.episode}",
                ) from None
            channel = fetched  # type: ignore[assignment]
        assert isinstance(channel, discord.abc.Messageable)  # noqa: S101 - text channels and threads only
        return channel

    async def finish_edit(self, interaction: Interaction, recap: Recap, text: str) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        guild = interaction.guild
        settings = await self.bot.guild_store.get(guild.id)
        chunks = spoiler_chunks(text, header=recap_header(settings.show_label, recap.episode))
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = await self.recap_messages_channel(guild, recap)
        ids = list(recap.message_ids)
        kept: list[int] = []
        try:
            for i, chunk in enumerate(chunks):
                if i < len(ids):
                    try:
                        await channel.get_partial_message(ids[i]).edit(  # type: ignore[attr-defined]
                            content=chunk, allowed_mentions=discord.AllowedMentions.none()
                        )
                        kept.append(ids[i])
                        continue
                    except discord.NotFound:
                        pass  # removed by hand: post this part anew
                [new] = await self.post_chunks(channel, [chunk])
                kept.append(new.id)
        except BaseException:
            # Record what got through, so a retry edits the right messages.
            await self.store.update_recap(recap.id, recap.body, kept + ids[len(kept) :], self.now())
            raise
        await self.store.update_recap(recap.id, text, kept, self.now())
        for extra in ids[len(chunks) :]:  # the recap got shorter
            try:
                await channel.get_partial_message(extra).delete()  # type: ignore[attr-defined]
            except discord.HTTPException as exc:
                log.info("could not remove surplus recap message %s: %s", extra, exc)
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} The recap of **{recap.episode}** is updated in place.",
            ephemeral=True,
        )

    @recap.command(name="delete", description="Delete a recap and its posts (its author or a moderator)")
    @app_commands.describe(episode="The recap's episode, for example S2E3")
    async def recap_delete(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        recap = await self.recap_for(interaction, episode, "/recap delete episode:{code}", manage=True)
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = guild_channel = interaction.guild.get_channel_or_thread(recap.channel_id)
        failed = 0
        if isinstance(channel, discord.abc.Messageable):
            for message_id in recap.message_ids:
                try:
                    await channel.get_partial_message(message_id).delete()
                except discord.NotFound:
                    pass
                except discord.HTTPException:
                    failed += 1
        await self.store.delete_recap(recap.id)
        note = (
            f" I couldn't remove {failed} of its messages; a moderator can delete them by hand."
            if failed or guild_channel is None
            else ""
        )
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} The recap of **{recap.episode}** is deleted.{note}", ephemeral=True
        )

    recap_read.autocomplete("episode")(recapped_episode)
    recap_edit.autocomplete("episode")(recapped_episode)
    recap_delete.autocomplete("episode")(recapped_episode)
    recap_write.autocomplete("episode")(any_episode)
    progress_set.autocomplete("episode")(any_episode)
    words_add.autocomplete("episode")(any_episode)
    roles_set.autocomplete("episode")(any_episode)
