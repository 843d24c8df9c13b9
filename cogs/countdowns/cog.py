"""/countdown: premieres and episode drops, counted down and announced on time, exactly once."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import ensure_moderator, moderator_only
from bot.config_registry import ConfigSection
from bot.embeds import DESCRIPTION_MAX, fit_lines, fit_text, pack_embeds
from bot.episodes import EpisodeCode
from bot.errors import UserError
from bot.lookup import find_by_ref
from bot.roles import ensure_label_role
from bot.text import escape
from bot.timeparse import When, Zone, describe, zone_label
from bot.transformers import WhenTransformer, server_zone

from . import render
from .announce import Announcer
from .packs import PACKS_DIR, Pack, find_pack, list_packs, load_pack
from .roles import ping_role_warnings
from .rules import (
    CADENCES,
    DEFAULT_MILESTONES,
    EPISODE_MILESTONES,
    JOB_KIND,
    describe_milestones,
    episode_times,
    episode_title,
    key_prefix,
    milestone_label,
    parse_milestones,
    release_milestones,
)
from .service import EX_CREATE, CountdownService, Scheduled
from .store import Countdown, NewCountdown, Which
from .views import ConfirmDelete, ListPager, NotifyButton, notify_view

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["Countdowns", "EpisodeSummary"]

log = logging.getLogger(__name__)

Interaction = discord.Interaction["Cliffhanger"]

EX_WHEN_CREATE = "/countdown create title:Severance season 2 when:{when}"
EX_WHEN_EDIT = "/countdown edit countdown:1 when:{when}"
EX_WHEN_SEASON = "/countdown season season:2 first:{when} episodes:10"
EX_MILESTONES = "/countdown create title:Premiere when:in 30 days milestones:14d,1d,10m"
EX_SHOW = "/countdown show countdown:1"


@dataclass(frozen=True, slots=True)
class EpisodePlan:
    code: EpisodeCode
    title: str | None  # the episode's own title (may be a spoiler: kept out of countdown titles)
    air_at: int


def _bullets(notes: Sequence[str | None]) -> str:
    kept = list(dict.fromkeys(n for n in notes if n))
    return "".join(f"\n- {n}" for n in kept)


@app_commands.guild_only()
class Countdowns(
    commands.GroupCog,
    group_name="countdown",
    group_description="Countdowns to premieres and episode drops",
):
    """Moderators create, edit and delete (checked when each command runs); anyone can look."""

    def __init__(self, bot: Cliffhanger, service: CountdownService) -> None:
        self.bot = bot
        self.service = service
        self.store = service.store
        self.events = service.events
        self.announcer = Announcer(bot, self.store)
        self.packs_dir = PACKS_DIR
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.scheduler.register(JOB_KIND, self.announcer)
        self.bot.add_dynamic_items(NotifyButton)
        self.bot.config_registry.add("countdowns", ConfigSection(show_lines=self.config_lines))

    async def cog_unload(self) -> None:
        self.bot.scheduler.unregister(JOB_KIND)
        self.bot.remove_dynamic_items(NotifyButton)
        self.bot.config_registry.remove("countdowns")

    def now(self) -> float:
        return self.service.now()

    # ==========================================================================================
    # shared steps
    # ==========================================================================================
    async def checked_title(self, guild_id: int, raw: str, *, example: str = EX_CREATE) -> str:
        return await self.service.checked_title(guild_id, raw, example=example)

    async def resolve(self, interaction: Interaction, text: str) -> Countdown:
        """The countdown a member named: an id from autocomplete, '#12', or an exact title."""
        guild_id = interaction.guild_id
        assert guild_id is not None  # noqa: S101 - guild_only
        return await find_by_ref(
            text,
            by_number=lambda number: self.store.get(guild_id, number),
            by_title=lambda title: self.store.by_title(guild_id, title),
            number_of=lambda countdown: countdown.id,
            noun=("countdown", "countdowns"),
            example="/countdown show countdown:{number}",
        )

    def schedule_notes(self, report: Scheduled) -> list[str]:
        notes = []
        if report.passed:
            gone = [milestone_label(o) for o in report.passed if o]
            if gone:
                notes.append(
                    f"The {', '.join(gone)} milestone{'s have' if len(gone) > 1 else ' has'} already passed, "
                    "so I won't announce "
                    f"{'them' if len(gone) > 1 else 'it'}."
                )
        if report.already_sent:
            labels = ", ".join(milestone_label(o) for o in report.already_sent)
            notes.append(f"Already announced ({labels}); those are not repeated.")
        return notes

    async def post_card(self, interaction: Interaction, countdown: Countdown) -> None:
        """A public countdown card with the live timestamp and a Notify me button."""
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        episode = (
            await self.bot.episodes.get(interaction.guild_id, countdown.code) if countdown.code else None
        )
        embed = render.countdown_embed(
            countdown,
            now=self.now(),
            default_channel_id=None,
            episode_title=episode.title if episode else None,
            details=False,
        )
        if countdown.role_id is not None and countdown.release_at > self.now():
            await interaction.response.send_message(embed=embed, view=notify_view(countdown.id))
        else:
            await interaction.response.send_message(embed=embed)

    async def reply_card(self, guild: discord.Guild, countdown: Countdown) -> discord.Embed:
        """The detailed card moderators see after create and edit."""
        settings = await self.bot.guild_store.get(guild.id)
        return render.countdown_embed(
            countdown, now=self.now(), default_channel_id=settings.announce_channel_id, details=True
        )

    # ==========================================================================================
    # commands for everyone
    # ==========================================================================================
    @app_commands.command(name="next", description="The next premiere or episode drop, with a live countdown")
    async def next_(self, interaction: Interaction) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        upcoming = await self.store.next_up(interaction.guild_id, int(self.now()))
        if upcoming is None:
            released = await self.store.page(
                interaction.guild_id, int(self.now()), "released", limit=1, offset=0
            )
            last = (
                f" The last one, **{escape(released[0].title)}**, came out <t:{released[0].release_at}:R>."
                if released
                else ""
            )
            await interaction.response.send_message(
                f"Nothing is counting down right now.{last} Moderators can start one with `/countdown create`.",
                ephemeral=True,
            )
            return
        await self.post_card(interaction, upcoming)

    @app_commands.command(
        name="show", description="Post a countdown here, with a live timer and a Notify me button"
    )
    @app_commands.describe(
        countdown="Which countdown (start typing to search); leave it out for the next one"
    )
    async def show(
        self, interaction: Interaction, countdown: app_commands.Range[str, 1, 100] | None = None
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        if countdown is None:
            found = await self.store.next_up(interaction.guild_id, int(self.now()))
            if found is None:
                raise UserError(
                    "Nothing is counting down right now; name a released one to show it.", example=EX_SHOW
                )
        else:
            found = await self.resolve(interaction, countdown)
        await self.post_card(interaction, found)

    @app_commands.command(name="list", description="Every countdown in this server, soonest first")
    @app_commands.describe(show="Upcoming (the default), already released, or all")
    async def list_countdowns(
        self, interaction: Interaction, show: Literal["upcoming", "released", "all"] = "upcoming"
    ) -> None:
        assert interaction.guild_id is not None  # noqa: S101 - guild_only
        which: Which = show
        now = self.now()
        total = await self.store.count(interaction.guild_id, int(now), which)
        if total == 0:
            empty = {
                "upcoming": "No countdowns are coming up. Moderators can start one with `/countdown create`.",
                "released": "Nothing has been released yet.",
                "all": "This server has no countdowns yet. Moderators can start one with `/countdown create`.",
            }[which]
            await interaction.response.send_message(empty, ephemeral=True)
            return
        pager = ListPager(self.store, interaction.guild_id, which, total=total, now=now)
        embed = await pager.render()
        if pager.pages > 1:
            await interaction.response.send_message(embed=embed, view=pager, ephemeral=True)
            pager.origin = interaction
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)

    # ==========================================================================================
    # commands for moderators
    # ==========================================================================================
    @app_commands.command(
        name="create", description="Start a countdown to a premiere or episode drop (moderators)"
    )
    @app_commands.describe(
        title="What is coming, e.g. Severance season 2. No spoilers: titles show in notifications",
        when="When it comes out: 2025-01-17 21:00, jan 17 9pm, in 3 days, <t:...> or unix seconds",
        channel="Where announcements go (default: the channel set with /config announcements)",
        role="A role to ping at each milestone; members opt in with the Notify me button",
        make_role="Create (or reuse) a ping role named after the show, for Notify me",
        milestones="When to announce before release, e.g. 14d,1d,10m (default 7d,1d,1h)",
    )
    @moderator_only()
    async def create(
        self,
        interaction: Interaction,
        *,
        title: app_commands.Range[str, 1, 100],
        when: app_commands.Transform[When, WhenTransformer(EX_WHEN_CREATE)],
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        make_role: bool = False,
        milestones: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        clean = await self.checked_title(guild.id, title)
        offsets = parse_milestones(milestones, example=EX_MILESTONES) if milestones else DEFAULT_MILESTONES
        target = await self.service.target_channel(
            guild, channel, example=f"/countdown create title:{clean} when:in 3 days"
        )
        await self.service.check_role_options(interaction, role, make_role)
        await interaction.response.defer(ephemeral=True, thinking=True)
        notes: list[str] = [f"Read as {describe(when.at, when.zone)}."]
        settings = await self.bot.guild_store.get(guild.id)
        ping = await self.service.ping_role(
            guild,
            role,
            make_role,
            moderator=interaction.user,
            name_base=settings.show_name or clean,
            channel=target,
            notes=notes,
        )
        async with self.service.serial(guild.id):
            now = self.now()
            async with self.bot.db.transaction(immediate=True):
                countdown, report = await self.service.create(
                    NewCountdown(
                        guild_id=guild.id,
                        title=clean,
                        release_at=when.at,
                        created_by=interaction.user.id,
                        channel_id=channel.id if channel is not None else None,
                        role_id=ping.id if ping is not None else None,
                        milestones=offsets,
                    ),
                    now,
                )
            countdown, event_note = await self.events.create(
                guild,
                countdown,
                location=self.service.event_location(guild, countdown),
                description=self.service.event_description(countdown),
                now=now,
            )
            await self.events.sweep(guild)
        notes += self.schedule_notes(report)
        if event_note:
            notes.append(event_note)
        elif countdown.event_id is not None:
            notes.append("Added a Discord event for it, so it shows in the server's Events list.")
        if ping is None:
            notes.append(
                "No ping role, so announcements won't ping anyone. Add one with `/countdown edit role:` "
                "(or `make_role:True`) and members can opt in with **Notify me**."
            )
        log.info(
            "guild %s: countdown %s %r created for %s",
            guild.id,
            countdown.id,
            countdown.title,
            countdown.release_at,
        )
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} Countdown #{countdown.id} **{escape(countdown.title)}** is set for "
            f"<t:{countdown.release_at}:F> (<t:{countdown.release_at}:R>).{_bullets(notes)}\n"
            f"Post it for members with `/countdown show countdown:{countdown.id}`.",
            embed=await self.reply_card(guild, countdown),
            ephemeral=True,
        )

    @app_commands.command(
        name="edit", description="Change a countdown's title, time, channel, role or milestones (moderators)"
    )
    @app_commands.describe(
        countdown="Which countdown (start typing to search)",
        title="A new title (no spoilers)",
        when="A new release time; pending announcements move with it",
        channel="A new channel for its announcements",
        role="A new role to ping",
        remove_role="Stop pinging a role for this countdown",
        milestones="New milestones, e.g. 14d,1d,10m (the release is always announced)",
    )
    @moderator_only()
    async def edit(
        self,
        interaction: Interaction,
        *,
        countdown: app_commands.Range[str, 1, 100],
        title: app_commands.Range[str, 1, 100] | None = None,
        when: app_commands.Transform[When, WhenTransformer(EX_WHEN_EDIT)] | None = None,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        remove_role: bool = False,
        milestones: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        current = await self.resolve(interaction, countdown)
        example = f"/countdown edit countdown:{current.id} when:in 3 days"
        changes: dict[str, Any] = {}
        if title is not None:
            changes["title"] = await self.checked_title(
                guild.id, title, example=f"/countdown edit countdown:{current.id} title:Severance S2 premiere"
            )
        notes: list[str] = []
        if when is not None:
            changes["release_at"] = when.at
            notes.append(f"Read as {describe(when.at, when.zone)}.")
        if milestones is not None:
            changes["milestones"] = parse_milestones(
                milestones, example=f"/countdown edit countdown:{current.id} milestones:14d,1d,10m"
            )
        if role is not None and remove_role:
            raise UserError(
                "Pick a new `role` or `remove_role`, not both.",
                example=f"/countdown edit countdown:{current.id} remove_role:True",
            )
        target: discord.TextChannel | None = None
        if channel is not None:
            target = await self.service.target_channel(guild, channel, example=example)
            changes["channel_id"] = channel.id
        if role is not None:
            await ensure_label_role(
                self.bot,
                role,
                moderator=interaction.user,
                example=f"/countdown edit countdown:{current.id} role:@Severance pings",
            )
            target = target or await self._current_channel(guild, current)
            notes.extend(ping_role_warnings(role, target))
            changes["role_id"] = role.id
        if remove_role:
            changes["role_id"] = None
        if not changes:
            raise UserError(
                "Tell me what to change: a title, when, channel, role, remove_role or milestones.",
                example=example,
            )
        changes.update(_by_hand(current, changes))
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.service.serial(guild.id):
            now = self.now()
            async with self.bot.db.transaction(immediate=True):
                updated, report = await self.service.change(guild.id, current.id, now, **changes)
                if updated is None:
                    raise UserError("That countdown was deleted meanwhile.", example=EX_SHOW)
                if "release_at" in changes:
                    await self.bot.episodes.upsert(
                        guild.id,
                        [(s, None, updated.release_at) for s in updated.slots if isinstance(s, EpisodeCode)],
                    )
                if "channel_id" in changes:
                    await self.store.clear_failures(updated.id)
            if {"title", "release_at", "channel_id"} & changes.keys():
                updated, event_note = await self.events.update(
                    guild,
                    updated,
                    location=self.service.event_location(guild, updated),
                    description=self.service.event_description(updated),
                    now=now,
                )
                notes.append(event_note or "")
            await self.events.sweep(guild)
        notes += self.schedule_notes(report)
        changed = ", ".join(
            {
                "title": "title",
                "release_at": "time",
                "channel_id": "channel",
                "role_id": "ping role",
                "milestones": "milestones",
            }[k]
            for k in changes
            if k != "by_hand"
        )
        await interaction.followup.send(
            f"\N{WHITE HEAVY CHECK MARK} Updated the {changed} of countdown #{updated.id} **{escape(updated.title)}**: "
            f"<t:{updated.release_at}:F> (<t:{updated.release_at}:R>).{_bullets(notes)}",
            embed=await self.reply_card(guild, updated),
            ephemeral=True,
        )

    async def _current_channel(
        self, guild: discord.Guild, countdown: Countdown
    ) -> discord.TextChannel | None:
        settings = await self.bot.guild_store.get(guild.id)
        channel_id = countdown.channel_id or settings.announce_channel_id
        channel = guild.get_channel(channel_id) if channel_id else None
        return channel if isinstance(channel, discord.TextChannel) else None

    @app_commands.command(
        name="delete", description="Delete a countdown and its pending announcements (moderators)"
    )
    @app_commands.describe(countdown="Which countdown (start typing to search)")
    @moderator_only()
    async def delete(self, interaction: Interaction, countdown: app_commands.Range[str, 1, 100]) -> None:
        found = await self.resolve(interaction, countdown)
        view = ConfirmDelete(found, interaction.user.id, self._confirmed_delete, self.store)
        await interaction.response.send_message(
            f"Delete **{escape(found.title)}** (#{found.id}, <t:{found.release_at}:F>)? Its pending "
            "announcements are cancelled and its Discord event removed; messages already posted stay.",
            view=view,
            ephemeral=True,
        )
        view.origin = interaction

    async def _confirmed_delete(self, interaction: discord.Interaction[Any], countdown: Countdown) -> str:
        await ensure_moderator(interaction)
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        async with self.service.serial(guild.id):
            async with self.bot.db.transaction(immediate=True):
                current = await self.store.get(guild.id, countdown.id)
                if current is None:
                    return f"**{escape(countdown.title)}** was already deleted."
                cancelled = await self.service.cancel(
                    current, f"the countdown was deleted by {interaction.user}"
                )
            notes = await self.service.mirror(
                guild, removed=[current], again="/countdown delete", now=self.now()
            )
        if current.label is not None:
            notes.append(f"{current.label} stays in the episode schedule (spoilers and theories use it).")
            follow = await self.service.follows.get(guild.id)
            if follow is not None and current.release_at > self.now():
                notes.append(
                    f"This server follows **{escape(follow.name)}** on TVmaze, so its next sync gives "
                    f"{current.label} a countdown again; `/show unfollow` stops that."
                )
        log.info("guild %s: countdown %s deleted by %s", guild.id, current.id, interaction.user.id)
        return (
            f"\N{WASTEBASKET} Deleted **{escape(current.title)}**; {cancelled} pending "
            f"announcement{'s' if cancelled != 1 else ''} cancelled.{_bullets(notes)}"
        )

    @app_commands.command(
        name="status",
        description="Each announcement of a countdown: sent, skipped or failed, and why (moderators)",
    )
    @app_commands.describe(countdown="Which countdown (start typing to search)")
    @moderator_only()
    async def status(self, interaction: Interaction, countdown: app_commands.Range[str, 1, 100]) -> None:
        found = await self.resolve(interaction, countdown)
        jobs = await self.bot.jobs.list_for(found.guild_id, JOB_KIND, key_prefix(found.id))
        failures = await self.store.failures(found.guild_id, [found.id])
        await interaction.response.send_message(
            embed=render.status_embed(found, jobs, failures), ephemeral=True
        )

    # -- seasons and packs -----------------------------------------------------------------------
    @app_commands.command(
        name="season", description="Count down to every episode of a season at once (moderators)"
    )
    @app_commands.describe(
        season="The season number",
        first="When the first episode comes out, e.g. 2025-01-16 21:00 America/New_York",
        episodes="How many episodes the season has",
        cadence="How often episodes come out (default weekly, at the same local time)",
        channel="Where announcements go (default: the channel set with /config announcements)",
        role="A role to ping for every episode",
        make_role="Create (or reuse) a ping role named after the show",
        milestones="When to announce before each episode (default: 7d,1d,1h for the premiere, 1h after)",
    )
    @moderator_only()
    async def season(
        self,
        interaction: Interaction,
        *,
        season: app_commands.Range[int, 1, 99],
        first: app_commands.Transform[When, WhenTransformer(EX_WHEN_SEASON, allow_past=True)],
        episodes: app_commands.Range[int, 1, 50],
        cadence: Literal["weekly", "daily", "every two weeks"] = "weekly",
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        make_role: bool = False,
        milestones: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        example = f"/countdown season season:{season} first:jan 16 9pm episodes:{episodes}"
        offsets = parse_milestones(milestones, example=f"{example} milestones:1d,1h") if milestones else None
        target = await self.service.target_channel(guild, channel, example=example)
        await self.service.check_role_options(interaction, role, make_role)
        wall = first.wall or dt.datetime.fromtimestamp(first.at, dt.UTC).astimezone(first.zone).replace(
            tzinfo=None
        )
        times = episode_times(wall, first.zone, episodes, CADENCES[cadence])
        plans = [EpisodePlan(EpisodeCode(season, n + 1), None, at) for n, at in enumerate(times)]
        await interaction.response.defer(ephemeral=True, thinking=True)
        notes: list[str] = []
        settings = await self.bot.guild_store.get(guild.id)
        ping = await self.service.ping_role(
            guild,
            role,
            make_role,
            moderator=interaction.user,
            name_base=settings.show_name or f"Season {season}",
            channel=target,
            notes=notes,
        )
        summary = await self.add_episodes(
            interaction, plans, channel=channel, role=ping, offsets=offsets, zone=first.zone, network=None
        )
        await interaction.followup.send(summary.text(notes), embed=summary.embed, ephemeral=True)

    @app_commands.command(
        name="import", description="Load a show's episode schedule from a pack in data/shows (moderators)"
    )
    @app_commands.describe(
        pack="The pack's name, e.g. severance (start typing to see what is there)",
        season="Only this season of the pack (default: every season in it)",
        channel="Where announcements go (default: the channel set with /config announcements)",
        role="A role to ping for every episode",
        make_role="Create (or reuse) a ping role named after the show",
        milestones="When to announce before each episode (default: 7d,1d,1h for a premiere, 1h after)",
    )
    @moderator_only()
    async def import_(
        self,
        interaction: Interaction,
        *,
        pack: app_commands.Range[str, 1, 64],
        season: app_commands.Range[int, 1, 99] | None = None,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
        make_role: bool = False,
        milestones: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        loaded: Pack = load_pack(find_pack(pack, self.packs_dir))
        example = f"/countdown import pack:{loaded.slug}"
        seasons = loaded.seasons
        if season is not None:
            chosen = loaded.season(season)
            if chosen is None:
                have = ", ".join(str(s.number) for s in loaded.seasons)
                raise UserError(
                    f"The {loaded.slug} pack has no season {season}; it has season {have}.", example=example
                )
            seasons = (chosen,)
        offsets = parse_milestones(milestones, example=f"{example} milestones:1d,1h") if milestones else None
        target = await self.service.target_channel(guild, channel, example=example)
        await self.service.check_role_options(interaction, role, make_role)
        await interaction.response.defer(ephemeral=True, thinking=True)
        notes: list[str] = []
        settings = await self.bot.guild_store.get(guild.id)
        if settings.show_name is None:
            await self.bot.guild_store.update(guild.id, show_name=loaded.show)
            notes.append(
                f"This server now follows **{escape(loaded.show)}** (change it with `/config show-name`)."
            )
        ping = await self.service.ping_role(
            guild,
            role,
            make_role,
            moderator=interaction.user,
            name_base=loaded.show,
            channel=target,
            notes=notes,
        )
        texts: list[str] = []
        embeds: list[discord.Embed] = []
        for pack_season in seasons:
            plans = [
                EpisodePlan(EpisodeCode(pack_season.number, e.number), e.title, e.air_at)
                for e in pack_season.episodes
            ]
            summary = await self.add_episodes(
                interaction,
                plans,
                channel=channel,
                role=ping,
                offsets=offsets,
                zone=ZoneInfo(pack_season.zone),
                network=loaded.network,
            )
            texts.append(summary.headline)
            embeds.append(summary.embed)
            notes.extend(summary.all_notes())
        source = f"\nSource: {escape(loaded.source)}" if loaded.source else ""
        text = fit_text(
            f"\N{WHITE HEAVY CHECK MARK} Imported **{escape(loaded.show)}** from `{loaded.slug}`: "
            + "; ".join(texts)
            + f".{_bullets(notes)}{source}"
        )
        # A long show's seasons don't fit one message's 6,000 characters of embeds: one message per group.
        groups = pack_embeds(embeds)
        await interaction.followup.send(text, embeds=groups[0], ephemeral=True)
        for group in groups[1:]:
            await interaction.followup.send(embeds=group, ephemeral=True)

    async def add_episodes(
        self, interaction: Interaction, plans: list[EpisodePlan], **options: Any
    ) -> EpisodeSummary:
        """`_add_episodes` with the server's countdowns held still (see `CountdownService.serial`)."""
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        async with self.service.serial(guild.id):
            return await self._add_episodes(interaction, plans, **options)

    async def _add_episodes(
        self,
        interaction: Interaction,
        plans: list[EpisodePlan],
        *,
        channel: discord.TextChannel | None,
        role: discord.Role | None,
        offsets: tuple[int, ...] | None,
        zone: Zone,
        network: str | None,
    ) -> EpisodeSummary:
        """Fill the episode schedule and give each future episode a countdown (creating, re-timing or
        leaving alone the ones that exist), all in one transaction; then mirror them as events."""
        guild = interaction.guild
        assert guild is not None  # noqa: S101 - guild_only
        settings = await self.bot.guild_store.get(guild.id)
        titles = {
            p.code: await self.checked_title(guild.id, episode_title(settings.show_name, str(p.code)))
            for p in plans
        }
        now = self.now()
        outcome: dict[EpisodeCode, str] = {}
        created: list[Countdown] = []
        without_event: list[Countdown] = []  # left without one earlier (the server's events were full)
        moved: list[Countdown] = []
        async with self.bot.db.transaction(immediate=True):
            await self.bot.episodes.upsert(guild.id, [(p.code, p.title, p.air_at) for p in plans])
            for plan in plans:
                existing = await self.store.by_episode(guild.id, plan.code)
                if plan.air_at <= now:
                    outcome[plan.code] = "aired" if existing is None else "aired (countdown kept)"
                    continue
                if existing is None:
                    countdown, _ = await self.service.create(
                        NewCountdown(
                            guild_id=guild.id,
                            title=titles[plan.code],
                            release_at=plan.air_at,
                            created_by=interaction.user.id,
                            channel_id=channel.id if channel is not None else None,
                            role_id=role.id if role is not None else None,
                            milestones=release_milestones(plan.code.episode == 1, offsets),
                            code=plan.code,
                        ),
                        now,
                    )
                    created.append(countdown)
                    outcome[plan.code] = "created"
                    continue
                changes = _episode_changes(existing, plan, channel, role, offsets)
                if not changes:
                    outcome[plan.code] = "unchanged"
                    if existing.event_id is None:
                        without_event.append(existing)
                    continue
                updated, _ = await self.service.change(guild.id, existing.id, now, **changes)
                if updated is not None and "release_at" in changes:
                    moved.append(updated)
                outcome[plan.code] = "moved" if "release_at" in changes else "updated"
        notes = await self.service.mirror(
            guild,
            created=created + without_event,
            moved=moved,
            network=network,
            again=f"/countdown {interaction.command.name if interaction.command else 'season'}",
            now=now,
        )
        if created and role is None and not any(c.role_id for c in created):
            notes.append("No ping role: add one with `role:` or `make_role:True` so members can opt in.")
        return EpisodeSummary(plans, outcome, zone, notes, offsets)

    # ==========================================================================================
    # /config show
    # ==========================================================================================
    async def config_lines(self, guild: discord.Guild) -> list[tuple[str, str]]:
        now = int(self.now())
        upcoming = await self.store.count(guild.id, now, "upcoming")
        next_up = await self.store.next_up(guild.id, now)
        lines = [f"{upcoming} upcoming"]
        if next_up is not None:
            lines[0] += f"; next **{escape(next_up.title)}** <t:{next_up.release_at}:R>"
        for failure in (await self.store.failures(guild.id))[:3]:
            where = f"<#{failure.channel_id}>" if failure.channel_id else "no channel"
            lines.append(
                f"\N{WARNING SIGN} #{failure.countdown_id} **{escape(failure.title)}** can't post in {where}: "
                f"{escape(failure.reason)}"
            )
        return [("Countdowns", "\n".join(lines))]  # /config show fits it (bot.embeds)

    # ==========================================================================================
    # autocomplete
    # ==========================================================================================
    @show.autocomplete("countdown")
    @edit.autocomplete("countdown")
    @delete.autocomplete("countdown")
    @status.autocomplete("countdown")
    async def countdown_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        zone = await server_zone(interaction)
        now = self.now()
        found = await self.store.search(interaction.guild_id, current.strip().lstrip("#"), int(now))
        return [app_commands.Choice(name=render.choice_name(cd, zone, now), value=str(cd.id)) for cd in found]

    @import_.autocomplete("pack")
    async def pack_autocomplete(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.strip().lower()
        choices = []
        for slug, path in list_packs(self.packs_dir).items():
            if typed and typed not in slug:
                continue
            try:
                label = f"{slug} \N{MIDDLE DOT} {load_pack(path).summary}"
            except UserError:
                label = f"{slug} \N{MIDDLE DOT} \N{WARNING SIGN} has problems; import it to see them"
            choices.append(app_commands.Choice(name=label[:100], value=slug))
        return choices[:25]


def _by_hand(countdown: Countdown, changes: dict[str, Any]) -> dict[str, Any]:
    """An episode countdown whose time or title a moderator changed is theirs from now on: a sync of
    the followed show leaves it as they set it."""
    return {"by_hand": 1} if countdown.slots and {"title", "release_at"} & changes.keys() else {}


def _episode_changes(
    existing: Countdown,
    plan: EpisodePlan,
    channel: discord.TextChannel | None,
    role: discord.Role | None,
    offsets: tuple[int, ...] | None,
) -> dict[str, Any]:
    """What an existing episode countdown needs changed to match a season or pack."""
    changes: dict[str, Any] = {}
    if existing.release_at != plan.air_at:
        changes["release_at"] = plan.air_at
    if channel is not None and existing.channel_id != channel.id:
        changes["channel_id"] = channel.id
    if role is not None and existing.role_id != role.id:
        changes["role_id"] = role.id
    if offsets is not None and existing.milestones != offsets:
        changes["milestones"] = offsets
    return changes


class EpisodeSummary:
    """What /countdown season and /countdown import did, episode by episode."""

    ICONS: ClassVar[dict[str, str]] = {
        "created": "\N{SPARKLES}",
        "moved": "\N{CLOCKWISE RIGHTWARDS AND LEFTWARDS OPEN CIRCLE ARROWS}",
        "updated": "\N{PENCIL}",
        "unchanged": "\N{HEAVY MINUS SIGN}",
        "aired": "\N{TELEVISION}",
        "aired (countdown kept)": "\N{TELEVISION}",
    }

    def __init__(
        self,
        plans: list[EpisodePlan],
        outcome: dict[EpisodeCode, str],
        zone: Zone,
        notes: list[str],
        offsets: tuple[int, ...] | None,
    ) -> None:
        self.plans = plans
        self.outcome = outcome
        self.zone = zone
        self.notes = notes
        self.offsets = offsets

    def count(self, *states: str) -> int:
        return sum(1 for s in self.outcome.values() if s in states)

    @property
    def season(self) -> int:
        return self.plans[0].code.season

    @property
    def headline(self) -> str:
        parts = []
        for label, states in (
            ("created", ("created",)),
            ("moved", ("moved",)),
            ("updated", ("updated",)),
            ("unchanged", ("unchanged",)),
            ("already aired", ("aired", "aired (countdown kept)")),
        ):
            n = self.count(*states)
            if n:
                parts.append(f"{n} {label}")
        return f"season {self.season}: {len(self.plans)} episodes ({', '.join(parts)})"

    def wall_clock_note(self) -> str | None:
        """Say so when the episodes keep their local time across a daylight-saving change."""
        locals_ = [dt.datetime.fromtimestamp(p.air_at, dt.UTC).astimezone(self.zone) for p in self.plans]
        offsets = {d.utcoffset() for d in locals_}
        times = {d.strftime("%H:%M") for d in locals_}
        if len(offsets) > 1 and len(times) == 1:
            return (
                f"Every episode is at {times.pop()} {zone_label(self.zone)}, before and after the clocks change; "
                "members see it in their own time."
            )
        return None

    @property
    def embed(self) -> discord.Embed:
        lines = [
            f"{self.ICONS.get(self.outcome.get(p.code, ''), '')} `{p.code}` <t:{p.air_at}:F> \N{MIDDLE DOT} "
            f"{self.outcome.get(p.code, '')}"
            for p in self.plans
        ]
        embed = discord.Embed(
            title=f"Season {self.season}",
            description=fit_lines(lines, DESCRIPTION_MAX),
            colour=render.UPCOMING_COLOUR,
        )
        note = self.wall_clock_note()
        if note:
            embed.set_footer(text=note)
        return embed

    def all_notes(self) -> list[str]:
        """The per-season notes: events, what already aired, how episodes will be announced."""
        notes = list(self.notes)
        aired = self.count("aired", "aired (countdown kept)")
        if aired == len(self.plans):
            notes.append(
                "Every episode has already aired, so there is nothing to count down; they are in the episode "
                "schedule that spoilers and theories use."
            )
        elif aired:
            notes.append(f"{aired} already aired: they are in the episode schedule, without countdowns.")
        if self.count("created"):
            if self.offsets is None:
                notes.append(
                    f"Announced at {describe_milestones(DEFAULT_MILESTONES)} for a premiere and "
                    f"{describe_milestones(EPISODE_MILESTONES)} for later episodes (change with `milestones:`)."
                )
            else:
                notes.append(f"Announced at {describe_milestones(self.offsets)} for each episode.")
        return notes

    def text(self, extra: list[str]) -> str:
        body = f"{self.headline[:1].upper()}{self.headline[1:]}.{_bullets([*extra, *self.all_notes()])}"
        return fit_text(f"\N{WHITE HEAVY CHECK MARK} {body}")
