"""EpisodeStore against a real SQLite file: each server's schedule of its show."""

from __future__ import annotations

from bot.db import Database
from bot.db.episodes import Episode, EpisodeStore
from bot.db.guilds import GuildStore
from bot.episodes import EpisodeCode


async def test_episode_store(db: Database) -> None:
    store = EpisodeStore(db, GuildStore(db))
    await store.upsert(1, [(EpisodeCode(2, n), f"Ep {n}", 1_000 + n) for n in range(1, 11)])
    await store.upsert(1, [(EpisodeCode(2, 1), None, None)])  # no title given: the old one stays
    assert (await store.get(1, EpisodeCode(2, 1))).title == "Ep 1"  # type: ignore[union-attr]
    assert await store.season_sizes(1) == {2: 10}
    assert len(await store.schedule(1, season=2)) == 10


async def test_set_rows_writes_exactly_what_it_is_given(db: Database) -> None:
    store = EpisodeStore(db, GuildStore(db))
    await store.upsert(1, [(EpisodeCode(3, n), f"Ep {n}", 5_000 + n) for n in range(1, 4)])
    await store.set_rows(1, [(EpisodeCode(3, 1), None, None), (EpisodeCode(3, 4), "New", 6_000)])
    assert (await store.get(1, EpisodeCode(3, 1))) == Episode(1, EpisodeCode(3, 1), None, None)  # back to TBA
    assert (await store.get(1, EpisodeCode(3, 4))) == Episode(1, EpisodeCode(3, 4), "New", 6_000)
    await store.delete_many(1, [EpisodeCode(3, 2), EpisodeCode(3, 9)])
    assert [e.code for e in await store.schedule(1)] == [
        EpisodeCode(3, 1),
        EpisodeCode(3, 3),
        EpisodeCode(3, 4),
    ]
    await store.upsert(2, [(EpisodeCode(1, 1), None, 1)])
    await store.clear(1)
    assert await store.schedule(1) == []
    assert len(await store.schedule(2)) == 1  # another server's schedule is its own
