"""SpoilerWordStore against a real SQLite file: one word per episode ignoring case, and freshness."""

from __future__ import annotations

from bot.db import Database
from bot.db.episodes import EpisodeStore
from bot.db.guilds import GuildStore
from bot.db.spoiler_words import SpoilerWordStore
from bot.episodes import EpisodeCode

GUILD = 42
NOW = 1_700_000_000
S2E3, S2E5 = EpisodeCode(2, 3), EpisodeCode(2, 5)


async def test_words_are_unique_per_episode_ignoring_case(db: Database) -> None:
    store = SpoilerWordStore(db, GuildStore(db))
    assert await store.add_word(GUILD, S2E3, "Helly", 7)
    assert not await store.add_word(GUILD, S2E3, "HÉLLY", 7)
    assert await store.add_word(GUILD, S2E5, "Helly", 7)
    assert await store.add_word(GUILD, S2E3, "Cobel", 7)
    assert [w.word for w in await store.words(GUILD, S2E3)] == ["Cobel", "Helly"]
    assert len(await store.words(GUILD)) == 3
    assert await store.remove_word(GUILD, S2E3, "helly")
    assert not await store.remove_word(GUILD, S2E3, "helly")
    assert [w.word for w in await store.words(GUILD, S2E3)] == ["Cobel"]


async def test_fresh_words_follow_the_window_and_unknown_air_times_count_as_fresh(db: Database) -> None:
    guilds = GuildStore(db)
    store, episodes = SpoilerWordStore(db, guilds), EpisodeStore(db, guilds)
    week = 7 * 86400
    await episodes.upsert(
        GUILD,
        [
            (EpisodeCode(1, 1), None, NOW - 30 * 86400),  # long aired
            (EpisodeCode(2, 1), None, NOW - 86400),  # aired yesterday
            (EpisodeCode(2, 2), None, NOW + 86400),  # not aired yet
            (EpisodeCode(2, 4), None, None),  # no air time
        ],
    )
    for code, word in [
        ((1, 1), "Petey"),
        ((2, 1), "Reghabi"),
        ((2, 2), "Gemma"),
        ((2, 4), "Ricken"),
        ((3, 1), "Lumon"),
    ]:
        await store.add_word(GUILD, EpisodeCode(*code), word, 7)
    fresh = {w.word for w in await store.fresh_words(GUILD, NOW, week)}
    assert fresh == {"Reghabi", "Gemma", "Ricken", "Lumon"}
    assert {w.word for w in await store.fresh_words(GUILD, NOW, 3600)} == {"Gemma", "Ricken", "Lumon"}
    assert await store.fresh_words(GUILD + 1, NOW, week) == []


async def test_words_stored_under_an_older_fold_are_still_found_by_how_they_fold_now(db: Database) -> None:
    """fold() learned look-alike letters after words were stored with the old key: a word added then
    must still be removable, and a look-alike spelling must not be added beside it."""
    store = SpoilerWordStore(db, GuildStore(db))
    assert await store.add_word(GUILD, S2E3, "R\u0435ghabi", 7)  # Cyrillic e
    await db.execute("UPDATE spoiler_words SET word_key = 'r\u0435ghabi'")  # the key the old fold made
    assert not await store.add_word(GUILD, S2E3, "Reghabi", 7)
    assert await store.remove_word(GUILD, S2E3, "REGHABI")
    assert await store.words(GUILD) == []
