"""/theory: theory threads with persistent votes, resolutions and a leaderboard; /config theories."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_bot_can, missing_permissions, moderator_only
from bot.config_registry import ConfigSection
from bot.db.jobs import Job, NewJob
from bot.episode_options import episode_choices, read_episode
from bot.episodes import EpisodeCode
from bot.errors import UserError
from bot.forum_tags import add_forum_tags
from bot.lookup import find_by_ref
from bot.ratelimit import background_requests
from bot.scheduler import JobRetry, JobSkipped
from bot.spoilers import (
    Reveal,
    ensure_title_safe,
    hidden_notice,
    is_ahead,
    member_progress,
    member_text_chunks,
    spoiler_chunks,
)
from bot.text import clean_title, escape
from bot.transformers import ThreadHome, ThreadHomeTransformer

from . import render
from .rules import (
    PLAUSIBLE,
    TAG_EMOJI,
    TAG_NAMES,
    Status,
    season_tag_name,
    thread_name,
)
from .store import NewTheory, Theory, TheoryQuery, TheorySettings, TheoryStore
from .views import CountEditor, TheoryModal, TheoryPager, VoteButton, vote_view

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Theories", "config_command"]

log = logging.getLogger(__name__)

Interaction = discord.Interaction["Cliffhanger"]

EX_CONFIG = "/config theories channel:#theories"
EX_NEW = "/theory new episode:S2E3"
EX_RESOLVE = "/theory resolve theory:{number} outcome:Confirmed episode:S2E7"
EX_SHOW = "/theory show theory:{number}"
ARCHIVED = 50083  # Discord: "Thread is archived"
OLD_EDITS_CAPPED = 30046  # Discord: "Maximum number of edits to messages older than 1 hour reached"
# After a 30046, a theory's vote message is left alone this long, then its counts are caught up once
# (Discord says only "try again later"; it publishes neither the cap nor its window).
COUNTS_PAUSE = 900
COUNTS_JOB = "theory-counts"

THREAD_PERMISSIONS = discord.Permissions(
    view_channel=True,
    create_public_threads=True,
    send_messages_in_threads=True,
    manage_threads=True,
    read_message_history=True,
)
FORUM_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    create_public_threads=True,
    send_messages_in_threads=True,
    manage_threads=True,
    read_message_history=True,
)
STATUS_KEYS: tuple[Status, ...] = ("open", "confirmed", "debunked")
Destination = ThreadHome


def needed_permissions(channel: Destination) -> discord.Permissions:
    return FORUM_PERMISSIONS if isinstance(channel, discord.ForumChannel) else THREAD_PERMISSIONS


def config_command(cog: Theories) -> app_commands.Command[Any, ..., None]:
    """/config theories, bound to the loaded theories cog; the config registry attaches it to /config."""

    @app_commands.command(
        name="theories", description="Set where theories go: a text channel (threads) or a forum (posts)"
    )
    @app_commands.describe(channel="A text channel (one thread per theory) or a forum (one post per theory)")
    @moderator_only()
    async def theories(
        interaction: Interaction,
        channel: app_commands.Transform[Destination, ThreadHomeTransformer("Theories", EX_CONFIG)],
    ) -> None:
        await cog.configure(interaction, channel)

    return theories


def as_tag(tag_id: int) -> discord.ForumTag:
    """A forum tag by id: discord.py only sends the ids of applied tags."""
    return cast(discord.ForumTag, discord.Object(tag_id))


@app_commands.guild_only()
class Theories(
    commands.GroupCog,
    group_name="theory",
    group_description="Fan theories: one thread each, votes, outcomes and a leaderboard",
):
    """Anyone posts, votes and browses; moderators resolve (checked when the command runs)."""

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        self.store = TheoryStore(bot.db, bot.guild_store)
        self.editor = CountEditor(self.refresh_counts, clock=bot.scheduler.clock)
        super().__init__()

    # -- lifecycle ----------------------------------------------------------------------------
    async def cog_load(self) -> None:
        self.bot.scheduler.register(COUNTS_JOB, self.catch_up_counts)
        self.bot.add_dynamic_items(VoteButton)
        self.bot.reveals.register("theory", self.reveal_theory)
        self.bot.reveals.register("outcome", self.reveal_outcome)
        self.bot.config_registry.add(
            "theories", ConfigSection(commands=[config_command(self)], show_lines=self.config_lines)
        )

    async def cog_unload(self) -> None:
        await self.editor.flush()
        self.bot.scheduler.unregister(COUNTS_JOB)
        self.bot.remove_dynamic_items(VoteButton)
        self.bot.reveals.unregister("theory")
        self.bot.reveals.unregister("outcome")
        self.bot.config_registry.remove("theories")

    def now(self) -> int:
        return int(self.bot.scheduler.clock.now())

    async def config_lines(self, guild: discord.Guild) -> list[tuple[str, str]]:
        """The /config show line for theories."""
        settings = await self.store.settings(guild.id)
        if settings is None:
            return [("Theories", "not set: `/config theories channel:` picks a text channel or forum")]
        channel = guild.get_channel(settings.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            return [("Theories", "deleted channel, set a new one with `/config theories`")]
        kind = "forum posts" if isinstance(channel, discord.ForumChannel) else "threads"
        missing = missing_permissions(channel.permissions_for(guild.me), needed_permissions(channel))
        warning = f" \N{WARNING SIGN} I'm missing {', '.join(missing)} there" if missing else ""
        return [("Theories", f"{channel.mention} ({kind}){warning}")]

    # ==========================================================================================
    # configuration
    # ==========================================================================================
    async def configure(self, interaction: Interaction, channel: Destination) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        ensure_bot_can(channel, needed_permissions(channel), example=EX_CONFIG)
        is_forum = isinstance(channel, discord.ForumChannel)
        note = ""
        if isinstance(channel, discord.ForumChannel):
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.ensure_tags(channel, list(STATUS_KEYS))
            note = " Posts are tagged **Open**, **Confirmed** or **Debunked**, plus their season."
        await self.store.set_settings(interaction.guild.id, channel.id, is_forum=is_forum, now=self.now())
        text = (
            f"\N{WHITE HEAVY CHECK MARK} New theories go to {channel.mention} as "
            f"{'forum posts' if is_forum else 'threads'}.{note}"
        )
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)

    async def ensure_tags(self, forum: discord.ForumChannel, keys: list[str]) -> dict[str, int]:
        """The forum tags for `keys` ('open', 'confirmed', 'debunked', 's2'), created if missing.
        Tags a moderator already made with the same name are reused."""
        guild_id = forum.guild.id
        known = await self.store.tags(guild_id, forum.id)
        existing = {tag.id: tag for tag in forum.available_tags}
        by_name = {tag.name.casefold(): tag for tag in forum.available_tags}
        found: dict[str, int] = {}
        wanted: list[tuple[str, str]] = []
        for key in keys:
            if key in known and known[key] in existing:
                found[key] = known[key]
                continue
            name = TAG_NAMES[key] if key in TAG_NAMES else season_tag_name(int(key[1:]))
            tag = by_name.get(name.casefold())
            if tag is not None:
                found[key] = tag.id
            else:
                wanted.append((key, name))
        if wanted:
            made = await add_forum_tags(
                forum,
                [(name, TAG_EMOJI.get(key)) for key, name in wanted],
                reason="Theory tags for Cliffhanger",
                example=EX_CONFIG,
            )
            for key, name in wanted:
                found[key] = made[name.casefold()]
        if found != {k: known.get(k) for k in found}:
            await self.store.set_tags(guild_id, forum.id, found)
        return found

    async def post_tags(self, forum: discord.ForumChannel, season: int) -> list[int]:
        """Open plus the season's tag. A season tag the bot cannot create (no Manage Channels, or
        the forum's 20 tags used up) is left off rather than stopping the theory."""
        try:
            tags = await self.ensure_tags(forum, ["open", f"s{season}"])
        except UserError:
            log.info("no season %s tag in forum %s; posting with Open only", season, forum.id)
            tags = await self.ensure_tags(forum, ["open"])
        return [tags[k] for k in ("open", f"s{season}") if k in tags]

    async def destination(self, guild: discord.Guild) -> tuple[TheorySettings, Destination]:
        settings = await self.store.settings(guild.id)
        if settings is None:
            raise UserError(
                "Theories aren't set up in this server yet. A moderator picks a channel or forum first:",
                example=EX_CONFIG,
            )
        channel = guild.get_channel(settings.channel_id)
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            raise UserError(
                "The theories channel was deleted. A moderator can pick a new one:", example=EX_CONFIG
            )
        ensure_bot_can(channel, needed_permissions(channel), example=EX_NEW)
        return settings, channel

    # ==========================================================================================
    # /theory new
    # ==========================================================================================
    @app_commands.command(name="new", description="Post a theory: it gets its own thread and vote buttons")
    @app_commands.describe(episode="The latest episode your theory builds on, for example S2E3")
    async def new(self, interaction: Interaction, episode: app_commands.Range[str, 1, 20]) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        code = await read_episode(
            self.bot, interaction.guild.id, episode, example="/theory new episode:{code}"
        )
        await self.destination(interaction.guild)
        await interaction.response.send_modal(TheoryModal(code, self.create_theory, self.still_open))

    async def still_open(self, interaction: Interaction) -> None:
        """The new-theory form's re-check at submit time: theories can still be posted."""
        if interaction.guild is None:
            raise UserError("Theories only work inside a server.")
        await self.destination(interaction.guild)

    async def create_theory(
        self, interaction: Interaction, code: EpisodeCode, raw_title: str, text: str
    ) -> None:
        """The modal's submit: check the title, store the theory, create its thread and post it."""
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        title = clean_title(raw_title, example=EX_NEW)
        await ensure_title_safe(self.bot, guild.id, title, example=EX_NEW)
        if not text.strip():
            raise UserError("Your theory needs some text.", example=EX_NEW)
        _, channel = await self.destination(guild)
        await interaction.response.defer(ephemeral=True, thinking=True)
        theory = await self.store.create(
            NewTheory(guild.id, interaction.user.id, title, text.strip(), code, channel.id), now=self.now()
        )
        try:
            thread, message_id = await self.post(theory, channel)
        except BaseException as exc:
            await self.store.discard(theory.id)
            if isinstance(exc, discord.Forbidden):
                raise UserError(
                    f"Discord wouldn't let me post your theory in {channel.mention} ({exc.text or 'forbidden'}), "
                    "so nothing was posted. A moderator can check my permissions there:",
                    example=EX_CONFIG,
                ) from None
            raise
        await self.store.attach(theory.id, thread.id, message_id)
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} Theory **#{theory.number}** is up in {thread.mention}. "
            "Members vote with the buttons under it.",
            ephemeral=True,
        )

    async def post(self, theory: Theory, channel: Destination) -> tuple[discord.Thread, int]:
        """Create the thread (or forum post) and post the theory with its vote buttons."""
        head = render.header(theory)
        chunks = await member_text_chunks(
            self.bot,
            theory.guild_id,
            theory.body,
            episode=theory.episode,
            header=head,
            spoiler_header=head + "Spoilers for recent episodes below:\n",
        )
        name = thread_name(theory.number, theory.title)
        view = vote_view(theory)
        if isinstance(channel, discord.ForumChannel):
            tags = await self.post_tags(channel, theory.episode.season)
            created = await channel.create_thread(
                name=name,
                content=chunks[0],
                view=view,
                applied_tags=[as_tag(t) for t in tags],
                reason=f"Theory #{theory.number}",
            )
            thread, first_id = created.thread, created.message.id
        else:
            thread = await channel.create_thread(
                name=name,
                type=discord.ChannelType.public_thread,
                auto_archive_duration=10080,
                reason=f"Theory #{theory.number}",
            )
            first_id = 0  # posted below, with the thread to clean up if it fails
        try:
            if not first_id:
                first_id = (await thread.send(chunks[0], view=view)).id
            for chunk in chunks[1:]:
                await thread.send(chunk)
        except BaseException:
            # Half a theory is worse than none: remove the thread, the caller forgets the row.
            try:
                await thread.delete(reason=f"Theory #{theory.number} could not be posted")
            except discord.HTTPException:
                log.warning("could not remove the half-posted thread %s", thread.id, exc_info=True)
            raise
        return thread, first_id

    # ==========================================================================================
    # votes
    # ==========================================================================================
    async def vote(self, interaction: Interaction, theory_id: int, choice: int) -> None:
        """One click on Plausible or Doubtful (the VoteButton callback)."""
        if interaction.guild_id is None:
            raise UserError("Votes only work inside the server.")
        result = await self.store.vote(
            interaction.guild_id, theory_id, interaction.user.id, choice, now=self.now()
        )
        theory = result.theory
        if result.outcome == "gone" or theory is None:
            raise UserError("This theory no longer exists.")
        if result.outcome == "own":
            raise UserError(
                "You can't vote on your own theory; the other members decide how plausible it is."
            )
        if result.outcome == "closed":
            raise UserError(
                f"Theory #{theory.number} is settled, so voting on it has closed.",
                example=f"/theory show theory:{theory.number}",
            )
        self.editor.touch(theory_id)
        label = "plausible" if choice == PLAUSIBLE else "doubtful"
        if result.outcome == "withdrawn":
            text = f"\N{LEFTWARDS ARROW WITH HOOK} Vote withdrawn on theory #{theory.number}."
        elif result.outcome == "changed":
            text = f"\N{CLOCKWISE RIGHTWARDS AND LEFTWARDS OPEN CIRCLE ARROWS} Changed: you now find theory #{theory.number} **{label}**."
        else:
            text = f"\N{BALLOT BOX WITH BALLOT} You find theory #{theory.number} **{label}**."
        text += " Click the same button again to withdraw your vote."
        await interaction.response.send_message(text, ephemeral=True)

    async def refresh_counts(self, theory_id: int) -> None:
        """The count editor's edit: when Discord caps edits of the hour-old vote message (30046),
        leave it alone for a while and catch the counts up once afterwards, through the scheduler so
        a restart keeps the appointment."""
        try:
            await self.edit_counts(theory_id)
        except discord.HTTPException as exc:
            if exc.code != OLD_EDITS_CAPPED:
                raise
            until = int(self.now() + COUNTS_PAUSE)
            self.editor.pause(theory_id, until)
            theory = await self.store.get(theory_id)
            if theory is None:
                return
            log.info(
                "theory %s: Discord caps edits of its vote message for now; counts catch up at %d",
                theory_id,
                until,
            )
            await self.bot.scheduler.schedule(
                [
                    NewJob(
                        theory.guild_id,
                        COUNTS_JOB,
                        f"theory:{theory_id}:{until}",
                        until,
                        {"theory": theory_id},
                    )
                ]
            )

    async def catch_up_counts(self, job: Job) -> str:
        """The scheduler's catch-up after a pause: one edit with the counts as they are now."""
        theory_id = int(job.payload["theory"])
        if await self.store.get(theory_id) is None:
            raise JobSkipped("the theory was deleted")
        try:
            await self.edit_counts(theory_id)
        except discord.HTTPException as exc:
            if exc.code != OLD_EDITS_CAPPED:
                raise
            self.editor.pause(theory_id, self.now() + COUNTS_PAUSE)
            raise JobRetry(
                "Discord still caps edits of the vote message (30046)", retry_after=COUNTS_PAUSE
            ) from exc
        self.editor.resume(theory_id)
        return "vote counts caught up"

    async def edit_counts(self, theory_id: int) -> None:
        """Edit the vote message to show the current counts; unarchive its thread if needed.

        The counts may lag (a later edit catches them up, /theory show has them exact), so these
        requests go in the rate limiter's background lane: behind announcements and everything a
        member is waiting for, and never more than half of the global limit."""
        with background_requests():
            await self._edit_counts(theory_id)

    async def _edit_counts(self, theory_id: int) -> None:
        theory = await self.store.get(theory_id)
        if theory is None or theory.thread_id is None or theory.message_id is None or theory.deleted_at:
            return
        message = self.bot.get_partial_messageable(
            theory.thread_id, guild_id=theory.guild_id
        ).get_partial_message(theory.message_id)
        try:
            await message.edit(view=vote_view(theory))
        except discord.HTTPException as exc:
            if exc.code != ARCHIVED:
                raise
            # Discord archived the thread after a quiet week; a vote brings it back.
            await self.bot.http.edit_channel(theory.thread_id, archived=False, reason="A vote on this theory")
            theory = await self.store.get(theory_id) or theory
            await message.edit(view=vote_view(theory))

    # ==========================================================================================
    # resolve
    # ==========================================================================================
    @app_commands.command(name="resolve", description="Settle a theory as confirmed or debunked (moderators)")
    @app_commands.describe(
        theory="The theory: its number or title (autocompletes)",
        outcome="What the show revealed",
        episode="The episode that settled it, for example S2E7",
        lock="Lock the thread so no one can post in it any more",
    )
    @moderator_only()
    async def resolve(
        self,
        interaction: Interaction,
        theory: app_commands.Range[str, 1, 100],
        outcome: Literal["Confirmed", "Debunked"],
        episode: app_commands.Range[str, 1, 20],
        lock: bool = False,
    ) -> None:
        assert interaction.guild is not None  # noqa: S101 - guild_only
        found = await self.find(interaction, theory, example=EX_RESOLVE)
        code = await read_episode(
            self.bot,
            interaction.guild.id,
            episode,
            example=f"/theory resolve theory:{found.number} outcome:{outcome} episode:{{code}}",
        )
        if code < found.episode:
            raise UserError(
                f"Theory #{found.number} builds on {found.episode}, so {code} can't have settled it.",
                example=f"/theory resolve theory:{found.number} outcome:{outcome} episode:{found.episode}",
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        status: Status = "confirmed" if outcome == "Confirmed" else "debunked"
        thread = await self.theory_thread(found)
        if thread is not None:
            # Checked before anything is stored, so a refusal changes nothing.
            ensure_bot_can(
                thread,
                discord.Permissions(manage_threads=True, send_messages_in_threads=True),
                example=EX_RESOLVE.format(number=found.number),
            )
        resolved = await self.store.resolve(found.id, status, code, by=interaction.user.id, now=self.now())
        if thread is None:
            where = "Its thread was deleted, so only the record changed."
        else:
            try:
                where = await self.mark_thread(resolved, thread, lock=lock)
            except discord.HTTPException as exc:
                log.warning("resolving theory %s: Discord refused a thread update: %s", resolved.id, exc)
                where = (
                    f"\N{WARNING SIGN} The outcome is recorded, but Discord refused part of the thread update "
                    f"in {thread.mention} ({exc.text or exc.status}). Run the command again to retry it."
                )
        self.editor.touch(resolved.id)
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} Theory **#{resolved.number}** is **{TAG_NAMES[status]}** as of {code}. {where}",
            ephemeral=True,
        )

    async def theory_thread(self, theory: Theory) -> discord.Thread | None:
        """The theory's thread, or None when it was deleted."""
        if theory.thread_id is None or theory.deleted_at is not None:
            return None
        try:
            thread = self.bot.get_channel(theory.thread_id) or await self.bot.fetch_channel(theory.thread_id)
        except discord.NotFound:
            return None
        return thread if isinstance(thread, discord.Thread) else None

    async def mark_thread(self, theory: Theory, thread: discord.Thread, *, lock: bool) -> str:
        """Rename or re-tag the thread, post the outcome in spoiler tags, lock it if asked."""
        parent = thread.parent
        if isinstance(parent, discord.ForumChannel):
            tags = await self.ensure_tags(parent, [theory.status])
            known = await self.store.tags(theory.guild_id, parent.id)
            status_ids = {known.get(k) for k in STATUS_KEYS}
            # Keep the season tag and any a moderator added; swap only the status tag.
            kept = [t for t in thread.applied_tags if t.id not in status_ids]
            applied = [as_tag(tags[theory.status]), *kept][:5]
            await thread.edit(archived=False, applied_tags=applied, reason="Theory resolved")
        else:
            await thread.edit(
                archived=False,
                name=thread_name(theory.number, theory.title, theory.status),
                reason="Theory resolved",
            )
        for chunk in spoiler_chunks(render.outcome_text(theory), header=render.outcome_header(theory)):
            await thread.send(chunk)
        if lock:
            await thread.edit(locked=True, reason="Theory resolved")
        return f"The outcome is posted in {thread.mention}{' and the thread is locked' if lock else ''}."

    # ==========================================================================================
    # reading
    # ==========================================================================================
    async def progress(self, interaction: Interaction) -> EpisodeCode | None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        return await member_progress(self.bot, interaction.guild_id, interaction.user.id)

    async def find(self, interaction: Interaction, text: str, *, example: str) -> Theory:
        """The theory a member named: a number from autocomplete, '#12', or an exact title.
        `example` is a command with `{number}` where the theory's number goes."""
        guild_id = interaction.guild_id
        assert guild_id is not None  # noqa: S101 - guild_only
        return await find_by_ref(
            text,
            by_number=lambda number: self.store.by_number(guild_id, number),
            by_title=lambda title: self.store.by_title(guild_id, title),
            number_of=lambda theory: theory.number,
            noun=("theory", "theories"),
            example=example,
        )

    @app_commands.command(name="show", description="Show a theory, its votes and its outcome")
    @app_commands.describe(theory="The theory: its number or title (autocompletes)")
    async def show(self, interaction: Interaction, theory: app_commands.Range[str, 1, 100]) -> None:
        found = await self.find(interaction, theory, example=EX_SHOW)
        progress = await self.progress(interaction)
        if is_ahead(progress, found.episode):
            text, view = hidden_notice(found.episode, "theory", found.id, progress=progress)
            await interaction.response.send_message(text, view=view, ephemeral=True)
            return
        url = render.jump_url(found)
        lines = [
            render.header(found).rstrip(),
            f"{render.PLAUSIBLE_EMOJI} {found.plausible} plausible \N{MIDDLE DOT} "
            f"{render.DOUBTFUL_EMOJI} {found.doubtful} doubtful",
            f"Thread: {url}" if url else "Its thread was deleted; the theory and its votes are kept.",
        ]
        if found.resolved_in is not None and is_ahead(progress, found.resolved_in):
            notice, view = hidden_notice(found.resolved_in, "outcome", found.id, progress=progress)
            lines.append(notice)
            await interaction.response.send_message("\n".join(lines), view=view, ephemeral=True)
            return
        if found.resolved_in is not None:
            lines.append(f"Outcome: ||{render.outcome_text(found)}||")
        else:
            lines.append("Outcome: still open")
        lagging = self.editor.paused_until(found.id)
        if lagging is not None:
            lines.append(
                f"The counts on its buttons lag behind (Discord limits edits of older messages); "
                f"they catch up <t:{int(lagging)}:R>. The counts here are exact."
            )
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    async def send_list(self, interaction: Interaction, query: TheoryQuery, title: str) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        total = await self.store.count(interaction.guild_id, query)
        pager = TheoryPager(self.store, interaction.guild_id, query, title=title, total=total)
        embed = await pager.render()
        if pager.pages <= 1:
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        pager.origin = interaction
        await interaction.response.send_message(embed=embed, view=pager, ephemeral=True)

    @app_commands.command(name="list", description="Browse theories, newest first or by votes")
    @app_commands.describe(
        status="Only open, confirmed or debunked theories",
        season="Only theories building on this season",
        author="Only this member's theories",
        sort="Newest first (default) or most plausible first",
    )
    async def list_(
        self,
        interaction: Interaction,
        status: Status | None = None,
        season: app_commands.Range[int, 1, 99] | None = None,
        author: discord.Member | None = None,
        sort: Literal["date", "votes"] = "date",
    ) -> None:
        query = TheoryQuery(
            status, season, author.id if author else None, None, sort, await self.progress(interaction)
        )
        await self.send_list(interaction, query, "Theories" if sort == "date" else "Theories by votes")

    @app_commands.command(name="top", description="The theories members find most plausible")
    @app_commands.describe(
        status="Only open, confirmed or debunked theories",
        season="Only theories building on this season",
        author="Only this member's theories",
    )
    async def top(
        self,
        interaction: Interaction,
        status: Status | None = None,
        season: app_commands.Range[int, 1, 99] | None = None,
        author: discord.Member | None = None,
    ) -> None:
        query = TheoryQuery(
            status, season, author.id if author else None, None, "votes", await self.progress(interaction)
        )
        await self.send_list(interaction, query, "Top theories")

    @app_commands.command(name="search", description="Find theories whose title or text contains some words")
    @app_commands.describe(text="Words to look for, for example goats")
    async def search(self, interaction: Interaction, text: app_commands.Range[str, 2, 100]) -> None:
        cleaned = " ".join(text.split())
        if len(cleaned) < 2:
            raise UserError("Search for at least two characters.", example="/theory search text:goats")
        query = TheoryQuery(text=cleaned, sort="votes", progress=await self.progress(interaction))
        await self.send_list(interaction, query, f"Theories mentioning \u201c{escape(cleaned)[:80]}\u201d")

    @app_commands.command(name="leaderboard", description="Who guessed right: confirmed theories, then votes")
    async def leaderboard(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        progress = await self.progress(interaction)
        rows = await self.store.leaderboard(interaction.guild_id, progress)
        await interaction.response.send_message(
            embed=render.leaderboard_embed(rows, progress), ephemeral=True
        )

    @show.autocomplete("theory")
    @resolve.autocomplete("theory")
    async def theory_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        progress = await self.progress(interaction)
        found = await self.store.suggest(interaction.guild_id, current, progress)
        return [
            app_commands.Choice(name=thread_name(t.number, t.title)[:100], value=str(t.number)) for t in found
        ]

    @new.autocomplete("episode")
    @resolve.autocomplete("episode")
    async def episode_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Aired episodes from the server's schedule, latest first, none past the member's progress."""
        return await episode_choices(
            interaction, current, aired_only=True, hide_ahead=True, newest_first=True
        )

    # -- reveal resolvers ----------------------------------------------------------------------
    async def reveal_theory(
        self, interaction: discord.Interaction[Cliffhanger], theory_id: int
    ) -> Reveal | None:
        theory = await self.store.get(theory_id)
        if theory is None or theory.guild_id != interaction.guild_id:
            return None
        return Reveal(
            header=f"Theory #{theory.number} \N{MIDDLE DOT} {escape(theory.title)}\n", text=theory.body
        )

    async def reveal_outcome(
        self, interaction: discord.Interaction[Cliffhanger], theory_id: int
    ) -> Reveal | None:
        theory = await self.store.get(theory_id)
        if theory is None or theory.guild_id != interaction.guild_id or theory.resolved_in is None:
            return None
        return Reveal(header=render.outcome_header(theory), text=render.outcome_text(theory))

    # -- gateway -------------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        theory = await self.store.mark_deleted(payload.thread_id, self.now())
        if theory is not None:
            log.info(
                "theory #%s in guild %s lost its thread; kept as deleted", theory.number, theory.guild_id
            )

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        if isinstance(channel, discord.TextChannel | discord.ForumChannel):
            count = await self.store.mark_channel_deleted(channel.guild.id, channel.id, self.now())
            if count:
                log.info("theories channel %s deleted; %d theories kept as deleted", channel.id, count)
