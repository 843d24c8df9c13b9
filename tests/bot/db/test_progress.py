"""ProgressStore against a real SQLite file: members' progress, and "watched up to" roles."""

from __future__ import annotations

from bot.db import Database
from bot.db.guilds import GuildStore
from bot.db.progress import ProgressRole, ProgressStore
from bot.episodes import EpisodeCode

GUILD = 42
S2E3, S2E5 = EpisodeCode(2, 3), EpisodeCode(2, 5)


async def test_progress_set_replace_and_clear(db: Database) -> None:
    store = ProgressStore(db, GuildStore(db))
    assert await store.get(GUILD, 1) is None
    await store.set(GUILD, 1, S2E3)
    await store.set(GUILD, 1, S2E5)
    assert await store.get(GUILD, 1) == S2E5
    assert await store.get(GUILD + 1, 1) is None
    assert await store.clear(GUILD, 1)
    assert not await store.clear(GUILD, 1)
    assert await store.get(GUILD, 1) is None


async def test_a_role_maps_to_one_episode(db: Database) -> None:
    store = ProgressStore(db, GuildStore(db))
    await store.set_role(GUILD, S2E3, 99)
    await store.set_role(GUILD, S2E5, 99)  # moving it
    assert await store.roles(GUILD) == [ProgressRole(S2E5, 99)]
    assert await store.remove_role(GUILD, S2E5)
    assert not await store.remove_role(GUILD, S2E5)
