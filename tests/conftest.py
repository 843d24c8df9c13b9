"""Fixtures: a loopback Discord with a fan server in it, the real bot connected to it, and a
migrated database for store tests.

Every test that asks for a database (`db`, `settings`, `harness`, `database_location`) runs twice:
on SQLite and on a throwaway PostgreSQL (one cluster per test worker, a fresh database per test).
A test only one backend can run carries `@pytest.mark.only_sqlite(reason=...)` (or
`only_postgresql`), and its other run is skipped with that reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
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
from tests.postgres import Cluster, missing_reason
from tests.support import migrated

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster]:
    """This worker's throwaway PostgreSQL, started on first use and stopped at the end."""
    reason = missing_reason()
    if reason is not None:
        pytest.skip(reason)
    cluster = Cluster()
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database this run of the test uses."""
    name: str = request.param
    for other in BACKENDS:
        marker = request.node.get_closest_marker(f"only_{other}")
        if marker is not None and other != name:
            pytest.skip(f"{other} only: {marker.kwargs.get('reason') or marker.args[0]}")
    if name == "postgresql":
        reason = missing_reason()
        if reason is not None:
            pytest.skip(reason)
    return name


@pytest.fixture
async def database_location(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """Where this test's database is: an SQLite file, or a new database on the throwaway cluster."""
    if backend == "sqlite":
        yield str(tmp_path / "cliffhanger.db")
        return
    cluster: Cluster = request.getfixturevalue("postgres_cluster")
    url = await cluster.create_database()
    try:
        yield url
    finally:
        await cluster.drop_database(url)


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
def settings(tmp_path: Path, database_location: str, tv: LoopbackTVmaze) -> Settings:
    return Settings(
        discord_token=BOT_TOKEN,
        database_path=tmp_path / "cliffhanger.db",
        database_url=database_location if database_location.startswith("postgresql://") else None,
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
async def db(database_location: str) -> AsyncIterator[Database]:
    """A migrated database (a temporary file, or a fresh PostgreSQL database), for store and
    scheduler tests."""
    async with migrated(database_location) as database:
        yield database
