"""Discussion threads: at each episode's release, one thread (or forum post) "S2E3 discussion" where
spoilers for that episode are welcome, and the release announcement links to it.

Each release is a scheduler job ('discussion', key 'discussion:<season>:<episode>', due at the air
time), written whenever discussions are turned on or the schedule changes; its expiry is the
announcements' catch-up limit, so after downtime a release up to a day late still gets its thread.
Opening is exactly once, whoever asks first (the job, or the release announcement that wants to link
to it): one lock per server, and the `discussion_threads` row written before each request to Discord
and after its answer. In a text channel the opening message goes first, with the job's nonce and
marker (`send_once`, which reads the channel back after an attempt that may have landed), and the
thread is started from it: Discord gives a message one thread, so a repeat is refused and names the
thread that exists. A forum post has no nonce, so an attempt that finds an earlier one unanswered (a
crash, a timeout, a 5xx) looks for the post among the server's active threads, by its name, its forum
and its creator, before posting. Several episodes released at once (a streaming drop) open one after
another, in episode order, paced by discord.py's per-route buckets and the bot's global limiter.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Literal, NoReturn

import discord

from .checks import missing_permissions
from .db.discussions import DiscussionStore, DiscussionThread
from .db.episodes import Episode
from .db.jobs import Job, NewJob
from .episodes import EpisodeCode
from .errors import UserError
from .forum_tags import forum_tag_ids, season_tag_name
from .notices import tell_moderators
from .scheduler import JobFailed, JobSkipped, describe_http_error, guild_for, send_once
from .spoilers import ensure_title_safe
from .text import clean_title, escape
from .transformers import ThreadHome

if TYPE_CHECKING:
    from .core import Cliffhanger

__all__ = [
    "CATCH_UP",
    "DISCUSSION_JOB",
    "FORUM_PERMISSIONS",
    "THREAD_PERMISSIONS",
    "Discussions",
    "discussion_jobs",
    "discussion_name",
    "needed_permissions",
    "opening_text",
]

log = logging.getLogger(__name__)

DISCUSSION_JOB = "discussion"
# How late a release may still be opened after downtime: the release announcements' limit
# (cogs/countdowns/rules.py LATE_RELEASE_LIMIT; a test holds the two equal).
CATCH_UP = 86_400
ARCHIVE_AFTER: Literal[10080] = 10080  # minutes: a quiet week, the longest Discord offers
EXAMPLE = "/spoilers discussions channel:#episode-talk"
THREAD_EXISTS = 160004  # Discord: "A thread has already been created for this message"

# A text channel: the opening message (read back when unsure), then a public thread from it.
THREAD_PERMISSIONS = discord.Permissions(
    view_channel=True, send_messages=True, create_public_threads=True, read_message_history=True
)
# A forum: a post is a thread with its starter message, which needs Send Messages.
FORUM_PERMISSIONS = discord.Permissions(view_channel=True, send_messages=True, read_message_history=True)


def needed_permissions(channel: ThreadHome) -> discord.Permissions:
    return FORUM_PERMISSIONS if isinstance(channel, discord.ForumChannel) else THREAD_PERMISSIONS


def discussion_name(code: EpisodeCode) -> str:
    """The thread's name: neutral, since a name can't be spoiler-tagged."""
    return f"{code} discussion"


def opening_text(show_label: str, code: EpisodeCode) -> str:
    """The thread's first message (a forum post's starter): what it is for, and nothing more."""
    return (
        f"\N{SPEECH BALLOON} **{escape(show_label)} {code}** is out. Talk about it here: spoilers for {code} "
        "and the episodes before it are welcome in this thread. Keep later episodes out of it."
    )


def job_key(code: EpisodeCode) -> str:
    return f"{DISCUSSION_JOB}:{code.season}:{code.episode}"


def job_code(job: Job) -> EpisodeCode:
    """'discussion:2:3' -> S2E3."""
    _, season, episode = job.key.split(":")
    return EpisodeCode(int(season), int(episode))


def discussion_jobs(guild_id: int, episodes: Iterable[Episode], now: int) -> list[NewJob]:
    """A job at each release still to come (re-timing the pending job of an episode that moved)."""
    return [
        NewJob(
            guild_id=guild_id,
            kind=DISCUSSION_JOB,
            key=job_key(e.code),
            due_at=e.air_at,
            expires_at=e.air_at + CATCH_UP,
        )
        for e in episodes
        if e.air_at is not None and e.air_at > now
    ]


class Discussions:
    """Opens each release's discussion thread once. The spoilers cog registers `run_job` for
    DISCUSSION_JOB and `follow_schedule` on the episode store; announcements ask `threads_for`."""

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot
        self.store = DiscussionStore(bot.db, bot.guild_store)
        self._locks: dict[int, asyncio.Lock] = {}

    def now(self) -> int:
        return int(self.bot.scheduler.clock.now())

    # -- settings and the schedule ------------------------------------------------------------
    async def turn_on(self, guild_id: int, channel_id: int) -> list[Episode]:
        """Open discussions in `channel_id` from now on; returns the releases still to come, soonest
        first. Jobs cancelled when discussions were turned off come back for them."""
        now = self.now()
        async with self.bot.db.transaction(immediate=True):
            await self.bot.guild_store.update(guild_id, discussion_channel_id=channel_id)
            episodes = await self.bot.episodes.schedule(guild_id)
            await self.bot.scheduler.schedule(discussion_jobs(guild_id, episodes, now), revive=True)
        return sorted(
            (e for e in episodes if e.air_at is not None and e.air_at > now), key=lambda e: (e.air_at, e.code)
        )

    async def turn_off(self, guild_id: int) -> int:
        """No more discussion threads; threads already open stay. Returns the releases cancelled."""
        async with self.bot.db.transaction(immediate=True):
            await self.bot.guild_store.update(guild_id, discussion_channel_id=None)
            return await self.bot.scheduler.cancel(
                guild_id, DISCUSSION_JOB, f"{DISCUSSION_JOB}:", "discussions were turned off"
            )

    async def follow_schedule(self, guild_id: int) -> None:
        """The schedule changed: a job for each release still to come (inside the schedule's write)."""
        settings = await self.bot.guild_store.get(guild_id)
        if settings.discussion_channel_id is None:
            return
        episodes = await self.bot.episodes.schedule(guild_id)
        await self.bot.scheduler.schedule(discussion_jobs(guild_id, episodes, self.now()))

    # -- opening -----------------------------------------------------------------------------
    async def run_job(self, job: Job) -> str | None:
        """The scheduler's handler: open the release's thread (or find it opened already)."""
        guild = guild_for(self.bot, job)
        # The server's lock before any database read: jobs start in claim order (release, then
        # episode), and reads through a pool of connections (PostgreSQL) finish in any order, which
        # would open a streaming drop's threads out of episode order.
        async with self._lock(guild.id):
            code = await self._still_due(job)
            found = await self._open(guild, code, job)
        return f"{found.channel_id}/{found.thread_id}"

    async def threads_for(self, guild: discord.Guild, codes: Iterable[EpisodeCode]) -> dict[EpisodeCode, int]:
        """The episodes' discussion threads for their release announcement (one, or each of a
        streaming drop's): every release due in the server is opened first, in episode order, so the
        announcement can link to them. Never raises: a thread that can't be opened now is left out,
        to its own job (which retries and reports)."""
        settings = await self.bot.guild_store.get(guild.id)
        if settings.discussion_channel_id is None:
            return {}
        now = self.now()
        due = [
            job
            for job in await self.bot.jobs.list_for(guild.id, DISCUSSION_JOB, f"{DISCUSSION_JOB}:")
            if job.state in ("pending", "sending")
            and job.due_at <= now
            and (job.expires_at is None or job.expires_at >= now)
        ]
        for job in sorted(due, key=lambda j: (j.due_at, job_code(j))):
            try:
                await self.open(guild, await self._still_due(job), job)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the job itself retries, fails or skips, and says why
                log.info(
                    "discussion %s in guild %s not opened for its announcement: %s", job.key, guild.id, exc
                )
        threads: dict[EpisodeCode, int] = {}
        for code in codes:
            found = await self.store.get(guild.id, code)
            if found is not None and found.thread_id is not None:
                threads[code] = found.thread_id
        return threads

    async def _still_due(self, job: Job) -> EpisodeCode:
        code = job_code(job)
        settings = await self.bot.guild_store.get(job.guild_id)
        if settings.discussion_channel_id is None:
            raise JobSkipped("discussions were turned off")
        episode = await self.bot.episodes.get(job.guild_id, code)
        if episode is None:
            raise JobSkipped(f"{code} was removed from the schedule")
        if episode.air_at != job.due_at:
            raise JobSkipped(
                f"{code} was moved to <t:{episode.air_at}:F>"
                if episode.air_at
                else f"{code} lost its air time"
            )
        return code

    def _lock(self, guild_id: int) -> asyncio.Lock:
        return self._locks.setdefault(guild_id, asyncio.Lock())

    async def open(self, guild: discord.Guild, code: EpisodeCode, job: Job) -> DiscussionThread:
        """The episode's thread, opened now unless it already is; JobFailed (the moderators told once)
        when it can't be, and Discord's own errors when retrying may help."""
        async with self._lock(guild.id):
            return await self._open(guild, code, job)

    async def _open(self, guild: discord.Guild, code: EpisodeCode, job: Job) -> DiscussionThread:
        """`open`, with the server's lock held."""
        row = await self.store.get(guild.id, code)
        if row is not None and row.done:
            return row
        settings = await self.bot.guild_store.get(guild.id)
        channel_id = settings.discussion_channel_id
        channel = guild.get_channel(channel_id) if channel_id else None
        if row is not None and row.message_id is not None:
            channel = guild.get_channel(row.channel_id)  # its opening message is there already
        if not isinstance(channel, discord.TextChannel | discord.ForumChannel):
            await self._fail(guild, code, channel_id or 0, "the discussion channel was deleted")
        missing = missing_permissions(channel.permissions_for(guild.me), needed_permissions(channel))
        if missing:
            await self._fail(
                guild, code, channel.id, f"I'm missing {', '.join(missing)} in {channel.mention}"
            )
        name = await self._name(guild, code)
        unsure = row is not None and row.attempted_at is not None  # an earlier attempt may have landed
        try:
            if isinstance(channel, discord.ForumChannel):
                await self._forum_post(guild, code, channel, name, unsure=unsure)
            else:
                await self._text_thread(guild, code, job, channel, name, row=row, unsure=unsure)
        except (discord.Forbidden, discord.NotFound) as exc:
            await self._fail(guild, code, channel.id, describe_http_error(exc))
        return await self._row(guild.id, code)

    async def _forum_post(
        self, guild: discord.Guild, code: EpisodeCode, forum: discord.ForumChannel, name: str, *, unsure: bool
    ) -> None:
        """A forum post is one request with no nonce: after an attempt that may have landed, look for
        it among the active threads (the bot's, in this forum, by this name) before posting again."""
        found = await self._find(guild, forum, name) if unsure else None
        if found is not None:
            log.info("discussion %s in guild %s: an earlier attempt made %s", code, guild.id, found.id)
            await self.store.created(guild.id, code, found.id, found.id)
            return
        await self.store.attempting(guild.id, code, forum.id, self.now())
        settings = await self.bot.guild_store.get(guild.id)
        made = await forum.create_thread(
            name=name,
            content=opening_text(settings.show_label, code),
            applied_tags=await self._season_tag(forum, code),
            auto_archive_duration=ARCHIVE_AFTER,
            allowed_mentions=discord.AllowedMentions.none(),
            reason=f"Discussion of {code}",
        )
        await self.store.created(guild.id, code, made.thread.id, made.message.id)

    async def _text_thread(
        self,
        guild: discord.Guild,
        code: EpisodeCode,
        job: Job,
        channel: discord.TextChannel,
        name: str,
        *,
        row: DiscussionThread | None,
        unsure: bool,
    ) -> None:
        """The opening message first, with the job's nonce and marker (read back when an earlier
        attempt may have posted it), then its thread: Discord gives a message one thread, so a repeated
        request is refused (160004) and the thread is the one already made, with the message's id."""
        if row is not None and row.message_id is not None:
            message: discord.PartialMessage | discord.Message = channel.get_partial_message(row.message_id)
        else:
            await self.store.attempting(guild.id, code, channel.id, self.now())
            settings = await self.bot.guild_store.get(guild.id)
            message = await send_once(
                replace(job, unsure_since=job.unsure_since or 0) if unsure else job,
                channel,
                now=self.bot.scheduler.clock.now(),
                content=opening_text(settings.show_label, code),
                allowed_mentions=discord.AllowedMentions.none(),
            )
            await self.store.opened(guild.id, code, message.id)
        try:
            thread = await message.create_thread(
                name=name, auto_archive_duration=ARCHIVE_AFTER, reason=f"Discussion of {code}"
            )
            thread_id = thread.id
        except discord.HTTPException as exc:
            if exc.code != THREAD_EXISTS:
                raise
            thread_id = message.id  # a thread started from a message has the message's id
        await self.store.created(guild.id, code, thread_id, message.id)

    async def _row(self, guild_id: int, code: EpisodeCode) -> DiscussionThread:
        row = await self.store.get(guild_id, code)
        assert row is not None  # noqa: S101 - written just before
        return row

    async def _name(self, guild: discord.Guild, code: EpisodeCode) -> str:
        """The neutral name, through the one title validator and the fresh spoiler words."""
        name = discussion_name(code)
        try:
            name = clean_title(name, example=EXAMPLE)
            await ensure_title_safe(self.bot, guild.id, name, example=EXAMPLE)
        except UserError as exc:
            await self._fail(guild, code, 0, f"its name {name!r} was refused: {exc.message}")
        return name

    async def _season_tag(self, forum: discord.ForumChannel, code: EpisodeCode) -> list[discord.ForumTag]:
        """The season's tag (shared with theories in a shared forum), or none when it can't be made."""
        tag = season_tag_name(code.season)
        try:
            ids = await forum_tag_ids(forum, [tag], reason="Discussion tags for Cliffhanger", example=EXAMPLE)
        except UserError as exc:
            log.info("no %r tag in forum %s: %s", tag, forum.id, exc.message)
            return []
        return [discord.Object(ids[tag.casefold()])]  # type: ignore[list-item]  # discord.py sends ids only

    async def _find(self, guild: discord.Guild, channel: ThreadHome, name: str) -> discord.Thread | None:
        """The thread an earlier attempt may have made: the bot's, in `channel`, with `name`."""
        me = guild.me.id
        for thread in await guild.active_threads():
            if thread.parent_id == channel.id and thread.owner_id == me and thread.name == name:
                return thread
        return None

    async def _fail(self, guild: discord.Guild, code: EpisodeCode, channel_id: int, reason: str) -> NoReturn:
        """Record why, tell the moderators once per episode and reason, and fail the job."""
        log.warning("discussion of %s in guild %s could not be opened: %s", code, guild.id, reason)
        if await self.store.note_failure(guild.id, code, channel_id, reason):
            await tell_moderators(
                self.bot,
                guild,
                f"\N{WARNING SIGN} I couldn't open the discussion thread for **{code}**: {reason}. Fix that, or "
                f"pick another channel with `{EXAMPLE}`.",
                not_in=channel_id,
            )
        raise JobFailed(reason)
