"""The Cliffhanger bot: start-up order, command sync, shutdown, and the tree's error handler."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import json
import logging
import pkgutil
import time
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

import cogs

from .config import Settings
from .config_registry import ConfigRegistry
from .db import Database, open_database
from .db.episodes import EpisodeStore
from .db.guilds import GuildStore
from .db.jobs import JobStore
from .db.progress import ProgressStore
from .db.role_refusals import RoleRefusalStore
from .db.spoiler_channels import SpoilerChannelStore
from .db.spoiler_words import SpoilerWordStore
from .discussions import Discussions
from .errors import report_error
from .lock import InstanceLock, ShardLock
from .ratelimit import DEFAULT_RATE, GlobalRateLimiter
from .scheduler import MAX_SLEEP, Clock, Scheduler
from .shedding import LateWork, answerable
from .spoilers import RevealButton, RevealRegistry
from .tvmaze import TVmaze
from .ui import answer_expired

__all__ = ["IDENTIFY_WINDOW", "CliffTree", "Cliffhanger"]

log = logging.getLogger(__name__)

# Discord lets each identify bucket (shard_id % max_concurrency) start one session per 5 seconds.
IDENTIFY_WINDOW = 5.0
# With PostgreSQL another process may add jobs for our guilds. NOTIFY wakes the scheduler at once;
# should a notification be lost with a connection, it looks again after at most this long anyway.
SHARED_DATABASE_MAX_SLEEP = 60.0


class CliffTree(app_commands.CommandTree["Cliffhanger"]):
    """The command tree, with the one error handler every slash command shares."""

    async def on_error(
        self, interaction: discord.Interaction[Cliffhanger], error: app_commands.AppCommandError
    ) -> None:
        await report_error(interaction, error)

    async def interaction_check(self, interaction: discord.Interaction[Cliffhanger]) -> bool:
        # Reached late (the bot is overloaded): defer now, so the reply can follow in time.
        return await answerable(interaction, interaction.client.scheduler.clock.now())


class Cliffhanger(commands.AutoShardedBot):
    """A bot for one show per server. Construct with `bot.create_bot`; nothing connects until started.

    Sharded automatically: Discord closes a session that would hold more than 2,500 guilds, so the
    shard count comes from GET /gateway/bot (about one shard per 1,000 guilds) and every shard
    connects from this one process. The scheduler claims a guild's jobs once that guild's shard is
    READY, without waiting for the others (at 10,000 guilds the last shard identifies 45 s after the
    first).
    With SHARD_COUNT and SHARD_IDS (PostgreSQL), the process connects only its own shards, claims
    only their guilds' jobs and spends only their share of the global rate limit.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        guild_ready_timeout: float = 2.0,
        extensions: list[str] | None = None,
        **options: Any,
    ) -> None:
        # The bot never joins voice. Without this, discord.py warns on every start that the voice
        # libraries (PyNaCl, davey) are missing, which reads like an error to a host.
        discord.VoiceClient.warn_nacl = False
        discord.VoiceClient.warn_dave = False
        intents = discord.Intents.none()
        intents.guilds = True
        if settings.message_content_intent:
            intents.guild_messages = True
            intents.message_content = True
        shards = settings.shards
        if shards is not None:
            options.setdefault("shard_count", shards.count)
            options.setdefault("shard_ids", list(shards.ids))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=CliffTree,
            guild_ready_timeout=guild_ready_timeout,
            chunk_guilds_at_startup=False,
            **options,
        )
        self.settings = settings
        self.shard_slice = shards  # None: every shard Discord recommends
        self.db: Database = open_database(settings.database_location, pool_size=settings.database_pool_size)
        self.instance_lock: InstanceLock | ShardLock
        if self.db.dialect == "sqlite":
            self.instance_lock = InstanceLock(settings.database_path)
        else:
            from .db.postgres import PostgresDatabase

            assert isinstance(self.db, PostgresDatabase)  # noqa: S101 - open_database chose it by the URL
            self.instance_lock = ShardLock(self.db, shards)
        self.guild_store = GuildStore(self.db)
        self.jobs = JobStore(self.db, shards)
        self.ready_shards: set[int] = set()  # shards whose guild cache is loaded; their jobs may run
        self.jobs.claim_for_shards(self.ready_shards)
        # Stores more than one feature reads; a feature's own store belongs to its cog.
        self.episodes = EpisodeStore(self.db, self.guild_store)
        self.spoiler_words = SpoilerWordStore(self.db, self.guild_store)
        self.spoiler_channels = SpoilerChannelStore(self.db, self.guild_store)
        self.progress = ProgressStore(self.db, self.guild_store)
        self.role_refusals = RoleRefusalStore(self.db, self.guild_store)
        # "Show anyway" buttons: each feature registers how to find the item of its kind.
        self.reveals = RevealRegistry()
        # /config subcommands and /config show lines that features add, whatever order cogs load in.
        self.config_registry = ConfigRegistry()
        self.scheduler = Scheduler(
            self.jobs,
            clock=clock,
            gate=self._scheduler_gate,
            max_sleep=MAX_SLEEP if self.db.dialect == "sqlite" else SHARED_DATABASE_MAX_SLEEP,
        )
        # Work a feature must finish before the scheduler posts anything after a start (a sync of
        # followed shows that may move what fell due meanwhile). Each bounds its own wait.
        self.startup_holds: list[Callable[[], Awaitable[object]]] = []
        # The one way to TVmaze: its call budget and cache are the whole process's. Its clock is the
        # scheduler's, so a cached list's age and TVmaze's update stamps are read on one clock.
        self.tvmaze = TVmaze(settings.tvmaze_url, clock=self.scheduler.clock.now)
        # A discussion thread per release: /spoilers discussions sets it up, announcements link to it.
        self.discussions = Discussions(self)
        # Every REST request except interaction responses passes through this limiter, so a fan-out
        # plus whatever else the bot does at that moment stays under Discord's global 50/s. A process
        # that runs a slice of the shards gets the slice's share, so all processes together stay under.
        self.rate_limiter = GlobalRateLimiter(
            DEFAULT_RATE if shards is None else max(1, int(shards.share(DEFAULT_RATE)))
        )
        self._pace_requests()
        # Past the knee: the handlers of interactions deferred because they came late take turns.
        self.late_work = LateWork()
        self.extensions_to_load = extensions
        self.failed_extensions: dict[str, BaseException] = {}
        self.started_at = time.monotonic()
        self.synced: bool | None = None  # whether the last start-up pushed commands to Discord
        self.setup_finished_at: float | None = None  # monotonic time setup_hook finished
        # Identify pacing (see before_identify_hook); the clock and sleep are swapped out in tests.
        self.max_concurrency: int | None = None  # from GET /gateway/bot, fetched when first needed
        self.identify_clock: Callable[[], float] = time.monotonic
        self.identify_sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._identified_at: dict[int, float] = {}  # bucket -> when it last identified

    def _pace_requests(self) -> None:
        """Route discord.py's HTTP requests through `rate_limiter`.

        discord.py honours per-route buckets and 429s but never paces itself to the global limit.
        Interaction callbacks and followups use the webhook adapter, not this client, and Discord
        does not count them, so they are never held back.
        """
        send = self.http.request

        async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
            async with self.rate_limiter:
                return await send(route, **kwargs)

        self.http.request = paced  # type: ignore[method-assign]

    # -- start-up ------------------------------------------------------------------------------
    async def setup_hook(self) -> None:
        """Take the instance lock, open and migrate the database, load the cogs, start the scheduler,
        sync if needed."""
        if isinstance(self.instance_lock, InstanceLock):
            self.instance_lock.acquire()
            await self.db.open()
        else:
            await self.db.open()
            await self.instance_lock.acquire(lost=self._lost_shards)
        applied = await self.db.migrate()
        if applied:
            log.info("database %s migrated to version %d", self.db.location, applied[-1])
        if self.shard_slice is not None:
            log.info(
                "running %s; this process's share of Discord's global rate limit: %d requests/s",
                self.shard_slice.describe(),
                self.rate_limiter.rate,
            )
        self.add_dynamic_items(RevealButton)
        await self.load_cogs()
        await self.scheduler.start()
        await self.sync_commands()
        self.setup_finished_at = time.monotonic()
        log.info("set up in %.2f s", self.setup_finished_at - self.started_at)

    @staticmethod
    def discover_extensions() -> list[str]:
        """Every module or package directly under cogs/."""
        return sorted(
            f"{cogs.__name__}.{m.name}"
            for m in pkgutil.iter_modules(cogs.__path__)
            if not m.name.startswith("_")
        )

    async def load_cogs(self) -> None:
        for name in (
            self.extensions_to_load if self.extensions_to_load is not None else self.discover_extensions()
        ):
            try:
                await self.load_extension(name)
            except Exception as exc:
                self.failed_extensions[name] = exc
                log.exception("could not load %s; its commands are missing until it is fixed", name)
            else:
                log.debug("loaded %s", name)

    def command_payload(self, guild: discord.abc.Snowflake | None) -> list[dict[str, Any]]:
        """What a sync would send for this scope, in a stable order."""
        commands_ = sorted(self.tree.get_commands(guild=guild), key=lambda c: (c.name, type(c).__name__))
        return [c.to_dict(self.tree) for c in commands_]

    async def sync_commands(self) -> bool:
        """Push the command set to Discord only when it changed since the last sync (Discord caps
        command creates per day). Syncs to DEV_GUILD_ID when set, else globally."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        digest = hashlib.sha256(json.dumps(self.command_payload(guild), sort_keys=True).encode()).hexdigest()
        app_id = self.application_id or 0
        key = f"command_hash:{app_id}:{guild.id if guild else 'global'}"
        stored = await self.db.fetchval("SELECT value FROM bot_meta WHERE key = ?", (key,))
        if stored == digest:
            log.info("slash commands unchanged since the last sync; not syncing")
            self.synced = False
            return False
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.Forbidden:
            log.error(
                "Discord refused the command sync: invite the bot with the applications.commands scope "
                "(see README), or unset DEV_GUILD_ID if the bot is not in that server"
            )
            self.synced = False
            return False
        except discord.HTTPException as exc:
            log.error("command sync failed (%s); the previous command set stays live", exc)
            self.synced = False
            return False
        await self.db.execute(
            "INSERT INTO bot_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, digest),
        )
        log.info("synced %d slash commands %s", len(synced), f"to guild {guild.id}" if guild else "globally")
        self.synced = True
        return True

    async def _scheduler_gate(self) -> None:
        """Before the scheduler's first claim: the start-up holds features registered. (A guild's
        jobs also wait for its own shard's guild cache: see on_shard_ready.)"""
        for hold in list(self.startup_holds):
            await hold()

    # -- gateway -------------------------------------------------------------------------------
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """Space IDENTIFYs the way Discord rate limits them: one per bucket per 5 s.

        discord.py's default sleeps 5 s before every IDENTIFY but the first, whatever
        `max_concurrency` Discord grants, and also before re-identifying a shard whose bucket has
        been quiet for hours. Large bots get max_concurrency 16 or more, so that default would start
        100 shards in over 8 minutes instead of 30 s.
        """
        if not initial and self.max_concurrency is None:
            try:
                self.max_concurrency = max(1, (await self.fetch_session_start_limits()).max_concurrency)
            except discord.GatewayNotFound:
                log.warning("could not read max_concurrency from Discord; identifying one shard at a time")
        bucket = (shard_id or 0) % (self.max_concurrency or 1)
        if self.db.dialect == "postgresql":
            # Other processes of this bot may share the bucket: take turns through the database.
            from .db.identify import IdentifyTurns

            waited = await IdentifyTurns(self.db).take(bucket, IDENTIFY_WINDOW, self.identify_sleep)
            if waited:
                log.debug("shard %s waited %.1f s for its identify bucket %d", shard_id, waited, bucket)
            return
        last = self._identified_at.get(bucket)
        if last is not None:
            wait = last + IDENTIFY_WINDOW - self.identify_clock()
            if wait > 0:
                log.debug("shard %s waits %.1f s for its identify bucket %d", shard_id, wait, bucket)
                await self.identify_sleep(wait)
        self._identified_at[bucket] = self.identify_clock()

    # -- shutdown ------------------------------------------------------------------------------
    async def _lost_shards(self, reason: str) -> None:
        """PostgreSQL came back after an outage and another process had taken our shards meanwhile."""
        log.critical("stopping: after reconnecting to PostgreSQL, %s", reason)
        await self.close()

    async def close(self) -> None:
        """Stop the scheduler, disconnect, then close TVmaze's session and the database."""
        await self.scheduler.stop()
        await super().close()
        if isinstance(self.instance_lock, ShardLock):
            await self.instance_lock.release()
        await self.tvmaze.close()
        await self.db.close()
        if isinstance(self.instance_lock, InstanceLock):
            self.instance_lock.release()

    # -- events --------------------------------------------------------------------------------
    async def on_ready(self) -> None:
        # Fires again after every re-IDENTIFY; it only reports, never starts work.
        assert self.user is not None  # noqa: S101 - set once logged in
        log.info(
            "ready as %s (%s) in %d server(s) on %d shard(s)",
            self.user,
            self.user.id,
            len(self.guilds),
            self.shard_count or 1,
        )
        # The guild cache is built now and lives as long as the process. Left to the collector, every
        # full collection walks all of it: at 10,000 servers a 145 ms pause in the middle of answering
        # commands (seen with gc.callbacks under bench/commands.py; p99 81 ms with it, 26 ms frozen).
        # Freezing moves what exists now out of the collector's sight; later objects are collected.
        # on_ready fires again after a full re-IDENTIFY, which rebuilds the cache: unfreeze first so
        # the cache it replaced can be collected instead of staying frozen for good.
        gc.unfreeze()
        gc.collect()
        gc.freeze()

    async def on_shard_connect(self, shard_id: int) -> None:
        # READY arrived (a first IDENTIFY or a re-IDENTIFY): discord.py rebuilds this shard's guild
        # cache from its GUILD_CREATEs, so its jobs wait until on_shard_ready. A RESUME keeps the
        # cache and never comes here.
        self.ready_shards.discard(shard_id)
        self.jobs.claim_for_shards(self.ready_shards, self.shard_count)

    async def on_interaction(self, interaction: discord.Interaction[Cliffhanger]) -> None:
        # A press on a form, list or confirmation that no live view took: say it expired, not nothing.
        try:
            await answer_expired(interaction)
        except discord.HTTPException:
            log.debug("could not answer an expired interaction %s", interaction.id, exc_info=True)

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %d ready", shard_id, self.shard_count or 1)
        self.ready_shards.add(shard_id)
        self.jobs.claim_for_shards(self.ready_shards, self.shard_count)
        self.scheduler.wake()
