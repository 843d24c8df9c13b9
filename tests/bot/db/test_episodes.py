"""EpisodeStore against a real SQLite file: each server's schedule of its show."""

from __future__ import annotations

from bot.db import Database
from bot.db.episodes import EpisodeStore
from bot.db.guilds import GuildStore
from bot.episodes import EpisodeCode


async def test_episode_store(db: Database) -> None:
    store = EpisodeStore(db, GuildStore(db))
    await store.upsert(1, [(EpisodeCode(2, n), f"Ep {n}", 1_000 + n) for n in range(1, 11)])
    await store.upsert(1, [(EpisodeCode(2, 1), None, None)])  # no title given: the old one stays
    assert (await store.get(1, EpisodeCode(2, 1))).title == "Ep 1"  # type: ignore[union-attr]
    assert await store.season_sizes(1) == {2: 10}
    assert len(await store.schedule(1, season=2)) == 10
