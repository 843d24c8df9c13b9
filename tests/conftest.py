"""Fixtures: a loopback Discord with a fan server in it, the real bot connected to it, and a
migrated database for store tests."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.config import Settings
from bot.db import Database
from tests.clocks import ShiftedClock
from tests.harness import Harness, World, build_world
from tests.loopback import BOT_TOKEN, LoopbackDiscord, running
from tests.loopback.tvmaze import LoopbackTVmaze
from tests.loopback.tvmaze import running as serving
from tests.support import migrated


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
def discord_clock(loopback: LoopbackDiscord) -> ShiftedClock:
    """Discord's clock for loopback tests without a bot: wall time plus an offset a test moves."""
    clock = ShiftedClock()
    loopback.clock = clock.now
    return clock


@pytest.fixture
def world(loopback: LoopbackDiscord) -> World:
    return build_world(loopback)


@pytest.fixture
async def tv() -> AsyncIterator[LoopbackTVmaze]:
    """A loopback TVmaze: every bot in the tests gets its schedules here, never from the internet."""
    async with serving(LoopbackTVmaze()) as loopback_tv:
        yield loopback_tv


@pytest.fixture
def settings(tmp_path: Path, tv: LoopbackTVmaze) -> Settings:
    return Settings(
        discord_token=BOT_TOKEN,
        database_path=tmp_path / "cliffhanger.db",
        log_level="DEBUG",
        tvmaze_url=tv.url,
    )


@pytest.fixture
async def harness(
    loopback: LoopbackDiscord, world: World, settings: Settings, tv: LoopbackTVmaze
) -> AsyncIterator[Harness]:
    h = Harness(loopback, world, settings, ShiftedClock(), tv=tv)
    loopback.clock = h.clock.now  # Discord's "now" travels with the bot's
    tv.clock = h.clock.now  # and so do TVmaze's update stamps
    await h.start()
    try:
        yield h
    finally:
        await h.stop()


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database in a temporary file, for store and scheduler tests."""
    async with migrated(tmp_path / "cliffhanger.db") as database:
        yield database
