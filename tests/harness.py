"""The world every end-to-end test starts from, and the real bot connected to the loopback Discord."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

import discord

from bot import create_bot
from bot.config import Settings
from bot.core import Cliffhanger
from bot.db import Database
from tests.clocks import ShiftedClock, SteppingClock
from tests.loopback import Actor, Channel, ChannelType, Guild, LoopbackDiscord, Role
from tests.loopback.tvmaze import LoopbackTVmaze

T = TypeVar("T")


@dataclass
class World:
    """The fan server every end-to-end test starts from."""

    lb: LoopbackDiscord
    guild: Guild
    mod_role: Role
    general: Channel
    announcements: Channel
    spoilers: Channel
    theories: Channel
    members: dict[str, Any] = field(default_factory=dict)


def build_world(lb: LoopbackDiscord, *, guild_id: int | None = None) -> World:
    guild = lb.create_guild("Lumon Fans", id=guild_id)
    mod_role = lb.add_role(guild, "Moderators", discord.Permissions(manage_messages=True), position=5)
    general = lb.add_channel(guild, "general")
    announcements = lb.add_channel(guild, "announcements", type=ChannelType.NEWS)
    spoilers = lb.add_channel(guild, "spoilers")
    theories = lb.add_channel(guild, "theories", type=ChannelType.FORUM)
    world = World(lb, guild, mod_role, general, announcements, spoilers, theories)
    world.members["owner"] = guild.members[guild.owner_id]
    world.members["mod"] = lb.add_member(guild, "milchick", roles=[mod_role])
    world.members["alice"] = lb.add_member(guild, "helly")
    world.members["bob"] = lb.add_member(guild, "dylan")
    return world


LISTENER_WAIT = 10.0  # seconds settle() waits for the bot's event listeners at most, per round


@dataclass
class Harness:
    """The loopback, its world, and a running bot on a temporary database."""

    lb: LoopbackDiscord
    world: World
    settings: Settings
    clock: ShiftedClock
    tv: LoopbackTVmaze | None = None  # the loopback TVmaze the bot's TVMAZE_URL points at
    # The identify window is the bot's own wait between IDENTIFYs: taken at once, and recorded.
    identify_clock: SteppingClock = field(default_factory=SteppingClock)
    _bot: Cliffhanger | None = None
    _task: asyncio.Task[None] | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    @property
    def bot(self) -> Cliffhanger:
        assert self._bot is not None, "the bot is not running"
        return self._bot

    # -- actors -----------------------------------------------------------------------------
    def actor(self, name: str, channel: Channel | None = None) -> Actor:
        return Actor(self.lb, self.world.guild, self.world.members[name], channel or self.world.general)

    @property
    def owner(self) -> Actor:
        """The server owner: Manage Server through ownership."""
        return self.actor("owner")

    @property
    def mod(self) -> Actor:
        """In the Moderators role, which has no Manage Server: a moderator only once configured."""
        return self.actor("mod")

    @property
    def alice(self) -> Actor:
        return self.actor("alice")

    @property
    def bob(self) -> Actor:
        return self.actor("bob")

    @property
    def guild(self) -> Guild:
        return self.world.guild

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self, *, wait_ready: bool = True, **options: Any) -> Cliffhanger:
        """Start the bot; with `wait_ready`, return once every shard is READY, else once it connects."""
        bot = create_bot(self.settings, clock=self.clock, guild_ready_timeout=0.05, **options)
        bot.identify_clock = self.identify_clock.now
        bot.identify_sleep = self.identify_clock.sleep
        await bot.login(self.settings.discord_token)
        self._task = asyncio.create_task(bot.connect(reconnect=True), name="test-bot-connect")
        if not wait_ready:
            self._bot = bot
            return bot
        ready = asyncio.ensure_future(bot.wait_until_ready())
        await asyncio.wait({ready, self._task}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        if self._task.done():
            ready.cancel()
            self._task.result()  # raises what ended the connection
        if not ready.done():
            ready.cancel()
            raise AssertionError("the bot did not become ready within 10 s")
        assert not bot.failed_extensions, f"cogs failed to load: {bot.failed_extensions}"
        self._bot = bot
        return bot

    async def stop(self) -> None:
        if self._bot is not None:
            await self._bot.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, discord.ConnectionClosed):
                await asyncio.wait_for(self._task, 5)
        self._bot = None
        self._task = None

    async def restart(self, **options: Any) -> Cliffhanger:
        """Close the bot cleanly and start a new process-equivalent on the same database."""
        await self.stop()
        return await self.start(**options)

    async def in_thread(self, func: Callable[[], None]) -> None:
        """Run a synchronous driver (a hypothesis test) in a worker thread; it reaches the bot with `run`."""
        self._loop = asyncio.get_running_loop()
        await asyncio.to_thread(func)

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """From the `in_thread` worker: run a coroutine on the test's event loop and wait for it."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout=60)

    async def settle(self) -> None:
        """Wait until the bot has processed every gateway event sent so far, its listeners included:
        what they write is committed when this returns (a read does not queue behind a write)."""
        await self.lb.flush()
        for _ in range(5):  # a listener may cause more events
            listeners = [
                task
                for task in asyncio.all_tasks()
                if task.get_name().startswith("discord.py: on_") and not task.done()
            ]
            if not listeners:
                return
            await asyncio.wait(listeners, timeout=LISTENER_WAIT)
            await self.lb.flush()

    @property
    def db(self) -> Database:
        return self.bot.db
