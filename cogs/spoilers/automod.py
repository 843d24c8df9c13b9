"""/spoilers automod: the server's fresh spoiler words kept in one Discord AutoMod rule, which blocks a
leak before anyone sees it (and needs no Message Content intent).

A sync reads the server's rules (one GET), finds Cliffhanger's (by the id it was made with, else by
name and creator), plans the wanted rule from the fresh words and the exempt channels, and sends the
one request that brings Discord's copy in line, or none when it already is (bot/automod.py). Syncs run
when a moderator changes words, channels, the window or the setting, and as scheduler jobs: one at
each window's end ('automod:end:<time>'), and one at once after the schedule changes
('automod:change:...'). Jobs survive restarts, and a sync that finds nothing to change sends nothing,
so a repeated one changes nothing.

A word joins the rule as soon as it is fresh: an episode not aired yet, or without an air time, is
fresh already (as titles treat it), so there is nothing to do at release; a word leaves at its
window's end.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import discord

from bot.automod import (
    KEYWORD_RULE_LIMIT,
    TRIGGER_KEYWORD,
    Create,
    Delete,
    RuleChange,
    RulePlan,
    Update,
    find_rule,
    is_rule_limit_error,
    next_change,
    plan_rule,
    rule_status,
)
from bot.checks import AUTOMOD_PERMISSIONS, missing_permissions
from bot.db.jobs import Job, NewJob
from bot.errors import UserError
from bot.scheduler import JobFailed, JobSkipped, describe_http_error, guild_for

if TYPE_CHECKING:
    from bot.core import Cliffhanger

__all__ = ["AUTOMOD_JOB", "AutoModKeeper", "RuleFull", "Synced", "window_ends"]

log = logging.getLogger(__name__)

AUTOMOD_JOB = "automod"
REASON = "Cliffhanger: fresh spoiler words changed"
GRANT = (
    "Give my role **Manage Server** in Server Settings > Roles (Discord lets only that permission keep "
    "AutoMod rules), then try again."
)
RULE_FULL = (
    f"This server already has {KEYWORD_RULE_LIMIT} keyword rules in AutoMod, the most Discord allows, so I "
    "can't add mine. Remove or merge one in Server Settings > AutoMod, then try again. Nothing was changed."
)


class RuleFull(UserError):
    """The server holds Discord's 6 keyword rules, none of them Cliffhanger's."""

    def __init__(self) -> None:
        super().__init__(RULE_FULL, example="/spoilers automod on")


@dataclass(frozen=True, slots=True)
class Synced:
    """What a sync found and did."""

    plan: RulePlan
    rule: Mapping[str, Any] | None  # Discord's copy of Cliffhanger's rule afterwards
    change: RuleChange | None  # the one request sent, if any
    on: bool

    @property
    def status(self) -> str:
        """One line for /config show and the job's record."""
        return rule_status(self.rule, self.plan, on=self.on)


def window_ends(air_times: Sequence[int | None], window: int, now: int) -> list[int]:
    """When fresh words leave the rule: each aired-or-scheduled episode's window end still to come."""
    return sorted({t + window for t in air_times if t is not None and t + window > now})


class AutoModKeeper:
    """Keeps one server's rule in line; the spoilers cog owns it and registers its job handler."""

    def __init__(self, bot: Cliffhanger) -> None:
        self.bot = bot

    def now(self) -> int:
        return int(self.bot.scheduler.clock.now())

    @staticmethod
    def can(guild: discord.Guild) -> bool:
        """Whether the bot holds Manage Server, without which Discord refuses every AutoMod request."""
        return not missing_permissions(guild.me.guild_permissions, AUTOMOD_PERMISSIONS)

    async def plan(self, guild_id: int) -> RulePlan:
        """The wanted rule: the fresh words, with the spoiler channels and the discussion channel exempt
        (spoilers are welcome in both)."""
        settings = await self.bot.guild_store.get(guild_id)
        words = await self.bot.spoiler_words.fresh_words(
            guild_id, self.now(), settings.spoiler_window_seconds
        )
        exempt = await self.bot.spoiler_channels.ordered(guild_id)
        if settings.discussion_channel_id is not None:
            exempt.append(settings.discussion_channel_id)
        return plan_rule(words, exempt)

    async def rules(self, guild: discord.Guild) -> list[dict[str, Any]]:
        """The server's AutoMod rules as Discord's JSON (one GET)."""
        return list(await self.bot.http.get_auto_moderation_rules(guild.id))  # type: ignore[arg-type]

    def ours(self, rules: Sequence[Mapping[str, Any]], rule_id: int | None) -> Mapping[str, Any] | None:
        assert self.bot.user is not None  # noqa: S101 - logged in
        return find_rule(rules, bot_id=self.bot.user.id, rule_id=rule_id)

    @staticmethod
    def full(rules: Sequence[Mapping[str, Any]]) -> bool:
        """Whether a new keyword rule would be refused (Discord's limit of 6 per server)."""
        return sum(int(r.get("trigger_type") or 0) == TRIGGER_KEYWORD for r in rules) >= KEYWORD_RULE_LIMIT

    async def sync(
        self,
        guild: discord.Guild,
        *,
        on: bool | None = None,
        rules: Sequence[Mapping[str, Any]] | None = None,
    ) -> Synced:
        """Bring Discord's copy in line with one request or none. `on` overrides the stored setting
        (turning it on or off); `rules`, when the caller just read them. Raises RuleFull when the rule
        must be made and the server has no room, and discord.HTTPException for anything else."""
        settings = await self.bot.guild_store.get(guild.id)
        on = settings.automod_spoilers if on is None else on
        if rules is None:
            rules = await self.rules(guild)
        current = self.ours(rules, settings.automod_rule_id)
        plan = await self.plan(guild.id)
        change = next_change(current, plan, on=on)
        held: Mapping[str, Any] | None = current
        try:
            if isinstance(change, Create):
                held = await self.bot.http.create_auto_moderation_rule(guild.id, reason=REASON, **change.body)
            elif isinstance(change, Update):
                held = await self.bot.http.edit_auto_moderation_rule(
                    guild.id, change.rule_id, reason=REASON, **change.body
                )
            elif isinstance(change, Delete):
                await self.bot.http.delete_auto_moderation_rule(guild.id, change.rule_id, reason=REASON)
                held = None
        except discord.HTTPException as exc:
            if isinstance(change, Create) and is_rule_limit_error(exc.code, exc.text):
                raise RuleFull from exc
            raise
        rule_id = int(held["id"]) if held is not None else None
        if rule_id != settings.automod_rule_id:
            await self.bot.guild_store.update(guild.id, automod_rule_id=rule_id)
        if change is not None:
            log.info("AutoMod rule of guild %s: %s", guild.id, type(change).__name__.lower())
        return Synced(plan, held, change, on)

    # -- the schedule -------------------------------------------------------------------------
    async def schedule(self, guild_id: int, *, at_once: bool = False) -> None:
        """A sync job at each window end still to come (and, with `at_once`, one now); pending ones
        for times that are no longer a window end are cancelled. Rows only: safe inside a write."""
        settings = await self.bot.guild_store.get(guild_id)
        pending = {
            job.key
            for job in await self.bot.jobs.list_for(guild_id, AUTOMOD_JOB, f"{AUTOMOD_JOB}:end:")
            if job.state == "pending"
        }
        now = self.now()
        if not settings.automod_spoilers:
            await self.bot.scheduler.cancel_keys(
                guild_id, AUTOMOD_JOB, sorted(pending), "AutoMod was turned off"
            )
            return
        worded = {w.episode for w in await self.bot.spoiler_words.words(guild_id)}
        air = [e.air_at for e in await self.bot.episodes.schedule(guild_id) if e.code in worded]
        ends = window_ends(air, settings.spoiler_window_seconds, now)
        wanted = [NewJob(guild_id, AUTOMOD_JOB, f"{AUTOMOD_JOB}:end:{t}", due_at=t) for t in ends]
        if at_once:
            wanted.append(
                NewJob(guild_id, AUTOMOD_JOB, f"{AUTOMOD_JOB}:change:{now}:{secrets.token_hex(4)}", now)
            )
        stale = pending - {job.key for job in wanted}
        if stale:
            await self.bot.scheduler.cancel_keys(
                guild_id, AUTOMOD_JOB, sorted(stale), "no spoiler window ends then any more"
            )
        await self.bot.scheduler.schedule(wanted)

    async def follow_schedule(self, guild_id: int) -> None:
        """The episode schedule changed (inside its write): window ends move, and freshness may have
        changed at once, so a sync follows as soon as the write is done."""
        settings = await self.bot.guild_store.get(guild_id)
        if settings.automod_spoilers:
            await self.schedule(guild_id, at_once=True)

    async def run_job(self, job: Job) -> str | None:
        """The scheduler's handler: one sync."""
        guild = guild_for(self.bot, job)
        settings = await self.bot.guild_store.get(guild.id)
        if not settings.automod_spoilers:
            raise JobSkipped("AutoMod was turned off")
        if not self.can(guild):
            raise JobFailed("I'm missing Manage Server, which AutoMod rules need")
        try:
            synced = await self.sync(guild)
        except RuleFull as exc:
            raise JobFailed("the rule was gone and the server holds 6 keyword rules already") from exc
        except (discord.Forbidden, discord.NotFound) as exc:
            raise JobFailed(describe_http_error(exc)) from exc
        return synced.status
