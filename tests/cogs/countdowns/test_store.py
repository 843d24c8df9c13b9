"""CountdownStore against a real SQLite file, plus the scheduler-store additions countdowns use."""

from __future__ import annotations

import pytest

from bot.db import Database, StorageConflict
from bot.db.guilds import GuildStore
from bot.db.jobs import JobStore, NewJob
from bot.episodes import EpisodeCode
from bot.shards import ShardSlice
from bot.showsync import Special
from cogs.countdowns.store import CountdownStore, Follow, FollowStore, NewCountdown, slot_columns

GUILD, OTHER = 42, 43
NOW = 1_700_000_000


@pytest.fixture
def store(db: Database) -> CountdownStore:
    return CountdownStore(db, GuildStore(db))


def new(title: str, release_at: int, *, guild: int = GUILD, **kw: object) -> NewCountdown:
    return NewCountdown(guild_id=guild, title=title, release_at=release_at, created_by=7, **kw)  # type: ignore[arg-type]


async def test_create_get_update_delete(store: CountdownStore, db: Database) -> None:
    created = await store.create(
        new("Severance S2", NOW + 100, channel_id=5, role_id=6, milestones=(86_400, 3600, 0)), NOW
    )
    assert created.id > 0
    assert (created.title, created.release_at, created.channel_id, created.role_id) == (
        "Severance S2",
        NOW + 100,
        5,
        6,
    )
    assert created.milestones == (86_400, 3600, 0)
    assert created.code is None
    assert await store.get(GUILD, created.id) == created
    assert await store.get(OTHER, created.id) is None  # servers never see each other's countdowns
    moved = await store.update(
        GUILD, created.id, NOW + 5, release_at=NOW + 500, milestones=(600, 0), role_id=None
    )
    assert moved is not None
    assert (moved.release_at, moved.milestones, moved.role_id, moved.updated_at) == (
        NOW + 500,
        (600, 0),
        None,
        NOW + 5,
    )
    with pytest.raises(ValueError, match="not editable"):
        await store.update(GUILD, created.id, NOW, created_by=1)
    assert await store.delete(GUILD, created.id)
    assert not await store.delete(GUILD, created.id)
    assert await store.get(GUILD, created.id) is None


async def test_the_guild_row_is_created_and_deleting_the_guild_removes_everything(
    store: CountdownStore, db: Database
) -> None:
    cd = await store.create(new("A", NOW + 10), NOW)
    assert await store.note_failure(cd.id, 5, "gone", NOW)
    await GuildStore(db).delete(GUILD)
    assert await store.get(GUILD, cd.id) is None
    assert await db.fetchval("SELECT count(*) FROM countdown_failures") == 0


async def test_episode_countdowns_are_unique_per_episode(store: CountdownStore) -> None:
    code = EpisodeCode(2, 1)
    cd = await store.create(new("Severance S2E1", NOW + 10, code=code), NOW)
    assert cd.code == code
    assert await store.by_episode(GUILD, code) == cd
    assert await store.by_episode(GUILD, EpisodeCode(2, 2)) is None
    with pytest.raises(StorageConflict):
        await store.create(new("again", NOW + 20, code=code), NOW)
    await store.create(new("Severance S2E2", NOW + 20, code=EpisodeCode(2, 2)), NOW)
    assert [c.episode for c in await store.episode_countdowns(GUILD, 2)] == [1, 2]


async def test_next_pages_and_counts(store: CountdownStore) -> None:
    past = await store.create(new("Old", NOW - 100), NOW - 200)
    older = await store.create(new("Older", NOW - 900), NOW - 1000)
    soon = await store.create(new("Soon", NOW + 100), NOW)
    later = await store.create(new("Later", NOW + 900), NOW)
    await store.create(new("Elsewhere", NOW + 50, guild=OTHER), NOW)
    assert await store.next_up(GUILD, NOW) == soon
    assert await store.count(GUILD, NOW, "upcoming") == 2
    assert await store.count(GUILD, NOW, "released") == 2
    assert await store.count(GUILD, NOW, "all") == 4
    assert [c.id for c in await store.page(GUILD, NOW, "upcoming", limit=10, offset=0)] == [soon.id, later.id]
    assert [c.id for c in await store.page(GUILD, NOW, "released", limit=10, offset=0)] == [past.id, older.id]
    assert [c.id for c in await store.page(GUILD, NOW, "all", limit=10, offset=0)] == [
        soon.id,
        later.id,
        past.id,
        older.id,
    ]
    assert [c.id for c in await store.page(GUILD, NOW, "all", limit=2, offset=2)] == [past.id, older.id]
    assert await store.next_up(GUILD, NOW + 1000) is None


async def test_search_for_autocomplete(store: CountdownStore) -> None:
    premiere = await store.create(new("Severance S2 premiere", NOW + 500), NOW)
    finale = await store.create(new("Severance S2 finale", NOW + 900), NOW)
    special = await store.create(new("Lumon special: a Severance story", NOW + 100), NOW)
    old = await store.create(new("Severance S1 rewatch", NOW - 100), NOW)
    pct = await store.create(new("100% Innie", NOW + 50), NOW)
    everything = await store.search(GUILD, "", NOW)
    # Upcoming soonest first, then released.
    assert [c.id for c in everything] == [pct.id, special.id, premiere.id, finale.id, old.id]
    # Titles starting with the text before titles containing it.
    assert [c.id for c in await store.search(GUILD, "sev", NOW)] == [
        premiere.id,
        finale.id,
        old.id,
        special.id,
    ]
    assert [c.id for c in await store.search(GUILD, "FINALE", NOW)] == [finale.id]
    assert [c.id for c in await store.search(GUILD, "%", NOW)] == [pct.id]  # LIKE wildcards are literal
    assert (await store.search(GUILD, str(finale.id), NOW))[0].id == finale.id
    assert len(await store.search(GUILD, "", NOW, limit=2)) == 2
    assert await store.search(OTHER, "", NOW) == []
    assert [c.id for c in await store.by_title(GUILD, "severance s2 FINALE")] == [finale.id]


async def test_failure_notes_are_once_per_countdown_and_channel(store: CountdownStore) -> None:
    a = await store.create(new("A", NOW + 10), NOW)
    b = await store.create(new("B", NOW + 10), NOW)
    assert await store.note_failure(a.id, 5, "403 Missing Permissions (50013)", NOW)
    assert not await store.note_failure(a.id, 5, "403 Missing Permissions (50013)", NOW + 1)
    assert await store.note_failure(a.id, 6, "the channel was deleted", NOW + 2)
    assert await store.note_failure(b.id, 5, "403", NOW + 3)
    failures = await store.failures(GUILD)
    assert [(f.countdown_id, f.channel_id) for f in failures] == [(b.id, 5), (a.id, 6), (a.id, 5)]
    assert failures[0].title == "B"
    assert [f.channel_id for f in await store.failures(GUILD, [a.id])] == [6, 5]
    await store.clear_failure(a.id, 5)
    assert await store.note_failure(a.id, 5, "again", NOW + 4)  # news again after a success there
    await store.clear_failures(a.id)
    assert [f.countdown_id for f in await store.failures(GUILD)] == [b.id]
    await store.delete(GUILD, b.id)
    assert await store.failures(GUILD) == []


async def test_jobs_can_be_cancelled_by_exact_key_and_revived(db: Database) -> None:
    jobs = JobStore(db)
    await GuildStore(db).ensure(GUILD)
    await jobs.upsert(
        [
            NewJob(GUILD, "countdown", key, NOW + n)
            for n, key in enumerate(["countdown:1:3600", "countdown:1:36000"])
        ],
        NOW,
    )
    # A prefix would take both; the exact key takes one.
    assert await jobs.cancel_keys(GUILD, "countdown", ["countdown:1:3600"], "removed", NOW) == 1
    states = {j.key: j.state for j in await jobs.list_for(GUILD, "countdown", "countdown:1:")}
    assert states == {"countdown:1:3600": "cancelled", "countdown:1:36000": "pending"}
    assert await jobs.cancel_keys(GUILD, "countdown", [], "nothing", NOW) == 0
    # Scheduling it again leaves a cancelled job alone unless asked to revive it.
    assert await jobs.upsert([NewJob(GUILD, "countdown", "countdown:1:3600", NOW + 50)], NOW) == 0
    assert (
        await jobs.upsert([NewJob(GUILD, "countdown", "countdown:1:3600", NOW + 50)], NOW, revive=True) == 1
    )
    revived = await jobs.get(GUILD, "countdown", "countdown:1:3600")
    assert revived is not None
    assert (revived.state, revived.due_at, revived.reason, revived.finished_at, revived.attempts) == (
        "pending",
        NOW + 50,
        None,
        None,
        0,
    )
    # A sent job is never revived: an announcement is not repeated.
    claimed, _ = await jobs.claim_due(NOW + 60, 10)
    for job in claimed:
        await jobs.finish(job.id, "sent", NOW + 60, result="1/2")
    assert (
        await jobs.upsert([NewJob(GUILD, "countdown", "countdown:1:3600", NOW + 500)], NOW, revive=True) == 0
    )
    sent = await jobs.get(GUILD, "countdown", "countdown:1:3600")
    assert sent is not None and sent.state == "sent" and sent.due_at == NOW + 50


# -- followed shows -------------------------------------------------------------------------------------
async def test_a_countdown_covers_a_drop_or_a_special_and_the_by_hand_mark(store: CountdownStore) -> None:
    drop = tuple(EpisodeCode(1, n) for n in range(1, 7))
    made = await store.create(new("Stranger Things S1E1-E6", NOW + 100, slots=drop), NOW)
    assert made.slots == drop and made.code == EpisodeCode(1, 1) and made.is_drop
    assert made.label == "S1E1\N{EN DASH}E6"
    special = await store.create(new("Doctor Who S5 special", NOW + 200, slots=(Special(5, 13977),)), NOW)
    assert special.code is None and special.slots == (Special(5, 13977),) and special.label == "S5 special"
    single = await store.create(new("S2E4", NOW + 300, code=EpisodeCode(2, 4)), NOW)
    assert single.episodes is None and single.slots == (EpisodeCode(2, 4),) and not single.is_drop
    plain = await store.create(new("Premiere party", NOW + 400), NOW)
    assert plain.slots == () and plain.label is None
    assert [c.id for c in await store.with_episodes(GUILD)] == [made.id, special.id, single.id]
    assert [c.id for c in await store.without_event(GUILD, NOW)] == [made.id, special.id, single.id]
    edited = await store.update(GUILD, single.id, NOW, release_at=NOW + 999, by_hand=1)
    assert edited is not None and edited.by_hand
    await store.release_episodes(GUILD, [made.id], NOW)
    freed = await store.get(GUILD, made.id)
    assert freed is not None and freed.slots == () and freed.title == "Stranger Things S1E1-E6"
    regrouped = await store.update(GUILD, special.id, NOW, **slot_columns(drop[:3]))
    assert regrouped is not None and regrouped.slots == drop[:3]


async def test_follow_store(db: Database) -> None:
    follows = FollowStore(db, GuildStore(db))
    assert await follows.get(GUILD) is None
    first = Follow(GUILD, 44933, "Severance", "Severance (2022, Apple TV+)", followed_by=7, followed_at=NOW)
    await follows.follow(first)
    await follows.follow(
        Follow(OTHER, 44933, "Severance", "Severance (2022, Apple TV+)", milestones=(3600, 0))
    )
    await follows.synced(GUILD, NOW + 10, changed=True)
    got = await follows.get(GUILD)
    assert got is not None and (got.synced_at, got.syncs, got.milestones) == (NOW + 10, 1, None)
    assert (await follows.get(OTHER)).milestones == (3600, 0)  # type: ignore[union-attr]
    # TVmaze has no news of the show: servers whose last sync worked are in sync as of now.
    assert await follows.unchanged(44933, NOW + 20) == 1  # OTHER was never synced
    await follows.failed([GUILD], NOW + 30, "HTTP 500")
    failed = await follows.get(GUILD)
    assert failed is not None and (failed.synced_at, failed.tried_at, failed.sync_error) == (
        NOW + 20,
        NOW + 30,
        "HTTP 500",
    )
    assert await follows.unchanged(44933, NOW + 40) == 0  # a failed one waits for a real sync
    # Another show: unsynced again, but notice batches keep counting (their keys never repeat).
    await follows.follow(Follow(GUILD, 1, "Slow Horses", "Slow Horses (2022, BBC One)", specials=True))
    switched = await follows.get(GUILD)
    assert switched is not None and (switched.show_id, switched.synced_at, switched.sync_error) == (
        1,
        None,
        None,
    )
    assert switched.syncs == 1 and switched.specials
    assert [f.guild_id for f in await follows.all()] == [GUILD, OTHER]  # by show
    # Episode lists: only a newer one replaces what is stored; only followed shows' are loaded.
    await follows.save_list(1, NOW, "[1]")
    await follows.save_list(1, NOW - 5, "[0]")
    await follows.save_list(999, NOW, "[]")
    assert await follows.list_fetched_at(1) == NOW
    assert [(e.show_id, e.episodes) for e in await follows.episode_lists()] == [(1, "[1]")]
    assert await follows.unfollow(GUILD) and not await follows.unfollow(GUILD)


async def test_with_several_processes_each_syncs_only_its_own_shards_servers(db: Database) -> None:
    """Two processes on two shards (PostgreSQL): each sees only the followed shows of its own
    servers, so neither syncs (and numbers notices for) a server the other one runs."""
    guilds = GuildStore(db)
    on_0, on_1 = 2 << 22, 3 << 22  # (id >> 22) % 2: shard 0 and shard 1
    for guild_id, show_id in ((on_0, 10), (on_1, 11)):
        await FollowStore(db, guilds).follow(Follow(guild_id, show_id, "S", "S (2022)", followed_at=NOW))
        await FollowStore(db, guilds).synced(guild_id, NOW, changed=False)
        await FollowStore(db, guilds).save_list(show_id, NOW, "[]")
    first, second = (FollowStore(db, guilds, ShardSlice(2, (n,))) for n in (0, 1))
    assert [f.guild_id for f in await first.all()] == [on_0]
    assert [f.guild_id for f in await second.all()] == [on_1]
    assert [e.show_id for e in await first.episode_lists()] == [10]
    assert await second.unchanged(10, NOW + 60) == 0  # shard 0's server is left to its own process
    assert await first.unchanged(10, NOW + 60) == 1
    everyone = FollowStore(db, guilds)  # one process runs every shard
    assert sorted(f.guild_id for f in await everyone.all()) == [on_0, on_1]
