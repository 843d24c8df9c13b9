"""/spoilers (moderators): spoiler channels, the spoiler window, spoiler words, the guard, AutoMod, how
recaps are posted, discussion threads and the "watched up to" roles. Discord in and out; the window's
rules in rules.py, the guard in guard.py, the AutoMod rule in automod.py, discussion threads in
bot/discussions.py (announcements link to them)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.automod import RULE_NAME, keyword_problem
from bot.checks import SPOILER_CHANNEL_PERMISSIONS, ensure_bot_can, missing_permissions, moderator_only
from bot.config_registry import ConfigSection
from bot.discussions import DISCUSSION_JOB, needed_permissions
from bot.embeds import CONTENT_MAX, fit_lines, fit_text
from bot.episode_options import episode_choices, read_episode
from bot.episodes import EpisodeCode, parse_episode
from bot.errors import BotMissingPermissions, UserError
from bot.forum_tags import forum_tag_ids, season_tag_name
from bot.roles import ensure_label_role
from bot.scheduler import describe_http_error
from bot.spoilers import spoiler
from bot.text import clean_title, escape
from bot.transformers import ThreadHome, ThreadHomeTransformer

from .automod import AUTOMOD_JOB, GRANT, AutoModKeeper, RuleFull, Synced
from .guard import GUARD_PERMISSIONS, SpoilerGuard
from .rules import describe_window, parse_window

if TYPE_CHECKING:
    from bot.core import Cliffhanger

log = logging.getLogger(__name__)

Interaction = discord.Interaction["Cliffhanger"]

EX_WORD = "/spoilers words add episode:S2E3 word:Reghabi"
EX_DISCUSSIONS = "/spoilers discussions channel:#episode-talk"
MANAGE_MESSAGE = (
    "Members with Manage Server (and the owner) are exempt from AutoMod, so test it with an ordinary account."
)
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
    automod = app_commands.Group(
        name="automod", description="Block fresh spoiler words with Discord's AutoMod"
    )
    format_ = app_commands.Group(name="format", description="How recaps are posted")
    roles = app_commands.Group(name="roles", description='"Watched up to" roles')

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        self.leak_guard = SpoilerGuard(bot)
        self.keeper = AutoModKeeper(bot)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.config_registry.add("spoilers", ConfigSection(show_lines=self.config_lines))
        self.bot.scheduler.register(AUTOMOD_JOB, self.keeper.run_job)
        self.bot.scheduler.register(DISCUSSION_JOB, self.bot.discussions.run_job)
        self.bot.episodes.on_change(self.follow_schedule)

    async def cog_unload(self) -> None:
        self.bot.config_registry.remove("spoilers")
        self.bot.scheduler.unregister(AUTOMOD_JOB)
        self.bot.scheduler.unregister(DISCUSSION_JOB)
        self.bot.episodes.remove_listener(self.follow_schedule)

    async def follow_schedule(self, guild_id: int) -> None:
        """The episode schedule changed: window ends and releases move (rows only, inside its write)."""
        await self.keeper.follow_schedule(guild_id)
        await self.bot.discussions.follow_schedule(guild_id)

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
        recaps = "one spoiler card" if settings.recap_format == "cards" else "spoiler tags"
        return [
            ("Spoiler channels", describe_channels(guild, channels)),
            (
                "Spoilers",
                f"Window: {describe_window(settings.spoiler_window_seconds)} after an episode airs · "
                f"{len(words)} spoiler word{'s' if len(words) != 1 else ''} · guard {guard} · "
                f"recaps posted as {recaps}",
            ),
            ("AutoMod", await self.automod_status(guild)),
            ("Discussions", await self.discussions_status(guild)),
        ]

    async def automod_status(self, guild: discord.Guild) -> str:
        """Whether AutoMod blocks fresh words, and whether Discord's copy of the rule is as the bot left it."""
        settings = await self.bot.guild_store.get(guild.id)
        if not settings.automod_spoilers:
            return "off: `/spoilers automod on` blocks fresh spoiler words before anyone sees them"
        if not self.keeper.can(guild):
            return "on, \N{WARNING SIGN} but I'm missing **Manage Server**, so the rule isn't kept up to date"
        try:
            rules = await self.keeper.rules(guild)
        except discord.HTTPException as exc:
            return f"on, \N{WARNING SIGN} but I couldn't read the rule ({describe_http_error(exc)})"
        synced = Synced(
            await self.keeper.plan(guild.id), self.keeper.ours(rules, settings.automod_rule_id), None, True
        )
        return synced.status

    async def discussions_status(self, guild: discord.Guild) -> str:
        settings = await self.bot.guild_store.get(guild.id)
        if settings.discussion_channel_id is None:
            return "off: `/spoilers discussions channel:` opens a thread per episode at its release"
        channel = guild.get_channel(settings.discussion_channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            return f"<#{settings.discussion_channel_id}> \N{WARNING SIGN} deleted: pick another with `{EX_DISCUSSIONS}`"
        kind = "a post" if isinstance(channel, discord.ForumChannel) else "a thread"
        text = f"{channel.mention}: {kind} per episode at its release"
        missing = missing_permissions(channel.permissions_for(guild.me), needed_permissions(channel))
        if missing:
            text += f" \N{WARNING SIGN} I'm missing {', '.join(missing)} there"
        upcoming = [
            job
            for job in await self.bot.jobs.list_for(guild.id, DISCUSSION_JOB, f"{DISCUSSION_JOB}:")
            if job.state == "pending"
        ]
        if upcoming:
            text += f" (next <t:{min(job.due_at for job in upcoming)}:R>)"
        return text

    # -- AutoMod follows every change ----------------------------------------------------------------
    async def settle(self, interaction: Interaction, text: str, *, word: str | None = None) -> None:
        """Answer a change to words, channels or the window. With AutoMod on, its rule follows first
        (asking Discord, so after a deferral) and the answer says what it did; `word` is one just added,
        whose fate in the rule is told."""
        assert interaction.guild is not None  # noqa: S101 - guild_only
        settings = await self.bot.guild_store.get(interaction.guild.id)
        notes: list[str] = []
        problem = keyword_problem(word) if word is not None else None
        if problem is not None:
            notes.append(f"AutoMod can't block {spoiler(word or '')}: {problem}")
        if settings.automod_spoilers:
            if not interaction.response.is_done():
                await interaction.response.defer(ephemeral=True, thinking=True)
            notes.extend(await self.follow(interaction.guild, word=word if problem is None else None))
        answer = fit_text("\n".join([text, *notes]))
        if interaction.response.is_done():
            await interaction.followup.send(answer, ephemeral=True)
        else:
            await interaction.response.send_message(answer, ephemeral=True)

    async def follow(self, guild: discord.Guild, *, word: str | None = None) -> list[str]:
        """Bring the AutoMod rule in line (and its window-end jobs); what a moderator should know."""
        if not self.keeper.can(guild):
            return [
                f"\N{WARNING SIGN} AutoMod is on, but I'm missing **Manage Server**, so its rule isn't updated. {GRANT}"
            ]
        try:
            synced = await self.keeper.sync(guild)
        except RuleFull:
            return [
                "\N{WARNING SIGN} AutoMod's rule is gone (deleted by hand?) and this server has 6 keyword rules, "
                "so I can't make it again: remove one in Server Settings > AutoMod."
            ]
        except discord.HTTPException as exc:
            return [
                f"\N{WARNING SIGN} I couldn't update AutoMod ({describe_http_error(exc)}); "
                "it catches up at the next change."
            ]
        finally:
            await self.keeper.schedule(guild.id)
        if word is not None and any(w.word == word for w in synced.plan.no_room):
            return [
                f"AutoMod's rule is full ({len(synced.plan.keywords)} keywords), so {spoiler(word)} joins it once "
                "older words leave."
            ]
        return [f"AutoMod: {synced.status}."]

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
        await self.settle(interaction, text)

    @channel.command(name="remove", description="Stop treating a channel as a spoiler channel")
    @app_commands.describe(channel="One of the spoiler channels")
    @moderator_only()
    async def channel_remove(self, interaction: Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        if not await self.bot.spoiler_channels.remove(interaction.guild.id, channel.id):
            raise UserError(f"{channel.mention} isn't a spoiler channel.", example="/spoilers channel list")
        await self.settle(
            interaction,
            f"\N{WHITE HEAVY CHECK MARK} {channel.mention} is no longer a spoiler channel. Recaps already posted "
            "there stay.",
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
        await self.settle(
            interaction,
            f"\N{WHITE HEAVY CHECK MARK} An episode now counts as fresh until **{describe_window(seconds)}** after "
            "it airs (and always before). Its spoiler words can't be used in titles until then.",
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
        await self.settle(interaction, text, word=clean if added else None)

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
        await self.settle(
            interaction, f"\N{WHITE HEAVY CHECK MARK} Removed {spoiler(word)} from {code}'s spoiler words."
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

    # -- /spoilers automod --------------------------------------------------------------------------
    @automod.command(
        name="on", description="Block messages with fresh spoiler words before anyone sees them (AutoMod)"
    )
    @moderator_only()
    async def automod_on(self, interaction: Interaction) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        guild = interaction.guild
        if not self.keeper.can(guild):
            raise UserError(
                f"I'm missing **Manage Server** in this server. {GRANT}", example="/spoilers automod on"
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        settings = await self.bot.guild_store.get(guild.id)
        rules = await self.keeper.rules(guild)
        if self.keeper.ours(rules, settings.automod_rule_id) is None and self.keeper.full(rules):
            raise RuleFull
        synced = await self.keeper.sync(guild, on=True, rules=rules)
        await self.bot.guild_store.update(guild.id, automod_spoilers=True)
        await self.keeper.schedule(guild.id)
        plan = synced.plan
        if plan.keywords:
            episodes = ", ".join(str(e) for e in plan.episodes)
            text = (
                "\N{WHITE HEAVY CHECK MARK} AutoMod is on. Discord now blocks a message holding a fresh spoiler word "
                f"({len(plan.keywords)} keyword{'s' if len(plan.keywords) != 1 else ''} for {episodes}) outside the "
                "spoiler channels before anyone sees it, and tells its author which episode, never the word. "
                "Each word leaves the rule when its episode's window ends."
            )
        else:
            text = (
                "\N{WHITE HEAVY CHECK MARK} AutoMod is on. No episode has fresh spoiler words yet: the rule "
                f'"{escape(RULE_NAME)}" is made with the first one.\n**Example:** `{EX_WORD}`'
            )
        lines = [text, MANAGE_MESSAGE]
        lines += [
            f"{spoiler(r.word.word)} ({r.word.episode}) can't be a keyword: {r.reason}" for r in plan.refused
        ]
        if plan.no_room:
            lines.append(f"{len(plan.no_room)} words wait for room: a rule holds at most 1,000 keywords.")
        if plan.not_exempt:
            lines.append(
                f"{len(plan.not_exempt)} spoiler channels aren't exempt: a rule exempts at most 50 channels."
            )
        await interaction.followup.send(fit_lines(lines, CONTENT_MAX), ephemeral=True)

    @automod.command(name="off", description="Remove the AutoMod rule for fresh spoiler words")
    @moderator_only()
    async def automod_off(self, interaction: Interaction) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        guild = interaction.guild
        note = "The rule is removed."
        if self.keeper.can(guild):
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.keeper.sync(guild, on=False)
        else:
            note = (
                f'Without **Manage Server** I can\'t remove the rule myself: delete "{escape(RULE_NAME)}" in '
                "Server Settings > AutoMod."
            )
        await self.bot.guild_store.update(guild.id, automod_spoilers=False, automod_rule_id=None)
        await self.keeper.schedule(guild.id)
        text = f"\N{WHITE HEAVY CHECK MARK} AutoMod is off. {note} Spoiler words still keep titles neutral."
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    # -- /spoilers format ---------------------------------------------------------------------------
    @format_.command(
        name="cards", description="Post new recaps as one blurred card that keeps their formatting"
    )
    @moderator_only()
    async def format_cards(self, interaction: Interaction) -> None:
        await self.set_recap_format(
            interaction,
            "cards",
            "as one spoiler card: members see one blurred card with the recap's headings and lists intact, "
            "and reveal it with one click.",
        )

    @format_.command(name="tags", description="Post new recaps as text behind ||spoiler tags||")
    @moderator_only()
    async def format_tags(self, interaction: Interaction) -> None:
        await self.set_recap_format(
            interaction, "tags", "as text behind spoiler tags, in messages of at most 2,000 characters."
        )

    async def set_recap_format(self, interaction: Interaction, style: str, how: str) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        await self.bot.guild_store.update(interaction.guild_id, recap_format=style)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} New recaps are posted {how} Recaps already posted keep their format "
            "when edited.",
            ephemeral=True,
        )

    # -- /spoilers discussions ----------------------------------------------------------------------
    @app_commands.command(
        name="discussions",
        description="Open a thread for each episode at its release (leave channel out: off)",
    )
    @app_commands.describe(
        channel="A forum (a post per episode) or a text channel (a thread per episode); leave it out to stop"
    )
    @moderator_only()
    async def discussions(
        self,
        interaction: Interaction,
        channel: app_commands.Transform[ThreadHome, ThreadHomeTransformer("Discussions", EX_DISCUSSIONS)]
        | None = None,
    ) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        guild = interaction.guild
        if channel is None:
            await self.bot.discussions.turn_off(guild.id)
            await self.settle(
                interaction,
                "\N{WHITE HEAVY CHECK MARK} Discussions are off: releases get no new threads. Threads already "
                "open stay.",
            )
            return
        example = f"/spoilers discussions channel:#{channel.name}"
        ensure_bot_can(channel, needed_permissions(channel), example=example)
        upcoming = await self.bot.discussions.turn_on(guild.id, channel.id)
        kind = "post" if isinstance(channel, discord.ForumChannel) else "thread"
        lines = [
            f"\N{WHITE HEAVY CHECK MARK} Each episode gets a {kind} in {channel.mention} at its release, named "
            'like "S2E3 discussion", and its release announcement links to it.'
        ]
        if upcoming:
            lines.append(f"Next: **{upcoming[0].code}** <t:{upcoming[0].air_at}:R>.")
        else:
            lines.append(
                "No release is scheduled yet: add them with `/countdown season` or `/countdown import`."
            )
        if isinstance(channel, discord.ForumChannel):
            lines.extend(await self.season_tags(interaction, channel, {e.code.season for e in upcoming}))
        lines.append(
            f"Spoilers are welcome there: AutoMod and the guard leave {channel.mention} and its threads alone, "
            "so pick a channel meant for episode talk."
        )
        await self.settle(interaction, "\n".join(lines))

    async def season_tags(
        self, interaction: Interaction, forum: discord.ForumChannel, seasons: set[int]
    ) -> list[str]:
        """Make the upcoming seasons' tags now (so a release costs one request, not two); a note when
        posts will go without one."""
        if not forum.permissions_for(forum.guild.me).manage_channels:
            return [
                "Posts go without a season tag: I'm missing **Manage Channels** there, which creating tags needs."
            ]
        names = [season_tag_name(n) for n in sorted(seasons)]
        if not names:
            return []
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            await forum_tag_ids(
                forum, names, reason="Discussion tags for Cliffhanger", example=EX_DISCUSSIONS
            )
        except UserError as exc:
            return [f"Posts go without a season tag: {exc.message}"]
        return []

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
