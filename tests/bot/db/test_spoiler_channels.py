"""SpoilerChannelStore against a real SQLite file: the cached set the guard reads on every message."""

from __future__ import annotations

from bot.db import Database
from bot.db.guilds import GuildStore
from bot.db.spoiler_channels import SpoilerChannelStore

GUILD = 42


async def test_channels_are_cached_and_invalidated(db: Database) -> None:
    store = SpoilerChannelStore(db, GuildStore(db))
    assert await store.add(GUILD, 10, 7, 100)
    assert not await store.add(GUILD, 10, 7, 101)
    assert await store.add(GUILD, 11, 7, 102)
    assert await store.ids(GUILD) == {10, 11}
    assert await store.ordered(GUILD) == [10, 11]
    assert await store.remove(GUILD, 10)
    assert await store.ids(GUILD) == {11}
    assert not await store.remove(GUILD, 10)
