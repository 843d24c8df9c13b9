"""SQLite reads on the event loop's own thread: what runs there, and what still goes to aiosqlite's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.db.sqlite import SQLiteDatabase

# Counts to 300,000 in SQLite's VM: far past the inline budget (2 ms) on any machine, and well
# under a second on the worker thread.
SLOW = (
    "SELECT (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
    "SELECT count(*) FROM c) AS n"
)


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[SQLiteDatabase]:
    db = SQLiteDatabase(tmp_path / "reads.db")
    await db.open()
    await db.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)")
    await db.execute("INSERT INTO t (id, v) VALUES (1, 'one')")
    try:
        yield db
    finally:
        await db.close()


async def test_a_plain_select_runs_inline_and_sees_every_committed_write(sqlite_db: SQLiteDatabase) -> None:
    row = await sqlite_db.fetchone("SELECT v FROM t WHERE id = ?", (1,))
    assert row is not None and row["v"] == "one"
    assert (sqlite_db.inline_read_count, sqlite_db.spilled_read_count) == (1, 0)
    await sqlite_db.execute("UPDATE t SET v = 'uno' WHERE id = 1")  # on the worker thread's connection
    assert await sqlite_db.fetchval("SELECT v FROM t WHERE id = 1") == "uno"
    assert [r["v"] for r in await sqlite_db.fetchall("SELECT v FROM t ORDER BY id")] == ["uno"]
    assert sqlite_db.inline_read_count == 3


async def test_reads_inside_the_tasks_own_transaction_see_its_uncommitted_writes(
    sqlite_db: SQLiteDatabase,
) -> None:
    async with sqlite_db.transaction() as conn:
        await conn.execute("INSERT INTO t (id, v) VALUES (2, 'two')")
        inline_before = sqlite_db.inline_read_count
        assert await conn.fetchval("SELECT v FROM t WHERE id = 2") == "two"
        assert len(await conn.fetchall("SELECT id FROM t")) == 2
        assert sqlite_db.inline_read_count == inline_before  # both went to the transaction's connection
    assert await sqlite_db.fetchval("SELECT count(*) FROM t") == 2


async def test_a_read_does_not_wait_for_another_tasks_transaction(sqlite_db: SQLiteDatabase) -> None:
    inside, release = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with sqlite_db.transaction() as conn:
            await conn.execute("INSERT INTO t (id, v) VALUES (3, 'three')")
            inside.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await inside.wait()
    # The writer holds the lock: a read answers from what is committed instead of queueing behind it.
    assert await asyncio.wait_for(sqlite_db.fetchval("SELECT count(*) FROM t"), 5) == 1
    release.set()
    await task
    assert await sqlite_db.fetchval("SELECT count(*) FROM t") == 2


async def test_a_write_through_fetchone_goes_to_the_worker_thread(sqlite_db: SQLiteDatabase) -> None:
    row = await sqlite_db.fetchone("UPDATE t SET v = 'eins' WHERE id = 1 RETURNING v")
    assert row is not None and row["v"] == "eins"
    assert sqlite_db.inline_read_count == 0
    assert await sqlite_db.fetchval("SELECT v FROM t WHERE id = 1") == "eins"


async def test_a_slow_read_leaves_the_loop_and_stays_off_it(sqlite_db: SQLiteDatabase) -> None:
    assert await sqlite_db.fetchval(SLOW, (300_000,)) == 300_000  # the right answer, from the thread
    assert (sqlite_db.inline_read_count, sqlite_db.spilled_read_count) == (0, 1)
    assert await sqlite_db.fetchval(SLOW, (300_000,)) == 300_000
    assert (sqlite_db.inline_read_count, sqlite_db.spilled_read_count) == (0, 1)  # not tried inline again
    # The reader is not left interrupted: the next read runs inline.
    assert await sqlite_db.fetchval("SELECT v FROM t WHERE id = 1") == "one"
    assert sqlite_db.inline_read_count == 1


async def test_without_inline_reads_every_read_goes_to_the_worker_thread(tmp_path: Path) -> None:
    db = SQLiteDatabase(tmp_path / "thread.db", inline_reads=False)
    await db.open()
    try:
        assert await db.fetchval("SELECT 1") == 1
        assert db.inline_read_count == 0
    finally:
        await db.close()


async def test_a_notification_inside_a_transaction_is_heard_once_it_commits(
    sqlite_db: SQLiteDatabase,
) -> None:
    # The scheduler and the caches listen, then read: told before the commit, they would read the
    # rows as they were (inline reads do not wait for a transaction) and sleep on a stale answer.
    heard: list[tuple[str, int]] = []

    def listener(payload: str) -> None:
        heard.append((payload, len(sqlite_db._reader.execute("SELECT id FROM t").fetchall())))  # type: ignore[union-attr]

    sqlite_db.listen("jobs", listener)
    async with sqlite_db.transaction() as conn:
        await conn.execute("INSERT INTO t (id, v) VALUES (2, 'two')")
        await conn.notify("jobs", "added")
        assert heard == []
    assert heard == [("added", 2)]  # after the commit, and the row is there to read

    async def rolled_back() -> None:
        async with sqlite_db.transaction() as conn:
            await conn.execute("INSERT INTO t (id, v) VALUES (3, 'three')")
            await conn.notify("jobs", "rolled back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        await rolled_back()
    await sqlite_db.notify("jobs", "outside")
    assert heard == [("added", 2), ("outside", 2)]
