"""Sharding end to end: the real discord.py client as an AutoShardedBot against a loopback Discord
that routes each guild to its shard, the way Discord does."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from bot import create_bot
from bot.config import Settings
from bot.core import IDENTIFY_WINDOW
from tests.clocks import ShiftedClock, SteppingClock
from tests.cogs.countdowns.support import announced, announcements, configure, created, settled
from tests.fanout import Server, build_servers, seed_countdowns, seed_database, tally
from tests.harness import Harness, World, build_world
from tests.loopback import BOT_TOKEN, Actor, Guild, LoopbackDiscord, running
from tests.loopback.gateway import shard_of
from tests.loopback.limits import DiscordLimits
from tests.support import until

SHARDS = 2
HOUR = 3600


@pytest.fixture
async def loopback() -> AsyncIterator[LoopbackDiscord]:
    # One recommended shard per guild: the two guilds below make Discord recommend two shards.
    # max_concurrency 2 puts them in separate identify buckets, so nothing waits 5 s.
    async with running(LoopbackDiscord(guilds_per_shard=1, max_concurrency=SHARDS)) as lb:
        yield lb
    if lb.violations:
        pytest.fail("requests Discord would refuse:\n" + "\n".join(lb.violations[:20]), pytrace=False)


@pytest.fixture
def world(loopback: LoopbackDiscord) -> World:
    """The fan server on shard 1 (the one a single-connection bot would never hear), and a second
    server, "Kier Club", on shard 0."""
    world = build_world(loopback, guild_id=loopback.guild_id_on_shard(1, SHARDS))
    other = loopback.create_guild("Kier Club", id=loopback.guild_id_on_shard(0, SHARDS))
    world.members["kier"] = loopback.add_member(other, "irving")
    world.members["kier_general"] = loopback.add_channel(other, "general")
    return world


def kier_club(h: Harness) -> tuple[Guild, Actor]:
    guild = next(g for g in h.lb.guilds.values() if g.name == "Kier Club")
    return guild, Actor(h.lb, guild, h.world.members["kier"], h.world.members["kier_general"])


def live_connections(h: Harness) -> int:
    return sum(1 for c in h.lb.connections if c.session is not None and not c.ws.closed)


def guild_creates(h: Harness) -> dict[tuple[int, int], list[int]]:
    """The guild ids each loopback session was sent GUILD_CREATE for, by its [shard_id, num_shards]."""
    seen: dict[tuple[int, int], list[int]] = {}
    for session in h.lb.sessions.values():
        ids = seen.setdefault(session.shard, [])
        ids.extend(int(f["d"]["id"]) for f in session.buffer if f["t"] == "GUILD_CREATE")
    return seen


async def test_the_bot_shards_as_recommended_and_each_shard_gets_only_its_guilds(harness: Harness) -> None:
    h = harness
    kier, _ = kier_club(h)
    assert h.bot.shard_count == SHARDS
    assert sorted(h.lb.identifies) == [(0, SHARDS), (1, SHARDS)]
    assert guild_creates(h) == {(0, SHARDS): [kier.id], (1, SHARDS): [h.guild.id]}
    lumon = h.bot.get_guild(h.guild.id)
    kier_cached = h.bot.get_guild(kier.id)
    assert lumon is not None and lumon.shard_id == 1
    assert kier_cached is not None and kier_cached.shard_id == 0


async def test_guild_events_and_slash_commands_work_on_every_shard(harness: Harness) -> None:
    h = harness
    kier, kier_member = kier_club(h)
    for guild in (h.guild, kier):
        channel = h.lb.add_channel(guild, "watch-party")
        role = h.lb.add_role(guild, "Viewers")
        await h.settle()
        cached = h.bot.get_guild(guild.id)
        assert cached is not None
        assert cached.get_channel(channel.id) is not None, f"shard {cached.shard_id} missed CHANNEL_CREATE"
        assert cached.get_role(role.id) is not None, f"shard {cached.shard_id} missed GUILD_ROLE_CREATE"

    for session in h.lb.sessions.values():  # each shard was told about its own guild only
        routed = {
            int(f["d"]["guild_id"])
            for f in session.buffer
            if f["t"] in ("CHANNEL_CREATE", "GUILD_ROLE_CREATE")
        }
        assert routed == {h.guild.id if session.shard == (1, SHARDS) else kier.id}

    for actor, shard_id in ((h.alice, 1), (kier_member, 0)):
        reply = await actor.slash("about")
        fields = {f["name"]: f["value"] for f in reply.embeds[0]["fields"]}
        assert fields["Shards"].startswith(f"{SHARDS}; this server is on shard {shard_id} ("), fields
        assert fields["Gateway latency"].endswith(" ms") or fields["Gateway latency"] == "measuring..."

    # A setting made on one shard belongs to that server only.
    reply = await h.owner.slash("config timezone", zone="Europe/Paris")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.content, reply.content
    assert (await h.bot.guild_store.get(h.guild.id)).timezone == "Europe/Paris"
    assert (await h.bot.guild_store.get(kier.id)).timezone != "Europe/Paris"


async def test_events_without_a_guild_go_to_shard_zero_only(harness: Harness) -> None:
    h = harness
    h.lb.dispatch("USER_UPDATE", h.lb.bot_user.to_dict())
    await h.settle()
    got = {s.shard: [f["t"] for f in s.buffer].count("USER_UPDATE") for s in h.lb.sessions.values()}
    assert got == {(0, SHARDS): 1, (1, SHARDS): 0}


async def test_a_countdown_on_shard_one_is_announced_exactly_once(harness: Harness) -> None:
    h = harness
    assert shard_of(h.guild.id, SHARDS) == 1
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour", milestones="release")
    h.clock.jump(HOUR)
    await announced(h, countdown.id, "it's out!", h.world.announcements)
    await settled(h, countdown.id, 0)
    h.clock.jump(HOUR)
    await h.bot.scheduler.wait_idle()
    assert len(announcements(h, countdown_id=countdown.id)) == 1


async def test_a_resume_of_one_shard_loses_and_duplicates_nothing(harness: Harness) -> None:
    h = harness
    kier, _ = kier_club(h)
    created_channels: list[int] = []

    async def on_guild_channel_create(channel: discord.abc.GuildChannel) -> None:
        created_channels.append(channel.id)

    h.bot.add_listener(on_guild_channel_create)
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 1 hour", milestones="release")
    resumes, identifies = h.lb.resume_count, h.lb.identify_count

    await h.lb.disconnect(shard_id=1)
    # While shard 1 is away: events for its guild are buffered; shard 0 carries on.
    missed = h.lb.add_channel(h.guild, "missed-while-away")
    live = h.lb.add_channel(kier, "live-on-shard-0")
    h.clock.jump(HOUR)  # due while shard 1 is down: REST still works
    await announced(h, countdown.id, "it's out!")
    await until(lambda: h.lb.resume_count > resumes and live_connections(h) == SHARDS, what="a RESUME")
    await h.settle()
    await settled(h, countdown.id, 0)

    assert h.lb.resume_count == resumes + 1  # only shard 1 resumed
    assert h.lb.identify_count == identifies
    assert sorted(created_channels) == sorted([missed.id, live.id])
    after = h.lb.add_channel(h.guild, "after-resume")
    await h.settle()
    assert created_channels.count(after.id) == 1
    assert len(announcements(h, countdown_id=countdown.id)) == 1


async def test_a_reidentify_of_every_shard_loses_and_duplicates_nothing(harness: Harness) -> None:
    h = harness
    kier, kier_member = kier_club(h)
    await configure(h)
    first = await created(h, title="Premiere", when="in 1 hour", milestones="release")
    second = await created(h, title="Finale", when="in 2 hours", milestones="release")
    h.clock.jump(HOUR)
    await announced(h, first.id, "it's out!")
    identifies = h.lb.identify_count

    await h.lb.invalidate_sessions()  # on_ready fires again on the bot; nothing may start twice
    await until(
        lambda: h.lb.identify_count == identifies + SHARDS and live_connections(h) == SHARDS,
        what="both shards to re-IDENTIFY",
    )
    await h.settle()
    assert sorted(h.lb.identifies[-SHARDS:]) == [(0, SHARDS), (1, SHARDS)]
    assert guild_creates(h) == {(0, SHARDS): [kier.id], (1, SHARDS): [h.guild.id]}

    h.clock.jump(HOUR)
    await announced(h, second.id, "it's out!")
    await settled(h, second.id, 0)
    assert len(announcements(h, countdown_id=first.id)) == 1
    assert len(announcements(h, countdown_id=second.id)) == 1
    for actor in (h.alice, kier_member):
        reply = await actor.slash("about")
        assert reply.ephemeral and reply.embeds


async def test_a_fan_out_across_shards_survives_a_shard_resume_and_a_full_reidentify(
    tmp_path: Path, database_location: str
) -> None:
    # 101 servers at one recommended shard per 60: two shards, under Discord's real rate limits, so
    # the faults land while the announcements are still going out.
    lb = LoopbackDiscord(guilds_per_shard=60, max_concurrency=SHARDS)
    lb.limits = DiscordLimits()
    await lb.start()
    lb.install()
    world = build_world(lb)
    servers = build_servers(lb, 100)
    settings = Settings(
        discord_token=BOT_TOKEN,
        database_path=tmp_path / "drill.db",
        database_url=database_location if database_location.startswith("postgresql") else None,
    )
    h = Harness(lb, world, settings, ShiftedClock())
    try:
        await h.start()
        assert h.bot.shard_count == SHARDS
        now = int(h.clock.now())
        await seed_countdowns(h.db, servers, release_at=now + HOUR, now=now)
        h.bot.scheduler.wake()
        h.clock.jump(HOUR)
        await until(lambda: tally(lb, servers).delivered >= 15, 30, "the fan-out to start")
        await lb.disconnect(shard_id=1)
        await until(lambda: tally(lb, servers).delivered >= 40, 30, "more announcements")
        await lb.invalidate_sessions()
        await until(lambda: tally(lb, servers).delivered == len(servers), 60, "every announcement")
        await until(lambda: lb.identify_count == 2 * SHARDS, 30, "both shards to re-IDENTIFY")
        await h.bot.scheduler.wait_idle()
        final = tally(lb, servers)
        assert final.exactly_once, final
        assert lb.resume_count >= 1
        assert lb.limits.refused["global"] == 0
    finally:
        await h.stop()
        lb.uninstall()
        await lb.stop()
    assert not lb.violations, lb.violations[:5]


class HeldIdentify(SteppingClock):
    """The identify window, held until the test lets it pass: a shard that must wait its bucket's
    turn stays connecting meanwhile."""

    def __init__(self) -> None:
        super().__init__()
        self.released = asyncio.Event()

    async def sleep(self, seconds: float) -> None:
        await self.released.wait()
        await super().sleep(seconds)


async def test_a_ready_shards_announcement_goes_out_while_another_shard_is_still_connecting(
    settings: Settings, database_location: str
) -> None:
    # max_concurrency 1: both shards share one identify bucket, so shard 1 waits for its turn.
    lb = LoopbackDiscord(guilds_per_shard=1, max_concurrency=1)
    await lb.start()
    lb.install()
    world = build_world(lb, guild_id=lb.guild_id_on_shard(1, SHARDS))
    early, late = (
        Server(guild, lb.add_channel(guild, "announcements"))
        for guild in (lb.create_guild("Kier Club", id=lb.guild_id_on_shard(0, SHARDS)), world.guild)
    )
    now = int(time.time())
    await seed_database(database_location, [early, late], release_at=now + HOUR, now=now)
    held = HeldIdentify()
    h = Harness(lb, world, settings, ShiftedClock(), identify_clock=held)
    try:
        bot = await h.start(wait_ready=False)
        ready: list[int] = []

        async def on_shard_ready(shard_id: int) -> None:
            ready.append(shard_id)

        bot.add_listener(on_shard_ready)
        await until(lambda: ready == [0], 10, "shard 0 to be ready")
        assert lb.identifies == [(0, SHARDS)]  # shard 1 is still waiting for its turn to IDENTIFY
        h.clock.jump(HOUR)
        await until(lambda: tally(lb, [early]).delivered == 1, 10, "shard 0's announcement")
        h.clock.jump(60)  # the scheduler looks again, a minute after the release
        await bot.scheduler.wait_caught_up(h.clock.now())
        assert tally(lb, [late]).delivered == 0  # its shard has no guild cache yet
        assert not bot.is_ready() and lb.identifies == [(0, SHARDS)]

        held.released.set()
        await until(lambda: tally(lb, [late]).delivered == 1, 10, "shard 1's announcement, once it is ready")
        await until(bot.is_ready, 10, "every shard to be ready")
        h.clock.jump(60)
        await bot.scheduler.wait_caught_up(h.clock.now())
        assert tally(lb, [early, late]).exactly_once
        assert lb.identifies == [(0, SHARDS), (1, SHARDS)]
    finally:
        await h.stop()
        lb.uninstall()
        await lb.stop()
    assert not lb.violations, lb.violations[:5]


# -- identify pacing --------------------------------------------------------------------------


def paced_bot(max_concurrency: int) -> tuple[Any, list[float], list[float]]:
    """A bot (never started) whose identify clock only moves when the hook sleeps."""
    bot = create_bot(Settings(discord_token=BOT_TOKEN))
    now = [1000.0]
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    bot.max_concurrency = max_concurrency
    bot.identify_clock = lambda: now[0]
    bot.identify_sleep = sleep
    return bot, sleeps, now


async def test_identifies_are_spaced_per_bucket_not_per_shard() -> None:
    bot, sleeps, now = paced_bot(max_concurrency=2)
    for shard_id in range(6):
        await bot.before_identify_hook(shard_id, initial=shard_id == 0)
    # Shards 0 and 1 go at once, 2 and 3 after one window, 4 and 5 after another.
    # (discord.py's default would sleep before each of the five non-initial shards.)
    assert sleeps == [IDENTIFY_WINDOW, IDENTIFY_WINDOW]

    now[0] += 3600
    await bot.before_identify_hook(3, initial=False)  # a re-IDENTIFY hours later need not wait
    assert sleeps == [IDENTIFY_WINDOW, IDENTIFY_WINDOW]
    await bot.before_identify_hook(5, initial=False)  # but the same bucket right after it does
    assert sleeps == [IDENTIFY_WINDOW, IDENTIFY_WINDOW, IDENTIFY_WINDOW]


async def test_with_max_concurrency_one_every_shard_waits_its_turn() -> None:
    bot, sleeps, _ = paced_bot(max_concurrency=1)
    for shard_id in range(3):
        await bot.before_identify_hook(shard_id, initial=shard_id == 0)
    assert sleeps == [IDENTIFY_WINDOW, IDENTIFY_WINDOW]


# -- the loopback's own sharding rules (a raw websocket, as Discord would see any client) --------


async def identify(lb: LoopbackDiscord, shard: list[int] | None) -> int | dict[str, Any]:
    """IDENTIFY with this `shard` field: the close code, or READY's payload."""
    payload: dict[str, Any] = {"token": BOT_TOKEN, "intents": 1, "properties": {}}
    if shard is not None:
        payload["shard"] = shard
    async with aiohttp.ClientSession() as session, session.ws_connect(lb.gateway_url) as ws:
        hello = await ws.receive_json(timeout=5)
        assert hello["op"] == 10
        await ws.send_str(json.dumps({"op": 2, "d": payload}))
        msg = await ws.receive(timeout=5)
        if msg.type == aiohttp.WSMsgType.TEXT:
            frame = json.loads(msg.data)
            assert frame["t"] == "READY"
            ready: dict[str, Any] = frame["d"]
            return ready
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)
        assert ws.close_code is not None
        return ws.close_code


async def gateway_bot(lb: LoopbackDiscord) -> dict[str, Any]:
    headers = {"Authorization": f"Bot {BOT_TOKEN}"}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{lb.base_url}/gateway/bot", headers=headers) as r,
    ):
        assert r.status == 200
        data: dict[str, Any] = await r.json()
        return data


async def test_the_loopback_refuses_an_overfull_session_and_an_invalid_shard() -> None:
    lb = LoopbackDiscord(max_guilds_per_shard=3)
    await lb.start()
    try:
        for n in range(4):
            lb.create_guild(f"Server {n}", id=lb.guild_id_on_shard(n % 2, 2))
        assert await identify(lb, None) == 4011  # 4 guilds on [0, 1]: sharding required
        assert await identify(lb, [0, 1]) == 4011
        assert await identify(lb, [2, 2]) == 4010
        assert await identify(lb, [0, 0]) == 4010
        assert await identify(lb, [-1, 2]) == 4010
        ready = await identify(lb, [1, 2])  # two guilds each: fine
        assert isinstance(ready, dict) and ready["shard"] == [1, 2]
        assert sorted(int(g["id"]) for g in ready["guilds"]) == sorted(
            g for g in lb.guilds if shard_of(g, 2) == 1
        )
        assert lb.identifies == [(1, 2)]
        lb.max_guilds_per_shard = 2500
        ready = await identify(lb, None)  # without `shard`, Discord assumes [0, 1]
        assert isinstance(ready, dict) and ready["shard"] == [0, 1] and len(ready["guilds"]) == 4
    finally:
        await lb.stop()


async def test_gateway_bot_recommends_one_shard_per_thousand_guilds() -> None:
    lb = LoopbackDiscord()
    await lb.start()
    try:
        data = await gateway_bot(lb)
        assert data["shards"] == 1 and data["session_start_limit"]["max_concurrency"] == 1
        for n in range(3):
            lb.create_guild(f"Server {n}")
        lb.guilds_per_shard = 2
        lb.max_concurrency = 16
        data = await gateway_bot(lb)
        assert data["shards"] == 2 and data["session_start_limit"]["max_concurrency"] == 16
    finally:
        await lb.stop()


async def test_a_bot_with_too_few_shards_stops_with_discords_reason(
    loopback: LoopbackDiscord, settings: Settings
) -> None:
    loopback.create_guild("One")
    loopback.create_guild("Two")
    loopback.max_guilds_per_shard = 1
    bot = create_bot(settings, guild_ready_timeout=0.05, shard_count=1)
    with pytest.raises(discord.ConnectionClosed) as caught:
        async with bot:
            await asyncio.wait_for(bot.start(settings.discord_token), 10)
    assert caught.value.code == 4011
