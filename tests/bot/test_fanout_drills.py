"""Fault drills in the middle of a premiere fan-out: every announcement is delivered exactly once.

The loopback enforces Discord's real limits here (50 requests/s, 5 messages per 5 s per channel), so a
fan-out takes real time and the faults land while it is under way.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from tests.clocks import ShiftedClock
from tests.fanout import Server, build_servers, job_states, seed_countdowns, seed_database, tally
from tests.harness import Harness, build_world
from tests.loopback import LoopbackDiscord
from tests.loopback.limits import DiscordLimits
from tests.loopback.process import BotProcess
from tests.support import until


async def test_sigkill_in_the_middle_of_a_fan_out_then_restart(
    loopback: LoopbackDiscord, tmp_path: Path, database_location: str
) -> None:
    loopback.limits = DiscordLimits()
    servers = build_servers(loopback, 120)
    now = int(time.time())
    await seed_database(database_location, servers, release_at=now + 4, now=now)
    async with BotProcess(loopback.port, database_location, log_path=tmp_path / "bot.log") as bot:
        await bot.start()
        await until(lambda: tally(loopback, servers).delivered >= 30, 60, "the fan-out to start")
        await bot.kill()
        at_kill = tally(loopback, servers)
        assert at_kill.delivered < len(servers), (
            "the fan-out finished before the kill; the drill proved nothing"
        )
        await bot.start()
        await until(lambda: tally(loopback, servers).delivered == len(servers), 60, "every announcement")
        assert await bot.stop() == 0  # a clean exit finishes whatever was in flight, duplicates too
    final = tally(loopback, servers)
    assert final.exactly_once, final
    assert await job_states(database_location) == {"sent": len(servers)}
    assert loopback.limits.refused["global"] == 0


@pytest.fixture
async def fanout(
    loopback: LoopbackDiscord, tmp_path: Path, database_location: str
) -> AsyncIterator[tuple[Harness, list[Server]]]:
    loopback.limits = DiscordLimits()
    world = build_world(loopback)
    servers = build_servers(loopback, 100)
    settings = Settings(
        discord_token=loopback.token,
        database_path=tmp_path / "drill.db",
        database_url=database_location if database_location.startswith("postgresql") else None,
        log_level="INFO",
    )
    harness = Harness(loopback, world, settings, ShiftedClock())
    await harness.start()
    try:
        yield harness, servers
    finally:
        await harness.stop()


async def release_now(harness: Harness, servers: list[Server]) -> None:
    """Seed a countdown in every server releasing in an hour, then jump the clock to it."""
    now = int(harness.clock.now())
    await seed_countdowns(harness.db, servers, release_at=now + 3600, now=now)
    harness.bot.scheduler.wake()
    harness.clock.jump(3600)


async def test_gateway_resume_and_reidentify_during_a_fan_out(fanout: tuple[Harness, list[Server]]) -> None:
    harness, servers = fanout
    lb = harness.lb
    await release_now(harness, servers)
    await until(lambda: tally(lb, servers).delivered >= 15, 30, "the fan-out to start")
    await lb.disconnect()  # RESUME
    await until(lambda: tally(lb, servers).delivered >= 40, 30, "more announcements")
    await lb.invalidate_sessions()  # full re-IDENTIFY, on_ready again
    await until(lambda: tally(lb, servers).delivered == len(servers), 60, "every announcement")
    await until(lambda: lb.identify_count == 2, 30, "the re-IDENTIFY")
    await harness.bot.scheduler.wait_idle()
    final = tally(lb, servers)
    assert final.exactly_once, final
    assert lb.resume_count >= 1
    assert lb.limits is not None and lb.limits.refused["global"] == 0


async def test_5xx_and_429_storms_lose_nothing_and_the_scheduler_keeps_running(
    fanout: tuple[Harness, list[Server]],
) -> None:
    harness, servers = fanout
    lb = harness.lb
    messages = r"^/channels/\d+/messages$"
    lb.inject(502, method="POST", path=messages, times=25)
    lb.inject(429, method="POST", path=messages, times=25, retry_after=0.2)
    lb.inject(429, path=messages, times=3, retry_after=0.3, is_global=True)
    lb.inject(500, method="POST", path=messages, times=10, after=True)  # created, but the answer is lost
    await release_now(harness, servers)
    await until(
        lambda: tally(lb, servers).delivered == len(servers), 120, "every announcement through the storm"
    )
    await harness.bot.scheduler.wait_idle()
    final = tally(lb, servers)
    assert final.exactly_once, final
    assert lb.nonce_hits >= 1  # a retry after a lost answer got the existing message back
    assert all(f.times == 0 for f in lb.faults)  # every injected fault was hit
    # The scheduler is still alive: a countdown created after the storm is announced too.
    await release_now(harness, servers[:1])
    await until(lambda: len(lb.bot_messages(servers[0].channel)) == 2, 30, "a later announcement")
