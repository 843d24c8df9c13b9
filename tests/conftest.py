"""Fixtures: a loopback Discord with a fan server in it, and the real bot connected to it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiohttp
import discord
import pytest

from bot import create_bot
from bot.config import Settings
from bot.core import Cliffhanger
from bot.db import Database
from tests.clocks import ShiftedClock
from tests.loopback import BOT_TOKEN, Actor, Channel, ChannelType, Guild, LoopbackDiscord, Role, running

log = logging.getLogger(__name__)

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


@dataclass
class Harness:
    """The loopback, its world, and a running bot on a temporary database."""

    lb: LoopbackDiscord
    world: World
    settings: Settings
    clock: ShiftedClock
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
    async def start(self, **options: Any) -> Cliffhanger:
        bot = create_bot(self.settings, clock=self.clock, guild_ready_timeout=0.05, **options)
        await bot.login(self.settings.discord_token)
        self._task = asyncio.create_task(bot.connect(reconnect=True), name="test-bot-connect")
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
        """Wait until the bot has processed every gateway event sent so far."""
        await self.lb.flush()

    @property
    def db(self) -> Database:
        return self.bot.db


@pytest.fixture
async def loopback() -> AsyncIterator[LoopbackDiscord]:
    async with running(LoopbackDiscord()) as lb:
        yield lb
    if lb.violations:
        pytest.fail("requests Discord would refuse:\n" + "\n".join(lb.violations[:20]), pytrace=False)


@pytest.fixture
async def http(loopback: LoopbackDiscord) -> AsyncIterator[Any]:
    """Raw REST calls to the loopback as the bot: `status, json = await http(method, path, body)`."""
    async with aiohttp.ClientSession(headers={"Authorization": f"Bot {BOT_TOKEN}"}) as session:

        async def call(method: str, path: str, body: Any = None) -> tuple[int, Any]:
            async with session.request(method, loopback.base_url + path, json=body) as response:
                assert response.status == 204 or response.headers.get("Content-Type") == "application/json"
                return response.status, (await response.json() if response.status != 204 else None)

        yield call


@pytest.fixture
def world(loopback: LoopbackDiscord) -> World:
    return build_world(loopback)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(discord_token=BOT_TOKEN, database_path=tmp_path / "cliffhanger.db", log_level="DEBUG")


@pytest.fixture
async def harness(loopback: LoopbackDiscord, world: World, settings: Settings) -> AsyncIterator[Harness]:
    h = Harness(loopback, world, settings, ShiftedClock())
    loopback.clock = h.clock.now  # Discord's "now" travels with the bot's
    await h.start()
    try:
        yield h
    finally:
        await h.stop()
