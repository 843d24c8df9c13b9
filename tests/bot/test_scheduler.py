"""The durable scheduler, driven by a manual clock against a real SQLite file."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from bot.db import Database, open_database
from bot.db.guilds import GuildStore
from bot.db.jobs import Job, JobStore, NewJob
from bot.scheduler import NONCE_WINDOW, JobFailed, JobRetry, JobSkipped, Scheduler, may_have_posted_unseen
from tests.clocks import ManualClock
from tests.support import until

GUILD = 42
T0 = 1_700_000_000


@pytest.fixture(autouse=True)
async def guild(db: Database) -> None:
    await GuildStore(db).ensure(GUILD)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
async def scheduler(db: Database, clock: ManualClock) -> AsyncIterator[Scheduler]:
    sched = Scheduler(JobStore(db), clock=clock)
    yield sched
    await sched.stop(grace=0.5)


def job(key: str, due: int, **kw: object) -> NewJob:
    return NewJob(GUILD, "test", key, due, **kw)  # type: ignore[arg-type]


async def state_of(db: Database, key: str) -> tuple[str, str | None]:
    row = await db.fetchone("SELECT state, reason FROM scheduled_jobs WHERE key = ?", (key,))
    assert row is not None
    return row["state"], row["reason"]


async def test_jobs_run_in_due_order_not_insert_order(
    scheduler: Scheduler, clock: ManualClock, db: Database
) -> None:
    ran: list[str] = []

    async def handler(j: Job) -> str:
        ran.append(j.key)
        return f"msg-{j.key}"

    scheduler.register("test", handler)
    await scheduler.schedule([job("c", T0 + 30), job("a", T0 + 10), job("b", T0 + 20)])
    await scheduler.start()
    await clock.advance(9)
    await scheduler.wait_caught_up(clock.now())
    assert ran == []  # it looked at T0 + 9 and found nothing due yet
    for expected in (1, 2, 3):
        await clock.advance(10)
        await until(lambda expected=expected: _at_least(ran, expected))  # type: ignore[misc]
    assert ran == ["a", "b", "c"]
    assert await state_of(db, "a") == ("sent", None)
    row = await db.fetchone("SELECT result FROM scheduled_jobs WHERE key = 'a'")
    assert row is not None and row["result"] == "msg-a"


async def _at_least(items: list[str], n: int) -> bool:
    return len(items) >= n


async def test_insert_wakes_a_sleeping_scheduler(scheduler: Scheduler, clock: ManualClock) -> None:
    ran: list[str] = []

    async def handler(j: Job) -> None:
        ran.append(j.key)

    scheduler.register("test", handler)
    await scheduler.schedule([job("far", T0 + 86_000)])
    await scheduler.start()
    await scheduler.wait_caught_up(T0)  # the dispatcher is now asleep until T0 + 86000
    await scheduler.schedule([job("soon", T0 + 5)])
    await clock.advance(5)
    await until(lambda: _at_least(ran, 1))
    assert ran == ["soon"]


async def test_caught_up_waits_for_a_running_job_and_for_a_look_after_a_wake(
    scheduler: Scheduler, clock: ManualClock
) -> None:
    release = asyncio.Event()
    ran: list[str] = []

    async def handler(j: Job) -> None:
        await release.wait()
        ran.append(j.key)

    scheduler.register("test", handler)
    await scheduler.schedule([job("now", T0)])
    await scheduler.start()
    waiting = asyncio.ensure_future(scheduler.wait_caught_up(T0))
    await until(lambda: scheduler.running and not scheduler._idle.is_set())
    assert not waiting.done()  # the job is still running
    release.set()
    await asyncio.wait_for(waiting, 3)
    assert ran == ["now"]
    await scheduler.schedule([job("also now", T0)])  # a wake: the earlier look no longer counts
    await asyncio.wait_for(scheduler.wait_caught_up(T0), 3)
    assert ran == ["now", "also now"]


async def test_a_raising_handler_does_not_stop_the_next_job(
    scheduler: Scheduler, clock: ManualClock, db: Database
) -> None:
    ran: list[str] = []

    async def handler(j: Job) -> None:
        ran.append(j.key)
        if j.key == "boom":
            raise RuntimeError("handler bug")

    scheduler.register("test", handler)
    await scheduler.schedule([job("boom", T0 + 1), job("next", T0 + 2)])
    await scheduler.start()
    await clock.advance(2)
    await until(lambda: _at_least(ran, 2))
    await scheduler.wait_idle()
    state, reason = await state_of(db, "boom")
    assert state == "failed"
    assert reason is not None and reason.startswith("internal error, incident ")
    assert await state_of(db, "next") == ("sent", None)
    assert scheduler.running


async def test_catch_up_after_downtime_skips_superseded_milestones_with_reasons(
    scheduler: Scheduler, clock: ManualClock, db: Database
) -> None:
    release = T0 - 3600  # released an hour ago, while the bot was down
    ran: list[str] = []

    async def handler(j: Job) -> None:
        ran.append(j.key)

    scheduler.register("test", handler)
    series = {"series": "countdown:1"}
    await scheduler.schedule(
        [
            job("7d", release - 7 * 86400, **series),
            job("1d", release - 86400, **series),
            job("1h", release - 3600, **series),
            job("release", release, expires_at=release + 86400, **series),
            job("old-other", T0 - 10 * 86400, expires_at=T0 - 9 * 86400),
        ]
    )
    await scheduler.start()
    await until(lambda: _at_least(ran, 1))
    await scheduler.wait_idle()
    assert ran == ["release"]
    for key in ("7d", "1d", "1h"):
        state, reason = await state_of(db, key)
        assert state == "skipped"
        assert reason == "superseded by release, which was also due"
    state, reason = await state_of(db, "old-other")
    assert state == "skipped"
    assert reason == f"expired: {10 * 86400} s late, the limit was 86400 s"


async def test_a_row_left_sending_by_a_crash_is_retried_with_the_same_nonce(
    db: Database, clock: ManualClock
) -> None:
    store = JobStore(db)
    await store.upsert([job("x", T0 - 5)], T0 - 10)
    claimed, _ = await store.claim_due(T0, 10)
    assert [j.key for j in claimed] == ["x"]
    nonce = claimed[0].nonce
    # The process dies here: the row stays in 'sending'.
    seen: list[str] = []

    async def handler(j: Job) -> None:
        seen.append(j.nonce)

    sched = Scheduler(store, clock=clock)
    sched.register("test", handler)
    await sched.start()
    try:
        await until(lambda: _at_least(seen, 1))
        await sched.wait_idle()
    finally:
        await sched.stop()
    assert seen == [nonce]
    assert await state_of(db, "x") == ("sent", None)
    row = await db.fetchone("SELECT attempts FROM scheduled_jobs WHERE key = 'x'")
    assert row is not None and row["attempts"] == 2


async def test_transient_failures_retry_with_backoff_then_give_up(db: Database, clock: ManualClock) -> None:
    sched = Scheduler(JobStore(db), clock=clock, max_attempts=3)
    attempts: list[int] = []

    async def handler(j: Job) -> None:
        attempts.append(j.attempts)
        raise JobRetry("Discord answered 503")

    sched.register("test", handler)
    await sched.schedule([job("flaky", T0)])
    await sched.start()
    try:
        await until(lambda: _at_least(attempts, 1))  # type: ignore[arg-type]
        await sched.wait_idle()
        row = await db.fetchone("SELECT state, run_at, reason FROM scheduled_jobs WHERE key = 'flaky'")
        assert row is not None
        assert (row["state"], row["reason"]) == ("pending", "Discord answered 503")
        assert row["run_at"] >= T0 + 5  # backed off
        await clock.advance(5)
        await until(lambda: _at_least(attempts, 2))  # type: ignore[arg-type]
        await sched.wait_idle()
        await clock.advance(10)
        await until(lambda: _at_least(attempts, 3))  # type: ignore[arg-type]
        await sched.wait_idle()
    finally:
        await sched.stop()
    assert attempts == [1, 2, 3]
    state, reason = await state_of(db, "flaky")
    assert state == "failed"
    assert reason == "gave up after 3 attempts: Discord answered 503"


async def test_an_attempt_that_may_have_reached_discord_is_remembered_from_the_first(
    db: Database, clock: ManualClock
) -> None:
    """A timeout (or a 5xx, or a crash mid-send) may hide a message Discord created; a refusal such as
    JobRetry's own reasons does not. The first unsure attempt's time is kept, and a retry past the
    nonce window after it is the one that must look before posting again."""
    sched = Scheduler(JobStore(db), clock=clock)
    seen: list[Job] = []

    async def handler(j: Job) -> None:
        seen.append(j)
        if j.attempts == 1:
            raise JobRetry("the server is unavailable")  # known not to have been sent
        if j.attempts in (2, 3):
            raise TimeoutError

    sched.register("test", handler)
    await sched.schedule([job("x", T0)])
    await sched.start()
    try:
        for attempt, wait in ((1, 5), (2, 10), (3, 20)):
            await until(lambda n=attempt: _at_least(seen, n))  # type: ignore[misc,arg-type]
            await sched.wait_idle()
            await clock.advance(wait)
        await until(lambda: _at_least(seen, 4))  # type: ignore[arg-type]
        await sched.wait_idle()
    finally:
        await sched.stop()
    assert [j.unsure_since for j in seen] == [None, None, T0 + 5, T0 + 5]  # from attempt 2 on
    assert not may_have_posted_unseen(seen[2], T0 + 5 + NONCE_WINDOW)
    assert may_have_posted_unseen(seen[3], T0 + 5 + NONCE_WINDOW + 1)
    # A crash mid-send is unsure too: recovered rows remember when they were claimed.
    store = JobStore(db)
    await store.upsert([job("y", T0)], T0)
    await store.claim_due(T0 + 100, 10)
    await store.recover_sending()
    recovered = await store.get(GUILD, "test", "y")
    assert recovered is not None and recovered.unsure_since == T0 + 100


async def test_handler_outcomes_are_recorded(scheduler: Scheduler, clock: ManualClock, db: Database) -> None:
    async def handler(j: Job) -> None:
        if j.key == "gone":
            raise JobSkipped("the countdown was deleted")
        if j.key == "forbidden":
            raise JobFailed("403 Missing Permissions (50013)")

    scheduler.register("test", handler)
    await scheduler.schedule([job("gone", T0), job("forbidden", T0)])
    await scheduler.start()
    await until(lambda: _none_pending(db))
    await scheduler.wait_idle()
    assert await state_of(db, "gone") == ("skipped", "the countdown was deleted")
    assert await state_of(db, "forbidden") == ("failed", "403 Missing Permissions (50013)")


async def _none_pending(db: Database) -> bool:
    return not await db.fetchval("SELECT count(*) FROM scheduled_jobs WHERE state IN ('pending', 'sending')")


async def test_rescheduling_moves_pending_jobs_but_never_repeats_finished_ones(
    scheduler: Scheduler, clock: ManualClock, db: Database
) -> None:
    ran: list[str] = []

    async def handler(j: Job) -> None:
        ran.append(j.key)

    scheduler.register("test", handler)
    await scheduler.schedule([job("early", T0 + 1), job("late", T0 + 100)])
    await scheduler.start()
    await clock.advance(1)
    await until(lambda: _at_least(ran, 1))
    await scheduler.wait_idle()
    # An edit moves both: the sent one must stay sent, the pending one moves.
    written = await scheduler.schedule([job("early", T0 + 500), job("late", T0 + 50)])
    assert written == 1
    await clock.advance(49)
    await until(lambda: _at_least(ran, 2))
    assert ran == ["early", "late"]
    row = await db.fetchone("SELECT due_at FROM scheduled_jobs WHERE key = 'early'")
    assert row is not None and row["due_at"] == T0 + 1


async def test_cancel_records_why(scheduler: Scheduler, db: Database) -> None:
    await scheduler.schedule([job("cd:1:7d", T0 + 10), job("cd:1:1d", T0 + 20), job("cd:10:7d", T0 + 30)])
    count = await scheduler.cancel(GUILD, "test", "cd:1:", "countdown deleted by a moderator")
    assert count == 2
    assert await state_of(db, "cd:1:7d") == ("cancelled", "countdown deleted by a moderator")
    assert (await state_of(db, "cd:10:7d"))[0] == "pending"


async def test_a_kind_without_a_handler_waits_instead_of_being_lost(
    scheduler: Scheduler, db: Database
) -> None:
    await scheduler.schedule([NewJob(GUILD, "unknown-kind", "k", T0)])
    await scheduler.start()
    await until(lambda: _reason_set(db))
    await scheduler.wait_idle()
    row = await db.fetchone("SELECT state, reason, run_at FROM scheduled_jobs")
    assert row is not None
    assert row["state"] == "pending"
    assert row["reason"] == "no handler is registered for 'unknown-kind' yet"
    assert row["run_at"] >= T0 + 60


async def _reason_set(db: Database) -> bool:
    return bool(await db.fetchval("SELECT reason FROM scheduled_jobs"))


async def test_claims_are_atomic_between_two_schedulers_on_one_database(
    database_location: str, clock: ManualClock
) -> None:
    """Two processes sharing a database never both claim a row (SQLite: UPDATE ... WHERE state =
    'pending' under the write lock; PostgreSQL: FOR UPDATE SKIP LOCKED, on two connection pools)."""
    first, second = open_database(database_location), open_database(database_location)
    await first.open()
    await first.migrate()
    await second.open()
    try:
        await GuildStore(first).ensure(GUILD)
        store_a, store_b = JobStore(first), JobStore(second)
        await store_a.upsert([job(f"k{i}", T0 - 1) for i in range(200)], T0 - 10)
        results = await asyncio.gather(*(s.claim_due(T0, 7) for s in [store_a, store_b] * 30))
        claimed = [j.key for batch, _ in results for j in batch]
        assert len(claimed) == len(set(claimed)) == 200
    finally:
        await first.close()
        await second.close()


async def test_a_job_whose_shard_reconnects_while_it_runs_goes_again_when_the_shard_is_ready(
    db: Database, clock: ManualClock
) -> None:
    """A re-IDENTIFY empties the shard's guild cache while a claimed job runs: the handler finds the
    server unavailable and asks to retry in a minute. The job waits for that shard's READY instead,
    and runs as soon as it comes, not a backoff later."""
    store = JobStore(db)
    store.claim_for_shards({0}, 1)
    sched = Scheduler(store, clock=clock)
    attempts: list[int] = []

    async def handler(j: Job) -> None:
        attempts.append(j.attempts)
        if len(attempts) == 1:
            store.claim_for_shards(set(), 1)  # the shard reconnects mid-run
            raise JobRetry("the server is unavailable", retry_after=60)

    sched.register("test", handler)
    await sched.schedule([job("reconnect", T0)])
    await sched.start()
    try:
        await until(lambda: attempts == [1], what="the first attempt")
        await sched.wait_idle()
        await clock.advance(5)  # past the 1 s floor: claims still wait for the shard
        await sched.wait_caught_up(clock.now())
        assert attempts == [1]
        store.claim_for_shards({0}, 1)  # READY again
        sched.wake()
        await until(lambda: attempts == [1, 2], what="the run once the shard is ready")
        await sched.wait_idle()
    finally:
        await sched.stop()
    assert (await state_of(db, "reconnect"))[0] == "sent"
