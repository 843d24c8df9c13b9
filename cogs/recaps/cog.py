"""/recap: episode recaps posted as spoiler cards (or behind spoiler tags), read privately, hidden past
a member's progress. Discord in and out; the messages, header and thread name in rules.py, SQL in
store.py."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import SPOILER_CHANNEL_PERMISSIONS, ensure_bot_can, is_moderator, missing_permissions
from bot.embeds import CONTENT_MAX, fit_lines
from bot.episode_options import episode_choices, read_episode
from bot.episodes import EpisodeCode, parse_episode
from bot.errors import BotMissingPermissions, UserError
from bot.spoilers import Reveal, ensure_title_safe, hidden_notice, is_ahead, member_progress, spoiler_chunks
from bot.ui import ReportingModal

from .rules import RecapPost, recap_header, recap_posts, recap_thread_name
from .store import Recap, RecapStore

if TYPE_CHECKING:
    from bot.core import Cliffhanger

log = logging.getLogger(__name__)

Interaction = discord.Interaction["Cliffhanger"]

THREAD_PERMISSIONS = discord.Permissions(create_public_threads=True, send_messages_in_threads=True)
THREAD_LOCKED = 160005  # Discord: "Thread is locked"
RECAP_LIMIT = 4000
EX_WRITE = "/recap write episode:{code}"
EX_READ = "/recap read episode:{code}"


def _example(template: str, code: EpisodeCode | str = "S2E3") -> str:
    return template.replace("{code}", str(code))


class RecapModal(ReportingModal):
    """The recap text box: up to 4000 characters, prefilled when editing."""

    def __init__(self, cog: Recaps, code: EpisodeCode, **target: Any) -> None:
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

    async def recheck(self, interaction: Interaction) -> None:
        """At submit time: an edited recap still exists and the member may still change it; a new one
        still has a spoiler channel to go to and no other recap of its episode beat it."""
        if self.target.get("recap") is not None:
            self.target["recap"] = await self.cog.recap_still_editable(interaction, self.target["recap"])
        else:
            await self.cog.recheck_write(interaction, self.code, self.target["channel"])

    async def on_submit(self, interaction: Interaction) -> None:  # type: ignore[override]
        if self.target.get("recap") is not None:
            await self.cog.finish_edit(interaction, self.target["recap"], self.text.value)
        else:
            await self.cog.finish_write(interaction, self.code, self.text.value, **self.target)


def locked_thread_error(thread: discord.Thread, recap: Recap) -> UserError:
    parent = f" in <#{thread.parent_id}>" if thread.parent_id else ""
    return UserError(
        f"{thread.mention} is locked, and Discord lets me edit messages in a locked thread only with "
        f"**Manage Threads**, which my role is missing{parent}. Give my role Manage Threads there, or "
        "unlock the thread, then try again.",
        example=f"/recap edit episode:{recap.episode}",
    )


@app_commands.guild_only()
class Recaps(commands.GroupCog, group_name="recap", group_description="Episode recaps, spoiler-tagged"):
    """Anyone writes and reads recaps; the author or a moderator edits and deletes one."""

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        self.store = RecapStore(bot.db, bot.guild_store)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.reveals.register("recap", self.reveal_recap)

    async def cog_unload(self) -> None:
        self.bot.reveals.unregister("recap")

    def now(self) -> int:
        return int(self.bot.scheduler.clock.now())

    # -- /recap ------------------------------------------------------------------------------------
    @app_commands.command(
        name="write", description="Write an episode recap; it is posted behind spoiler tags"
    )
    @app_commands.describe(
        episode="The episode, for example S2E3",
        channel="The spoiler channel to post in (default: the first spoiler channel)",
        thread="Post it in a new thread in that channel",
    )
    async def write(
        self,
        interaction: Interaction,
        episode: app_commands.Range[str, 1, 30],
        channel: discord.TextChannel | None = None,
        thread: bool = False,
    ) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        guild = interaction.guild
        code = await read_episode(self.bot, guild.id, episode, example=EX_WRITE)
        if await self.store.get(guild.id, code) is not None:
            raise UserError(
                f"{code} already has a recap. Edit it instead:", example=f"/recap edit episode:{code}"
            )
        target = await self.recap_channel(guild, channel, code)
        need = SPOILER_CHANNEL_PERMISSIONS | (THREAD_PERMISSIONS if thread else discord.Permissions.none())
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

    async def recheck_write(
        self, interaction: Interaction, code: EpisodeCode, channel: discord.TextChannel
    ) -> None:
        """The write form's re-check at submit time."""
        assert interaction.guild is not None  # noqa: S101 - guild_only
        if await self.store.get(interaction.guild.id, code) is not None:
            raise UserError(
                f"{code} got a recap while you were writing. Edit it instead:",
                example=f"/recap edit episode:{code}",
            )
        await self.recap_channel(interaction.guild, channel, code)

    async def recap_still_editable(self, interaction: Interaction, recap: Recap) -> Recap:
        """The edit form's re-check at submit time: the recap as it is now, if it still exists and the
        member is still its author or a moderator."""
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        current = await self.store.by_id(interaction.guild_id, recap.id)
        if current is None:
            raise UserError(
                f"The recap of {recap.episode} was deleted while you were editing it, so nothing was posted.",
                example=_example(EX_WRITE, recap.episode),
            )
        if current.author_id != interaction.user.id and not await is_moderator(interaction):
            raise UserError(
                "Only the recap's author or a moderator can change it, and you no longer are either, so "
                "nothing was changed.",
                example=_example(EX_READ, recap.episode),
            )
        return current

    async def recap_channel(
        self, guild: discord.Guild, channel: discord.TextChannel | None, code: EpisodeCode
    ) -> discord.TextChannel:
        spoiler_ids = await self.bot.spoiler_channels.ordered(guild.id)
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
            example="/spoilers channel add channel:#spoilers",
        )

    async def post_all(
        self, channel: discord.abc.Messageable, posts: list[RecapPost]
    ) -> list[discord.Message]:
        """Post a recap's messages in order; if one fails, remove those already posted."""
        posted: list[discord.Message] = []
        try:
            for post in posts:
                posted.append(await channel.send(**post.fields(), suppress_embeds=post.view is None))
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
        fmt = settings.recap_format
        posts = recap_posts(fmt, settings.show_label, code, text, example=_example(EX_WRITE, code))
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
            posted = await self.post_all(where, posts)
        except discord.Forbidden as exc:
            need = SPOILER_CHANNEL_PERMISSIONS | (
                THREAD_PERMISSIONS if thread else discord.Permissions.none()
            )
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
        recap = await self.store.create(
            guild.id,
            code,
            author_id=interaction.user.id,
            body=text,
            channel_id=thread_id or channel.id,
            thread_id=thread_id,
            message_ids=[m.id for m in posted],
            now=self.now(),
            post_format=fmt,
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
        recap = await self.store.get(interaction.guild_id, code)
        if recap is None:
            raise UserError(f"There is no recap of {code} yet.", example="/recap list")
        if manage and recap.author_id != interaction.user.id and not await is_moderator(interaction):
            raise UserError(
                "Only the recap's author or a moderator can change it.", example=f"/recap read episode:{code}"
            )
        return recap

    @app_commands.command(name="read", description="Read an episode's recap; only you see it")
    @app_commands.describe(episode="The episode, for example S2E3")
    async def read(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        recap = await self.recap_for(interaction, episode, EX_READ, manage=False)
        progress = await member_progress(self.bot, interaction.guild_id, interaction.user.id)
        if is_ahead(progress, recap.episode):
            text, view = hidden_notice(recap.episode, "recap", recap.id, progress=progress)
            await interaction.response.send_message(text, view=view, ephemeral=True)
            return
        reveal = await self.reveal_of(interaction.guild_id, recap)
        chunks = spoiler_chunks(reveal.text, header=reveal.header)
        await interaction.response.send_message(chunks[0], ephemeral=True)
        for chunk in chunks[1:]:
            await interaction.followup.send(chunk, ephemeral=True)

    async def reveal_recap(self, interaction: discord.Interaction[Any], recap_id: int) -> Reveal | None:
        """The "Show anyway" resolver for recaps."""
        if interaction.guild_id is None:
            return None
        recap = await self.store.by_id(interaction.guild_id, recap_id)
        return None if recap is None else await self.reveal_of(interaction.guild_id, recap)

    async def reveal_of(self, guild_id: int, recap: Recap) -> Reveal:
        settings = await self.bot.guild_store.get(guild_id)
        return Reveal(header=recap_header(settings.show_label, recap.episode), text=recap.body)

    @app_commands.command(name="list", description="List this server's recaps")
    async def list_(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        found = await self.store.all(interaction.guild_id)
        if not found:
            raise UserError("There are no recaps yet.", example=_example(EX_WRITE))
        progress = await member_progress(self.bot, interaction.guild_id, interaction.user.id)
        lines = [
            f"**{r.episode}** by <@{r.author_id}> in <#{r.channel_id}>"
            + (" \N{SEE-NO-EVIL MONKEY} past your progress" if is_ahead(progress, r.episode) else "")
            for r in found
        ]
        footer = "\nRead one with `/recap read`."
        text = fit_lines(lines, CONTENT_MAX - len(footer))
        await interaction.response.send_message(text + footer, ephemeral=True)

    @app_commands.command(
        name="edit", description="Edit a recap (its author or a moderator); the posts update in place"
    )
    @app_commands.describe(episode="The recap's episode, for example S2E3")
    async def edit(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        recap = await self.recap_for(interaction, episode, "/recap edit episode:{code}", manage=True)
        channel = await self.recap_messages_channel(interaction.guild, recap)
        if isinstance(channel, discord.Thread):
            self.ensure_editable(channel, recap)  # before the member types anything
        await interaction.response.send_modal(RecapModal(self, recap.episode, recap=recap))

    @staticmethod
    def ensure_editable(thread: discord.Thread, recap: Recap) -> None:
        """Discord refuses edits in a locked thread to anyone without Manage Threads there (160005)."""
        if thread.locked and not thread.permissions_for(thread.guild.me).manage_threads:
            raise locked_thread_error(thread, recap)

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
        posts = recap_posts(
            recap.format,
            settings.show_label,
            recap.episode,
            text,
            example=f"/recap delete episode:{recap.episode}",
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        channel = await self.recap_messages_channel(guild, recap)
        if isinstance(channel, discord.Thread):
            self.ensure_editable(channel, recap)
            if channel.archived:  # a quiet week archived it; its messages can't be edited until reopened
                await channel.edit(archived=False, reason=f"editing the recap of {recap.episode}")
        ids = list(recap.message_ids)
        kept: list[int] = []
        try:
            for i, post in enumerate(posts):
                if i < len(ids):
                    try:
                        await channel.get_partial_message(ids[i]).edit(**post.fields())  # type: ignore[attr-defined]
                        kept.append(ids[i])
                        continue
                    except discord.NotFound:
                        pass  # removed by hand: post this part anew
                [new] = await self.post_all(channel, [post])
                kept.append(new.id)
        except BaseException as exc:
            # Record what got through, so a retry edits the right messages.
            await self.store.update(recap.id, recap.body, kept + ids[len(kept) :], self.now())
            if isinstance(exc, discord.HTTPException) and exc.code == THREAD_LOCKED:
                assert isinstance(channel, discord.Thread)  # noqa: S101 - only threads lock
                raise locked_thread_error(channel, recap) from exc
            raise
        await self.store.update(recap.id, text, kept, self.now())
        for extra in ids[len(posts) :]:  # the recap got shorter
            try:
                await channel.get_partial_message(extra).delete()  # type: ignore[attr-defined]
            except discord.HTTPException as exc:
                log.info("could not remove surplus recap message %s: %s", extra, exc)
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} The recap of **{recap.episode}** is updated in place.",
            ephemeral=True,
        )

    @app_commands.command(
        name="delete", description="Delete a recap and its posts (its author or a moderator)"
    )
    @app_commands.describe(episode="The recap's episode, for example S2E3")
    async def delete(self, interaction: Interaction, episode: app_commands.Range[str, 1, 30]) -> None:
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
        await self.store.delete(recap.id)
        note = (
            f" I couldn't remove {failed} of its messages; a moderator can delete them by hand."
            if failed or guild_channel is None
            else ""
        )
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} The recap of **{recap.episode}** is deleted.{note}", ephemeral=True
        )

    # -- autocomplete ------------------------------------------------------------------------------
    @write.autocomplete("episode")
    async def episode_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return await episode_choices(interaction, current)

    @read.autocomplete("episode")
    @edit.autocomplete("episode")
    @delete.autocomplete("episode")
    async def recapped_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Episodes that have a recap, none past the member's progress."""
        if interaction.guild_id is None:
            return []
        recapped = [r.episode for r in await self.store.all(interaction.guild_id)]
        return await episode_choices(interaction, current, codes=recapped, hide_ahead=True)
