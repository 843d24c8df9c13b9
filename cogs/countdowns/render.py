"""What countdowns look like: embeds, announcement text, list pages and autocomplete labels."""

from __future__ import annotations

from typing import Any

import discord

from bot.db.jobs import Job
from bot.embeds import fit_lines
from bot.episodes import EpisodeCode
from bot.spoilers import spoiler
from bot.text import escape
from bot.timeparse import Zone, describe
from bot.tvmaze import CREDIT

from .rules import explain_milestones, headline, milestone_label
from .store import Countdown, Failure

__all__ = [
    "announcement",
    "choice_name",
    "countdown_embed",
    "discussion_line",
    "failure_notice",
    "list_embed",
    "schedule_notice",
    "status_embed",
]

PAGE_SIZE = 10
# A drop's links to its episodes' discussion threads, within the announcement's description.
DROP_LINKS_MAX = 1000
UPCOMING_COLOUR = discord.Colour.blurple()
MILESTONE_COLOUR = discord.Colour.gold()
RELEASED_COLOUR = discord.Colour.green()

_STATE_ICONS = {
    "pending": "\N{HOURGLASS WITH FLOWING SAND}",
    "sending": "\N{OUTBOX TRAY}",
    "sent": "\N{WHITE HEAVY CHECK MARK}",
    "skipped": "\N{BLACK RIGHT-POINTING DOUBLE TRIANGLE WITH VERTICAL BAR}",
    "failed": "\N{CROSS MARK}",
    "cancelled": "\N{HEAVY MINUS SIGN}",
}


def discussion_line(threads: dict[EpisodeCode, int]) -> str | None:
    """The release announcement's link to its discussion thread, or to each of a drop's episodes'
    threads in episode order ('S1E1 <#…> · S1E2 <#…>'); None when there is none."""
    if not threads:
        return None
    if len(threads) == 1:
        (thread_id,) = threads.values()
        return f"\N{SPEECH BALLOON} Talk about it in <#{thread_id}>"
    links = fit_lines(
        [f"{code} <#{threads[code]}>" for code in sorted(threads)], DROP_LINKS_MAX, sep=" \N{MIDDLE DOT} "
    )
    return f"\N{SPEECH BALLOON} Talk about each episode in its thread: {links}"


def channel_text(countdown: Countdown, default_channel_id: int | None) -> str:
    if countdown.channel_id is not None:
        return f"<#{countdown.channel_id}>"
    if default_channel_id is not None:
        return f"<#{default_channel_id}> (the announcement channel)"
    return "the announcement channel (none is set: `/config announcements`)"


def episode_field(countdown: Countdown, episode_title: str | None) -> str | None:
    """'S2E4 · ||its title||' (titles can spoil), a drop's 'S1E1-E6' (an en dash) alone, or None for a countdown
    that is not an episode's."""
    label = countdown.label
    if label is None:
        return None
    if episode_title and not countdown.is_drop:
        return f"{label} \N{MIDDLE DOT} {spoiler(episode_title)}"
    return label


def countdown_embed(
    countdown: Countdown,
    *,
    now: float,
    default_channel_id: int | None,
    episode_title: str | None = None,
    details: bool = True,
) -> discord.Embed:
    """The countdown card: title, live timestamps, episode, and where and how it is announced."""
    at = countdown.release_at
    released = at <= now
    if released:
        description = f"Released <t:{at}:F> (<t:{at}:R>)"
    else:
        description = f"## <t:{at}:R>\n<t:{at}:F>, in your own timezone"
    embed = discord.Embed(
        title=countdown.title,
        description=description,
        colour=RELEASED_COLOUR if released else UPCOMING_COLOUR,
    )
    episode = episode_field(countdown, episode_title)
    if episode is not None:
        embed.add_field(name="Episode", value=episode, inline=True)
    if details:
        embed.add_field(
            name="Announced",
            value=f"{explain_milestones(countdown.milestones)}, in {channel_text(countdown, default_channel_id)}",
            inline=False,
        )
        embed.add_field(
            name="Pings",
            value=f"<@&{countdown.role_id}> (press **Notify me** to get or drop it)"
            if countdown.role_id
            else "nobody (no ping role)",
            inline=False,
        )
    embed.set_footer(text=f"Countdown #{countdown.id}")
    return embed


def announcement(
    countdown: Countdown, offset: int, *, due_at: int, now: float, episode_title: str | None = None
) -> tuple[str, discord.Embed]:
    """The message a milestone posts: a one-line content (which pings the role) and an embed."""
    at = countdown.release_at
    line = headline(offset, due_at=due_at, release_at=at, now=now)
    icon = "\N{CLAPPER BOARD}" if offset == 0 else "\N{ALARM CLOCK}"
    content = f"{icon} **{escape(countdown.title)}**: {line}"
    if countdown.role_id is not None:
        content = f"<@&{countdown.role_id}> {content}"
    if offset == 0:
        description = f"**{line[:1].upper()}{line[1:]}**\nReleased <t:{at}:F>"
    else:
        description = f"**{line[:1].upper()}{line[1:]}**\n## <t:{at}:R>\n<t:{at}:F>, in your own timezone"
    embed = discord.Embed(
        title=countdown.title,
        description=description,
        colour=RELEASED_COLOUR if offset == 0 else MILESTONE_COLOUR,
    )
    episode = episode_field(countdown, episode_title)
    if episode is not None:
        embed.add_field(name="Episode", value=episode)
    embed.set_footer(text=f"Countdown #{countdown.id}")
    return content, embed


def list_embed(
    countdowns: list[Countdown], *, page: int, pages: int, total: int, which: str, now: float
) -> discord.Embed:
    """One page of /countdown list."""
    heading = {"upcoming": "Upcoming countdowns", "released": "Released", "all": "All countdowns"}[which]
    lines = []
    for cd in countdowns:
        at = cd.release_at
        episode = f" \N{MIDDLE DOT} {cd.code}" if cd.code else ""
        when = f"<t:{at}:f> (<t:{at}:R>)" if at > now else f"released <t:{at}:R>"
        lines.append(f"`#{cd.id}` **{escape(cd.title)}**{episode}\n\N{EM SPACE}{when}")
    embed = discord.Embed(
        title=heading,
        description="\n".join(lines) or "Nothing here yet.",
        colour=UPCOMING_COLOUR,
    )
    embed.set_footer(text=f"Page {page + 1} of {max(pages, 1)} \N{MIDDLE DOT} {total} in all")
    return embed


def status_embed(countdown: Countdown, jobs: list[Job], failures: list[Failure]) -> discord.Embed:
    """For moderators: every milestone's record, with the reason for anything not sent."""
    lines = []
    by_offset = {int(j.payload.get("offset", -1)): j for j in jobs}
    for offset in sorted({*countdown.milestones, *by_offset}, reverse=True):
        label = milestone_label(offset)
        job = by_offset.get(offset)
        if job is None:
            lines.append(
                f"\N{HEAVY MINUS SIGN} **{label}**: not scheduled (its time had passed when it was set)"
            )
            continue
        icon = _STATE_ICONS.get(job.state, "")
        when = f"<t:{job.finished_at or job.due_at}:f>"
        text = f"{icon} **{label}**: {job.state} {when}"
        if job.state == "sent" and job.result and "/" in job.result:
            text += f" ([message](https://discord.com/channels/{countdown.guild_id}/{job.result}))"
        if job.reason and job.state != "sent":
            text += f"\n\N{EM SPACE}{escape(job.reason)[:300]}"
        lines.append(text)
    embed = discord.Embed(
        title=f"{countdown.title} \N{MIDDLE DOT} announcements",
        description="\n".join(lines)[:4000] or "No announcements are scheduled.",
        colour=UPCOMING_COLOUR,
    )
    for failure in failures[:5]:
        where = f"<#{failure.channel_id}>" if failure.channel_id else "no channel"
        embed.add_field(
            name="\N{WARNING SIGN} Announcements failing",
            value=f"{where}: {escape(failure.reason)[:900]} (since <t:{failure.failed_at}:R>)",
            inline=False,
        )
    embed.set_footer(text=f"Countdown #{countdown.id}")
    return embed


def failure_notice(countdown: Countdown, channel_id: int, reason: str, hint: str) -> str:
    """What moderators are told, once per countdown and channel, when announcing fails."""
    where = f"in <#{channel_id}>" if channel_id else "anywhere"
    return (
        f"\N{WARNING SIGN} I couldn't post the countdown **{escape(countdown.title)}** (#{countdown.id}) {where}: "
        f"{reason}. {hint} Until then its announcements there fail; every other countdown carries on. "
        f"`/countdown status countdown:{countdown.id}` shows each announcement's record."
    )


def choice_name(countdown: Countdown, zone: Zone, now: float) -> str:
    """An autocomplete label: 'Severance S2E1 · Thu 16 Jan 2025 21:00' (at most 100 characters)."""
    when = describe(countdown.release_at, zone, with_zone=False)
    suffix = f" \N{MIDDLE DOT} {when}" if countdown.release_at > now else f" \N{MIDDLE DOT} released {when}"
    room = 100 - len(suffix)
    title = countdown.title if len(countdown.title) <= room else countdown.title[: room - 3] + "..."
    return title + suffix


# -- schedule notices (a followed show's dates changed) ---------------------------------------------
NOTICE_ICONS = {
    "new": "\N{SPARKLES}",
    "dated": "\N{SPIRAL CALENDAR PAD}",
    "moved": "\N{CLOCKWISE RIGHTWARDS AND LEFTWARDS OPEN CIRCLE ARROWS}",
    "removed": "\N{WASTEBASKET}",
}


def notice_line(notice: dict[str, Any]) -> str:
    """One change in words, times as Discord timestamps so each member reads their own:
    'S2E4 moved from <t:...:F> to <t:...:F>'. Episode codes only: titles could spoil."""
    kind, label = str(notice["kind"]), str(notice["label"])
    at, was = notice.get("at"), notice.get("was_at")
    if kind == "moved":
        was_label = f" (was {notice['was_label']})" if notice.get("was_label") else ""
        return f"**{label}**{was_label} moved from <t:{was}:F> to <t:{at}:F> (<t:{at}:R>)."
    if kind == "dated":
        return f"**{label}** has a date: <t:{at}:F> (<t:{at}:R>)."
    if kind == "removed":
        reason = notice.get("reason") or "TVmaze no longer lists it"
        return f"**{label}**, due <t:{was}:F>, is off the schedule: {reason}."
    return f"**{label}** is on the schedule: <t:{at}:F> (<t:{at}:R>)."


def schedule_notice(notice: dict[str, Any]) -> discord.Embed:
    """The announcement-channel message for one change, crediting TVmaze."""
    icon = NOTICE_ICONS.get(str(notice["kind"]), "")
    show = str(notice.get("show") or "The show")
    embed = discord.Embed(
        title=f"{show}: schedule change"[:256],
        description=f"{icon} {notice_line(notice)}",
        colour=UPCOMING_COLOUR,
    )
    embed.set_footer(text=CREDIT)
    return embed
