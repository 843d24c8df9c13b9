"""GuildStore: the one place a server's row is created, and its cache."""

from __future__ import annotations

import pytest

from bot.db import Database
from bot.db.guilds import GuildStore


async def count(db: Database) -> int:
    return int(await db.fetchval("SELECT count(*) FROM guilds"))


async def test_a_failed_write_takes_its_new_guild_row_with_it(db: Database) -> None:
    guilds = GuildStore(db)

    async def failing_write() -> None:
        async with guilds.writing(7) as conn:
            await conn.execute("INSERT INTO spoiler_channels VALUES (7, 1, 1, 1)")
            raise RuntimeError("the disk filled up")

    with pytest.raises(RuntimeError):
        await failing_write()
    assert await count(db) == 0
    # Nothing remembers the rolled-back row, so the next write creates it again instead of
    # failing the foreign key.
    async with guilds.writing(7) as conn:
        await conn.execute("INSERT INTO spoiler_channels VALUES (7, 1, 1, 1)")
    assert await count(db) == 1


async def test_ensure_writes_once_and_forgets_a_deleted_server(db: Database) -> None:
    guilds = GuildStore(db)
    await guilds.ensure(7)
    await db.execute("DELETE FROM guilds")  # behind the store's back: the cache still says it exists
    await guilds.ensure(7)
    assert await count(db) == 0  # proves the cache skipped the write
    guilds.invalidate(7)
    await guilds.ensure(7)
    await guilds.delete(7)
    await guilds.ensure(7)
    assert await count(db) == 1
