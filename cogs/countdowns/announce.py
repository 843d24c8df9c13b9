"""The scheduler handler that posts countdown announcements, and the once-only failure notices."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import discord

from bot.checks import ANNOUNCE_PERMISSIONS, missing_permissions
from bot.db.jobs import Job
from bot.episodes import EpisodeCode
from bot.notices import tell_moderators
from bot.scheduler import JobFailed, JobSkipped, describe_http_error, guild_for, send_once

from . import render
from .rules import milestone_label
from .store import Countdown, CountdownStore
from .views import notify_view

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Announcer"]

log = logging.getLogger(__name__)


HINT_NO_CHANNEL = (
    "Set one with `/config announcements`, or give the countdown a channel with `/countdown edit`."
)
HINT_DELETED = "Pick another channel with `/countdown edit`."
HINT_PERMISSIONS = "Give my role those permissions in that channel, or pick another with `/countdown edit`."


def _countdown_id(job: Job) -> int:
    """'countdown:12:3600' -> 12."""
    return int(job.key.split(":")[1])


class Announcer:
    """Handles due 'countdown' jobs: one announcement per milestone, sent with the job's nonce."""

    def __init__(self, bot: Cliffhanger, store: CountdownStore) -> None:
        self.bot = bot
        self.store = store

    async def __call__(self, job: Job) -> str | None:
        offset = int(job.payload.get("offset", 0))
        countdown = await self.store.get(job.guild_id, _countdown_id(job))
        if countdown is None:
            raise JobSkipped("the countdown was deleted")
        if offset not in countdown.milestones:
            raise JobSkipped(f"the {milestone_label(offset)} milestone was removed from the countdown")
        if countdown.release_at - offset != job.due_at:
            raise JobSkipped(
                f"the countdown was moved to <t:{countdown.release_at}:F> just before this was sent"
            )
        guild = guild_for(self.bot, job)
        settings = await self.bot.guild_store.get(guild.id)
        channel_id = countdown.channel_id or settings.announce_channel_id
        if channel_id is None:
            reason = "no announcement channel is set for this server"
            await self.report_failure(guild, countdown, 0, reason, HINT_NO_CHANNEL)
            raise JobFailed(reason)
        channel = guild.get_channel(channel_id)
        if not isinstance(channel, discord.TextChannel):
            reason = "the channel was deleted"
            await self.report_failure(guild, countdown, channel_id, reason, HINT_DELETED)
            raise JobFailed(reason)
        missing = missing_permissions(channel.permissions_for(guild.me), ANNOUNCE_PERMISSIONS)
        if missing:
            reason = f"I'm missing {', '.join(missing)} there"
            await self.report_failure(guild, countdown, channel.id, reason, HINT_PERMISSIONS)
            raise JobFailed(reason)
        role = guild.get_role(countdown.role_id) if countdown.role_id else None
        if countdown.role_id and role is None:
            log.info(
                "countdown %s: its ping role %s was deleted; announcing without a ping",
                countdown.id,
                countdown.role_id,
            )
            countdown = _without_role(countdown)
        episode = await self.bot.episodes.get(guild.id, countdown.code) if countdown.code else None
        content, embed = render.announcement(
            countdown,
            offset,
            due_at=job.due_at,
            now=self.bot.scheduler.clock.now(),
            episode_title=episode.title if episode else None,
        )
        codes = [slot for slot in countdown.slots if isinstance(slot, EpisodeCode)]
        if offset == 0 and codes:
            # The release links to its discussion thread, or a drop to each of its episodes' threads
            # (one per episode), opened now if they aren't yet (bot/discussions.py).
            link = render.discussion_line(await self.bot.discussions.threads_for(guild, codes))
            if link is not None:
                embed.description = f"{embed.description}\n{link}"
        mentions = discord.AllowedMentions(
            everyone=False, users=False, roles=[role] if role is not None else False, replied_user=False
        )
        try:
            message = await send_once(
                job,
                channel,
                now=self.bot.scheduler.clock.now(),
                content=content,
                embed=embed,
                view=notify_view(countdown.id) if role is not None else discord.utils.MISSING,
                allowed_mentions=mentions,
            )
        except (discord.Forbidden, discord.NotFound) as exc:
            reason = describe_http_error(exc)
            hint = HINT_DELETED if isinstance(exc, discord.NotFound) else HINT_PERMISSIONS
            await self.report_failure(guild, countdown, channel.id, reason, hint)
            raise JobFailed(reason) from exc
        await self.store.clear_failure(countdown.id, channel.id)
        return f"{channel.id}/{message.id}"

    async def report_failure(
        self, guild: discord.Guild, countdown: Countdown, channel_id: int, reason: str, hint: str
    ) -> None:
        """Tell the moderators once per countdown and channel: in the announcement channel when the
        failure is elsewhere and the bot can post there, otherwise in the log."""
        now = int(self.bot.scheduler.clock.now())
        log.warning(
            "countdown %s (%r) in guild %s could not be announced in channel %s: %s",
            countdown.id,
            countdown.title,
            guild.id,
            channel_id,
            reason,
        )
        if not await self.store.note_failure(countdown.id, channel_id, reason, now):
            return  # the moderators were told already
        await tell_moderators(
            self.bot, guild, render.failure_notice(countdown, channel_id, reason, hint), not_in=channel_id
        )


def _without_role(countdown: Countdown) -> Countdown:
    return replace(countdown, role_id=None)
