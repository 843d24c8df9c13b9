"""RecapStore against a real SQLite file: one recap per episode, its messages in order."""

from __future__ import annotations

from bot.db import Database
from bot.db.guilds import GuildStore
from bot.episodes import EpisodeCode
from cogs.recaps.store import RecapStore

GUILD = 42
S2E3 = EpisodeCode(2, 3)


async def test_recaps_keep_their_messages_in_order(db: Database) -> None:
    store = RecapStore(db, GuildStore(db))
    recap = await store.create(
        GUILD, S2E3, author_id=7, body="text", channel_id=10, thread_id=None, message_ids=[5, 3, 9], now=100
    )
    assert recap is not None and recap.message_ids == (5, 3, 9)
    again = await store.create(
        GUILD, S2E3, author_id=8, body="other", channel_id=10, thread_id=None, message_ids=[1], now=101
    )
    assert again is None  # one recap per episode; the first stays whole
    await store.update(recap.id, "new", [5, 4], 102)
    updated = await store.by_id(GUILD, recap.id)
    assert updated is not None and updated.body == "new" and updated.message_ids == (5, 4)
    assert await store.by_id(GUILD + 1, recap.id) is None  # another server's id finds nothing
    assert [r.episode for r in await store.all(GUILD)] == [S2E3]
    assert await store.delete(recap.id)
    assert await store.get(GUILD, S2E3) is None
