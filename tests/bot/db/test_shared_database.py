"""Two processes on one PostgreSQL (two connection pools here): each claims only its own shards'
jobs, hears the other's new jobs and cache changes through LISTEN/NOTIFY, votes on one theory from
both keep exact counts, and two migrating at once take turns."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.db import load_migrations, open_database
from bot.db.guilds import GuildStore
from bot.db.jobs import JobStore, NewJob
from bot.db.postgres import PostgresDatabase
from bot.db.spoiler_channels import SpoilerChannelStore
from bot.episodes import EpisodeCode
from bot.shards import ShardSlice, shard_of
from cogs.theories.store import NewTheory, TheoryStore
from tests.support import until

pytestmark = pytest.mark.only_postgresql(reason="several processes can share PostgreSQL, not an SQLite file")

SHARDS = 2
NOW = 1_760_000_000


def guild_on(shard: int, n: int = 0) -> int:
    """A snowflake-sized guild id on `shard` of SHARDS."""
    found = [g for g in range(1 << 40, (1 << 40) + (400 << 22), 1 << 22) if shard_of(g, SHARDS) == shard]
    return found[n]


@pytest.fixture
async def pair(database_location: str) -> AsyncIterator[tuple[PostgresDatabase, PostgresDatabase]]:
    first, second = open_database(database_location), open_database(database_location)
    assert isinstance(first, PostgresDatabase) and isinstance(second, PostgresDatabase)
    await first.open()
    await first.migrate()
    await second.open()
    await first.start_session()
    await second.start_session()
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()


async def test_each_process_claims_and_recovers_only_its_own_shards_jobs(
    pair: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    a, b = pair
    zero, one = guild_on(0), guild_on(1)
    store_a, store_b = JobStore(a, ShardSlice(SHARDS, (0,))), JobStore(b, ShardSlice(SHARDS, (1,)))
    guilds = GuildStore(a)
    for g in (zero, one):
        await guilds.ensure(g)
    await store_a.upsert([NewJob(one, "k", "late", NOW - 5), NewJob(zero, "k", "soon", NOW - 1)], NOW - 10)
    assert await store_a.next_run_at() == NOW - 1  # shard 1's earlier job is not shard 0's business
    assert await store_b.next_run_at() == NOW - 5
    claimed_a, _ = await store_a.claim_due(NOW, 10)
    claimed_b, _ = await store_b.claim_due(NOW, 10)
    assert [j.guild_id for j in claimed_a] == [zero]
    assert [j.guild_id for j in claimed_b] == [one]
    # Process A restarts: only its own row in 'sending' goes back to pending.
    assert await store_a.recover_sending() == 1
    assert (await store_b.get(one, "k", "late")).state == "sending"  # type: ignore[union-attr]


async def test_claims_from_two_processes_running_every_shard_never_overlap(
    pair: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    a, b = pair
    guild = guild_on(0)
    await GuildStore(a).ensure(guild)
    await JobStore(a).upsert([NewJob(guild, "k", f"j{i}", NOW - 1) for i in range(300)], NOW - 10)
    results = await asyncio.gather(*(JobStore(db).claim_due(NOW, 9) for db in [a, b] * 30))
    claimed = [j.id for batch, _ in results for j in batch]
    assert len(claimed) == len(set(claimed)) == 300


async def test_a_new_job_wakes_only_the_process_that_owns_its_guild(
    pair: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    a, b = pair
    woken: list[str] = []
    JobStore(a, ShardSlice(SHARDS, (0,))).watch(lambda: woken.append("a"))
    JobStore(b, ShardSlice(SHARDS, (1,))).watch(lambda: woken.append("b"))
    writer = JobStore(b)  # any process may add a job for any guild (a sync, a tool)
    await a.listening()
    await b.listening()
    for g in (guild_on(0), guild_on(1)):
        await GuildStore(b).ensure(g)
    await writer.upsert([NewJob(guild_on(0), "k", "x", NOW + 60)], NOW)
    await until(lambda: "a" in woken, what="shard 0's process to wake")
    await writer.upsert([NewJob(guild_on(1), "k", "y", NOW + 60)], NOW)
    await until(lambda: "b" in woken, what="shard 1's process to wake")
    assert woken == ["a", "b"]


async def test_a_settings_change_in_one_process_reaches_the_others_cache(
    pair: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    a, b = pair
    guild = guild_on(0)
    here, there = GuildStore(a), GuildStore(b)
    await b.listening()  # a NOTIFY sent before the LISTEN is in place is not heard
    await here.update(guild, timezone="Europe/Paris")
    assert (await there.get(guild)).timezone == "Europe/Paris"  # now cached over there
    await here.update(guild, timezone="Asia/Tokyo")

    async def seen() -> bool:
        return (await there.get(guild)).timezone == "Asia/Tokyo"

    await until(seen, what="the other process's cache to drop the old timezone")
    channels_here, channels_there = SpoilerChannelStore(a, here), SpoilerChannelStore(b, there)
    await b.listening()
    assert await channels_there.ids(guild) == frozenset()
    await channels_here.add(guild, 555, 1, NOW)

    async def channel_seen() -> bool:
        return await channels_there.ids(guild) == frozenset({555})

    await until(channel_seen, what="the other process's spoiler channel cache")


async def test_votes_from_two_processes_on_one_theory_keep_exact_counts(
    pair: tuple[PostgresDatabase, PostgresDatabase],
) -> None:
    a, b = pair
    guild = guild_on(0)
    stores = [TheoryStore(a, GuildStore(a)), TheoryStore(b, GuildStore(b))]
    theory = await stores[0].create(NewTheory(guild, 1, "Kier lives", "b", EpisodeCode(2, 1), 9), now=NOW)
    voters = range(100, 260)
    # Every member clicks through both processes at once: one click plausible, one doubtful. Whatever
    # the order, each member ends with exactly one vote (or none, if the second click withdrew it).
    clicks = [
        s.vote(guild, theory.id, user, 1 if n == 0 else -1, now=NOW)
        for user in voters
        for n, s in enumerate(stores)
    ]
    await asyncio.gather(*clicks)
    current = await stores[1].by_number(guild, 1)
    assert current is not None
    assert (current.plausible, current.doubtful) == await stores[0].counted_votes(theory.id)
    assert current.plausible + current.doubtful == len(voters)


async def test_two_processes_migrating_at_once_take_turns(database_location: str) -> None:
    first, second = open_database(database_location), open_database(database_location)
    await first.open()
    await second.open()
    try:
        done = await asyncio.gather(first.migrate(), second.migrate())
        shipped = [m.version for m in load_migrations()]
        assert sorted(done, key=len) == [[], shipped]
        assert await first.schema_version() == shipped[-1]
    finally:
        await first.close()
        await second.close()
