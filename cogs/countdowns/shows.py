"""/show: follow a show's schedule from TVmaze; its countdowns and dates then keep themselves true.

A second cog of the countdowns extension: it makes and moves countdowns through the same
`CountdownService` as /countdown (one lock per server, the same milestone and event rules), and the
syncing itself lives in sync.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import moderator_only
from bot.config_registry import ConfigSection
from bot.embeds import DESCRIPTION_MAX, fit_embed, fit_lines, fit_text, pack_embeds
from bot.errors import UserError
from bot.showsync import Held, Scheduled, choice_labels, plan_sync, release_label
from bot.text import clean_title, escape, excerpt
from bot.tvmaze import (
    CREDIT,
    Episode,
    Show,
    TVmazeDataError,
    TVmazeError,
    TVmazeNotFound,
    TVmazeUnavailable,
)

from . import render
from .rules import DEFAULT_MILESTONES, EPISODE_MILESTONES, describe_milestones, parse_milestones
from .service import CountdownService
from .store import Follow
from .sync import NOTICE_KIND, Applied, ShowSync, notice_prefix
from .views import ConfirmFollow

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Shows", "tvmaze_problem"]

log = logging.getLogger(__name__)

Interaction = discord.Interaction["Cliffhanger"]

EX_FOLLOW = "/show follow show:Severance"
_PICKED = re.compile(r"tvmaze:([0-9]{1,9})")
RECENT = 10  # changes /show status lists


def tvmaze_problem(exc: TVmazeError, *, example: str, since: int | None = None) -> UserError:
    """What a TVmaze failure means for the moderator who asked: nothing changed, and what to do."""
    kept = (
        f" The schedule from the last sync (<t:{since}:R>) stays in force."
        if since is not None
        else " Nothing was changed."
    )
    if isinstance(exc, TVmazeNotFound):
        return UserError(
            "TVmaze has no such show. Start typing its name and pick it from the list.", example=example
        )
    if isinstance(exc, TVmazeUnavailable):
        return UserError(
            f"TVmaze isn't answering right now ({exc}).{kept} Try again in a few minutes.", example=example
        )
    if isinstance(exc, TVmazeDataError):
        return UserError(
            f"TVmaze sent something I can't read ({exc}).{kept} Try again later.", example=example
        )
    return UserError(f"TVmaze refused the request ({exc}).{kept}", example=example)


def show_name(show: Show) -> str:
    """The show's name as the server's show name (the one title check; TVmaze's text is not trusted)."""
    try:
        return clean_title(show.name, what="The show's name", example=EX_FOLLOW)
    except UserError:
        return f"TVmaze show {show.id}"


@app_commands.guild_only()
class Shows(
    commands.GroupCog,
    group_name="show",
    group_description="Follow your show's schedule from TVmaze",
):
    """Moderators follow, unfollow and sync (checked when each command runs); anyone can see the status."""

    def __init__(self, bot: Cliffhanger, service: CountdownService) -> None:
        self.bot = bot
        self.service = service
        self.follows = service.follows
        self.sync = ShowSync(bot, service)
        self._task: asyncio.Task[None] | None = None
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.scheduler.register(NOTICE_KIND, self.sync.post_notice)
        self.bot.startup_holds.append(self.sync.startup_hold)
        self.bot.config_registry.add("shows", ConfigSection(show_lines=self.config_lines))
        await self.sync.seed_cache()
        self._task = asyncio.create_task(self.sync.run(), name="cliffhanger-show-sync")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.bot.scheduler.unregister(NOTICE_KIND)
        with contextlib.suppress(ValueError):
            self.bot.startup_holds.remove(self.sync.startup_hold)
        self.bot.config_registry.remove("shows")

    # ==========================================================================================
    # commands
    # ==========================================================================================
    @app_commands.command(
        name="follow",
        description="Follow a show on TVmaze: its episodes, countdowns and date changes (moderators)",
    )
    @app_commands.describe(
        show="The show (start typing to search TVmaze)",
        channel="Where announcements go (default: the channel set with /config announcements)",
        role="A role to ping for every episode",
        make_role="Create (or reuse) a ping role named after the show",
        milestones="When to announce before each episode (default: 7d,1d,1h for a premiere, 1h after)",
        specials="Count down to specials too (default: episodes only)",
        titles="Name countdowns and events after episode titles, which can spoil (default: S2E4)",
    )
    @moderator_only()
    async def follow(
        self,
        interaction: Interaction,
        *,
        show: app_commands.Range[str, 1, 100],
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        make_role: bool = False,
        milestones: app_commands.Range[str, 1, 100] | None = None,
        specials: bool = False,
        titles: bool = False,
    ) -> None:
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        offsets = (
            parse_milestones(milestones, example=f"{EX_FOLLOW} milestones:1d,1h") if milestones else None
        )
        target = await self.service.target_channel(guild, channel, example=EX_FOLLOW)
        await self.service.check_role_options(
            interaction, role, make_role, example=f"{EX_FOLLOW} make_role:True"
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await self.lookup(show)
        options = _Options(
            target=target,
            channel=channel,
            role=role,
            make_role=make_role,
            offsets=offsets,
            specials=specials,
            titles=titles,
        )
        replacing = await self.replacing(guild.id, found)
        if replacing is None:
            text, embeds = await self.do_follow(interaction, found, options, replacing=None)
            await self.send(interaction, text, embeds)
            return
        current = await self.follows.get(guild.id)
        was = current.show_id if current is not None else None

        async def still_current() -> bool:
            now = await self.follows.get(guild.id)
            return (now.show_id if now is not None else None) == was

        async def confirmed(pressed: discord.Interaction[Cliffhanger]) -> tuple[str, list[discord.Embed]]:
            text, embeds = await self.do_follow(pressed, found, options, replacing=replacing)
            return text, embeds[:1]

        view = ConfirmFollow(
            owner_id=interaction.user.id,
            old_show=replacing,
            new_show=show_name(found),
            still_current=still_current,
            on_confirm=confirmed,
        )
        new = escape(show_name(found))
        await interaction.followup.send(
            f"This server follows **{escape(replacing)}**. Follow **{new}** instead? The countdowns to "
            f"{escape(replacing)}'s episodes still to come are cancelled (the reason is recorded) and "
            f"their Discord events removed, and the episode schedule becomes {new}'s. Recaps and theories "
            "stay.",
            view=view,
            ephemeral=True,
        )
        view.origin = interaction

    @app_commands.command(name="unfollow", description="Stop following the show on TVmaze (moderators)")
    @moderator_only()
    async def unfollow(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        async with self.service.serial(interaction.guild_id):
            current = await self.follows.get(interaction.guild_id)
            if current is None:
                raise UserError("This server doesn't follow a show on TVmaze.", example=EX_FOLLOW)
            await self.follows.unfollow(interaction.guild_id)
        self.sync.wake()
        log.info("guild %s: unfollowed TVmaze show %s", interaction.guild_id, current.show_id)
        await interaction.response.send_message(
            f"\N{WHITE HEAVY CHECK MARK} This server no longer follows **{escape(current.name)}** on TVmaze. "
            "Its countdowns and episode schedule stay as they are and no longer change with TVmaze; "
            "`/countdown delete` removes countdowns you don't want, and `/show follow` follows a show again.",
            ephemeral=True,
        )

    @app_commands.command(
        name="status", description="The show this server follows, its last sync and recent changes"
    )
    async def status(self, interaction: Interaction) -> None:
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        follow = await self.follows.get(guild.id)
        if follow is None:
            raise UserError(
                "This server doesn't follow a show on TVmaze yet. A moderator can start:", example=EX_FOLLOW
            )
        await interaction.response.send_message(embed=await self.status_embed(follow), ephemeral=True)

    @app_commands.command(name="sync", description="Check TVmaze for changed dates now (moderators)")
    @moderator_only()
    async def sync_now(self, interaction: Interaction) -> None:
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        follow = await self.follows.get(guild.id)
        if follow is None:
            raise UserError("This server doesn't follow a show on TVmaze yet.", example=EX_FOLLOW)
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            episodes = await self.sync.episodes(follow.show_id, fresh=True)
        except TVmazeError as exc:
            await self.follows.failed([guild.id], int(self.service.now()), str(exc))
            raise tvmaze_problem(exc, example="/show sync", since=follow.synced_at) from None
        applied = await self.sync.sync_server(follow, episodes)
        if applied is None:
            raise UserError("This server stopped following the show meanwhile.", example=EX_FOLLOW)
        lines = [render.notice_line(n) for n in applied.notices]
        if lines:
            where = f"<#{follow.channel_id}>" if follow.channel_id else "the announcement channel"
            head = f"\N{WHITE HEAVY CHECK MARK} Synced **{escape(follow.name)}** with TVmaze: {len(lines)} change{'s' if len(lines) != 1 else ''}, each announced once in {where}:"
        else:
            head = (
                f"\N{WHITE HEAVY CHECK MARK} Synced **{escape(follow.name)}** with TVmaze: nothing changed."
            )
        await interaction.followup.send(
            fit_text("\n".join([head, *(f"- {line}" for line in lines), f"-# {CREDIT}."])), ephemeral=True
        )

    # ==========================================================================================
    # following
    # ==========================================================================================
    async def lookup(self, text: str) -> Show:
        """The show a moderator picked (autocomplete sends `tvmaze:<id>`) or typed."""
        picked = _PICKED.fullmatch(text.strip())
        try:
            if picked is not None:
                return await self.bot.tvmaze.show(int(picked[1]))
            found = await self.bot.tvmaze.single_search(" ".join(text.split()))
        except TVmazeError as exc:
            raise tvmaze_problem(exc, example=EX_FOLLOW) from None
        if found is None:
            raise UserError(
                f"TVmaze has no show called `{excerpt(text)}`. Start typing and pick it from the list.",
                example=EX_FOLLOW,
            )
        return found

    async def replacing(self, guild_id: int, show: Show) -> str | None:
        """The show following `show` would replace (ask first), or None: nothing followed yet and no
        other show's episodes in the schedule, or the same show again."""
        current = await self.follows.get(guild_id)
        if current is not None:
            return None if current.show_id == show.id else current.name
        settings = await self.bot.guild_store.get(guild_id)
        if settings.show_name is None or settings.show_name.casefold() == show_name(show).casefold():
            return None
        has_schedule = bool(await self.service.store.with_episodes(guild_id)) or bool(
            await self.bot.episodes.schedule(guild_id)
        )
        return settings.show_name if has_schedule else None

    async def do_follow(
        self,
        interaction: discord.Interaction[Cliffhanger],
        show: Show,
        options: _Options,
        *,
        replacing: str | None,
    ) -> tuple[str, list[discord.Embed]]:
        """Follow `show`: its episodes into the schedule, countdowns for what is to come, events."""
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        try:
            episodes = await self.sync.episodes(show.id, fresh=True)
        except TVmazeError as exc:
            raise tvmaze_problem(exc, example=EX_FOLLOW) from None
        name = show_name(show)
        notes: list[str] = []
        ping = await self.service.ping_role(
            guild,
            options.role,
            options.make_role,
            moderator=interaction.user,
            name_base=name,
            channel=options.target,
            notes=notes,
        )
        now = self.service.now()
        follow = Follow(
            guild_id=guild.id,
            show_id=show.id,
            name=name,
            label=choice_labels([show])[0],
            network=show.channel.name[:100] if show.channel is not None else None,
            specials=options.specials,
            titles=options.titles,
            channel_id=options.channel.id if options.channel is not None else None,
            role_id=ping.id if ping is not None else None,
            milestones=options.offsets,
            followed_by=interaction.user.id,
            followed_at=int(now),
        )
        async with self.service.serial(guild.id):
            async with self.bot.db.transaction(immediate=True):
                await self.follows.follow(follow)
                await self.bot.guild_store.update(guild.id, show_name=name)
                applied = await self.sync.apply(follow, episodes, notify=False, replacing=replacing)
            notes += await self.sync.mirror(guild, follow, applied)
        self.sync.wake()
        log.info("guild %s: follows TVmaze show %s (%s)", guild.id, show.id, name)
        return self.follow_reply(follow, episodes, applied, replacing, notes)

    def follow_reply(
        self,
        follow: Follow,
        episodes: tuple[Episode, ...],
        applied: Applied,
        replacing: str | None,
        notes: list[str],
    ) -> tuple[str, list[discord.Embed]]:
        plan = applied.plan
        scheduled = sum(1 for e in episodes if e.number is not None)
        lines = [
            f"\N{WHITE HEAVY CHECK MARK} This server follows **{escape(follow.label)}** from TVmaze now.",
        ]
        bullets: list[str] = []
        if replacing is not None:
            bullets.append(
                f"Replaced **{escape(replacing)}**: {len(applied.replaced)} of its countdowns still to come "
                "were cancelled and their events removed; its recaps and theories stay."
            )
        bullets.append(
            f"{scheduled} episode{'s' if scheduled != 1 else ''} in the schedule (spoilers and theories read it)."
        )
        if applied.created:
            bullets.append(
                f"{len(applied.created)} countdown{'s' if len(applied.created) != 1 else ''} for what is still to "
                "come, named by episode code"
                + (" and title" if follow.titles else " (titles can spoil: `titles:True` adds them)")
                + "."
            )
        else:
            bullets.append(
                "No episode is still to come, so nothing counts down yet; new dates are picked up."
            )
        if plan.tba:
            bullets.append(
                f"{len(plan.tba)} with no date yet (date TBA): {fit_lines([str(s) for s in plan.tba], 200, sep=', ')}. "
                "Each gets a countdown once TVmaze has a date."
            )
        if plan.specials_left_out:
            bullets.append(
                f"{plan.specials_left_out} special{'s' if plan.specials_left_out != 1 else ''} left out "
                "(`specials:True` counts down to them too)."
            )
        if plan.kept:
            bullets.append(
                f"{len(plan.kept)} countdown{'s' if len(plan.kept) != 1 else ''} you edited by hand kept as you set it."
            )
        if follow.milestones is None:
            bullets.append(
                f"Announced at {describe_milestones(DEFAULT_MILESTONES)} for a premiere and "
                f"{describe_milestones(EPISODE_MILESTONES)} for later episodes (change with `milestones:`)."
            )
        else:
            bullets.append(f"Announced at {describe_milestones(follow.milestones)} for each episode.")
        bullets += notes
        bullets.append(
            f"TVmaze is checked every {self.bot.settings.show_sync_hours} h: a date that moves moves its countdown "
            "and is announced once. `/show status` shows what changed."
        )
        text = "\n".join([*lines, *(f"- {b}" for b in dict.fromkeys(bullets)), f"-# {CREDIT}."])
        releases = sorted(applied.created, key=lambda c: (c.release_at, c.id))
        embed = discord.Embed(
            title="Counting down",
            description=fit_lines(
                [f"`{c.label}` <t:{c.release_at}:F> (<t:{c.release_at}:R>)" for c in releases],
                DESCRIPTION_MAX,
            )
            or "Nothing yet.",
            colour=render.UPCOMING_COLOUR,
        )
        embed.set_footer(text=CREDIT)
        return fit_text(text), [fit_embed(embed)]

    @staticmethod
    async def send(interaction: Interaction, text: str, embeds: list[discord.Embed]) -> None:
        groups = pack_embeds(embeds)
        await interaction.followup.send(text, embeds=groups[0], ephemeral=True)
        for group in groups[1:]:
            await interaction.followup.send(embeds=group, ephemeral=True)

    # ==========================================================================================
    # status
    # ==========================================================================================
    async def status_embed(self, follow: Follow) -> discord.Embed:
        now = int(self.service.now())
        synced = "Not synced yet." if follow.synced_at is None else f"Last synced <t:{follow.synced_at}:R>."
        if follow.sync_error is not None and follow.tried_at is not None:
            kept = f" The schedule from <t:{follow.synced_at}:R> stays in force." if follow.synced_at else ""
            synced += f"\n\N{WARNING SIGN} The last try, <t:{follow.tried_at}:R>, failed: {escape(follow.sync_error)}.{kept}"
        embed = discord.Embed(
            title=follow.label[:256],
            description=f"Followed on TVmaze, checked every {self.bot.settings.show_sync_hours} h. {synced}",
            colour=render.UPCOMING_COLOUR,
        )
        upcoming = [c for c in await self.service.store.with_episodes(follow.guild_id) if c.release_at > now]
        if upcoming:
            embed.add_field(
                name="Coming up",
                value="\n".join(f"`{c.label}` <t:{c.release_at}:F> (<t:{c.release_at}:R>)" for c in upcoming),
                inline=False,
            )
        changes = await self.bot.jobs.latest(follow.guild_id, NOTICE_KIND, notice_prefix(), RECENT)
        if changes:
            embed.add_field(
                name="Recent changes",
                value="\n".join(
                    _change_line(job.payload, job.state, job.due_at, job.reason) for job in changes
                ),
                inline=False,
            )
        cached = self.bot.tvmaze.cached_episodes(follow.show_id)
        if cached is not None:
            await self._plan_fields(embed, follow, cached, now)
        embed.set_footer(text=CREDIT)
        return fit_embed(embed)

    async def _plan_fields(
        self, embed: discord.Embed, follow: Follow, episodes: tuple[Episode, ...], now: int
    ) -> None:
        """What the last episode list says that no countdown shows: hand-set ones, and dates TBA."""
        schedule = {
            e.code: Scheduled(e.title, e.air_at) for e in await self.bot.episodes.schedule(follow.guild_id)
        }
        held = [
            Held(c.id, c.slots, c.release_at, c.by_hand)
            for c in await self.service.store.with_episodes(follow.guild_id)
        ]
        plan = plan_sync(episodes, schedule, held, now=now, include_specials=follow.specials)
        if plan.kept:
            embed.add_field(
                name="Kept as you set it",
                value="\n".join(
                    f"`{k.release.label}` <t:{k.release.at}:F>; TVmaze says "
                    + (f"<t:{k.tvmaze_at}:F>" if k.tvmaze_at is not None else "date TBA")
                    for k in plan.kept
                ),
                inline=False,
            )
        if plan.tba:
            embed.add_field(
                name="Date TBA",
                value=fit_lines([release_label([s]) for s in plan.tba], 1000, sep=", ")
                + "\nNo countdown until TVmaze has a date.",
                inline=False,
            )

    async def config_lines(self, guild: discord.Guild) -> list[tuple[str, str]]:
        follow = await self.follows.get(guild.id)
        if follow is None:
            return []
        when = f"synced <t:{follow.synced_at}:R>" if follow.synced_at else "not synced yet"
        line = f"**{escape(follow.label)}** on TVmaze, {when}"
        if follow.sync_error:
            line += f"\n\N{WARNING SIGN} last try failed: {escape(follow.sync_error)}"
        return [("Followed show", line)]

    # ==========================================================================================
    # autocomplete
    # ==========================================================================================
    @follow.autocomplete("show")
    async def show_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """TVmaze's matches, "Severance (2022, Apple TV+)"; from the cache or empty when TVmaze is slow."""
        shows = [result.show for result in await self.bot.tvmaze.suggest(current)][:25]
        return [
            app_commands.Choice(name=label, value=f"tvmaze:{show.id}")
            for label, show in zip(choice_labels(shows), shows, strict=True)
        ]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Options:
    """What /show follow was asked besides the show, carried through a confirmation."""

    target: discord.TextChannel
    channel: discord.TextChannel | None
    role: discord.Role | None
    make_role: bool
    offsets: tuple[int, ...] | None
    specials: bool
    titles: bool


def _change_line(payload: dict[str, Any], state: str, due_at: int, reason: str | None) -> str:
    line = f"<t:{due_at}:d> {render.notice_line(payload)}"
    if state == "failed" and reason:
        line += f" \N{WARNING SIGN} not announced: {escape(reason)}"
    elif state in ("pending", "sending"):
        line += " (announcing)"
    return line
