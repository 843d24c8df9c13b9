"""TheoryStore against a real SQLite file: numbering, votes, filters, the leaderboard, query plans."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from bot.db import Database
from bot.db.guilds import GuildStore
from bot.episodes import EpisodeCode
from cogs.theories.rules import DOUBTFUL, PLAUSIBLE
from cogs.theories.store import NewTheory, Theory, TheoryQuery, TheoryStore

GUILD, OTHER = 42, 43
S1E3 = EpisodeCode(1, 3)
NOW = 1_700_000_000


@pytest.fixture
async def store(db: Database) -> TheoryStore:
    guilds = GuildStore(db)
    await guilds.ensure(GUILD)
    await guilds.ensure(OTHER)
    return TheoryStore(db, guilds)


async def add(
    store: TheoryStore,
    title: str,
    *,
    author: int = 1,
    episode: EpisodeCode = S1E3,
    guild: int = GUILD,
) -> Theory:
    return await store.create(NewTheory(guild, author, title, f"text of {title}", episode, 500), now=NOW)


async def test_numbers_are_per_server_and_survive_a_discarded_theory(store: TheoryStore) -> None:
    one = await add(store, "One")
    two = await add(store, "Two")
    other = await add(store, "Elsewhere", guild=OTHER)
    assert (one.number, two.number, other.number) == (1, 2, 1)
    await store.discard(two.id)
    assert (await add(store, "Three")).number == 2
    assert (await store.by_number(GUILD, 1)) == one


async def test_vote_add_switch_withdraw_and_refusals(store: TheoryStore) -> None:
    theory = await add(store, "Goats", author=1)
    added = await store.vote(GUILD, theory.id, 2, PLAUSIBLE, now=NOW)
    assert (added.outcome, added.plausible, added.doubtful) == ("added", 1, 0)
    switched = await store.vote(GUILD, theory.id, 2, DOUBTFUL, now=NOW)
    assert (switched.outcome, switched.plausible, switched.doubtful) == ("changed", 0, 1)
    withdrawn = await store.vote(GUILD, theory.id, 2, DOUBTFUL, now=NOW)
    assert (withdrawn.outcome, withdrawn.plausible, withdrawn.doubtful) == ("withdrawn", 0, 0)
    assert (await store.vote(GUILD, theory.id, 1, PLAUSIBLE, now=NOW)).outcome == "own"
    assert (await store.vote(GUILD, 999, 2, PLAUSIBLE, now=NOW)).outcome == "gone"
    assert (await store.vote(OTHER, theory.id, 2, PLAUSIBLE, now=NOW)).outcome == "gone"  # a forged id
    await store.resolve(theory.id, "debunked", EpisodeCode(1, 5), by=9, now=NOW)
    assert (await store.vote(GUILD, theory.id, 2, PLAUSIBLE, now=NOW)).outcome == "closed"
    assert await store.counted_votes(theory.id) == (0, 0)


async def test_concurrent_votes_never_lose_or_double(store: TheoryStore) -> None:
    theory = await add(store, "Kier")
    await asyncio.gather(*(store.vote(GUILD, theory.id, 1000 + i, PLAUSIBLE, now=NOW) for i in range(300)))
    # Half of them click again at once: withdrawn.
    await asyncio.gather(
        *(store.vote(GUILD, theory.id, 1000 + i, PLAUSIBLE, now=NOW) for i in range(0, 300, 2))
    )
    after = await store.get(theory.id)
    assert after is not None
    assert (after.plausible, after.doubtful) == (150, 0) == await store.counted_votes(theory.id)


async def test_mark_deleted_keeps_the_theory(store: TheoryStore) -> None:
    theory = await add(store, "Cold harbor")
    await store.attach(theory.id, 777, 778)
    await store.vote(GUILD, theory.id, 5, PLAUSIBLE, now=NOW)
    gone = await store.mark_deleted(777, NOW + 5)
    assert gone is not None and gone.deleted_at == NOW + 5 and gone.plausible == 1
    assert await store.mark_deleted(777, NOW + 6) is None  # told once
    assert await store.mark_deleted(12345, NOW) is None
    other = await add(store, "Elsewhere")
    assert await store.mark_channel_deleted(GUILD, 500, NOW + 9) == 1  # only the one not yet marked
    assert (await store.get(other.id)).deleted_at == NOW + 9  # type: ignore[union-attr]


async def test_filters_progress_and_sorting(store: TheoryStore) -> None:
    a = await add(store, "Alpha goats", author=1, episode=EpisodeCode(1, 2))
    b = await add(store, "Beta", author=2, episode=EpisodeCode(1, 5))
    c = await add(store, "Gamma goats", author=2, episode=EpisodeCode(2, 1))
    for voter in range(3):
        await store.vote(GUILD, b.id, 100 + voter, PLAUSIBLE, now=NOW)
    await store.vote(GUILD, c.id, 100, PLAUSIBLE, now=NOW)
    await store.resolve(a.id, "confirmed", EpisodeCode(1, 9), by=9, now=NOW)

    async def numbers(**kw: object) -> list[int]:
        query = TheoryQuery(**kw)  # type: ignore[arg-type]
        return [t.number for t in await store.page(GUILD, query, limit=10)]

    assert await numbers() == [b.number, c.number, a.number]
    assert await numbers(sort="date") == [3, 2, 1]
    assert await numbers(author_id=2) == [2, 3]
    assert await numbers(season=2) == [3]
    assert await numbers(text="goats", sort="date") == [3, 1]
    assert await numbers(text="%") == []
    assert await numbers(status="confirmed") == [1]
    # At S1E5: theory 3 (S2E1) is hidden, and theory 1's outcome (S1E9) looks open.
    at = EpisodeCode(1, 5)
    assert await numbers(progress=at) == [2, 1]
    assert await numbers(progress=at, status="confirmed") == []
    assert await numbers(progress=at, status="open") == [2, 1]
    assert await store.count(GUILD, TheoryQuery(progress=at)) == 2
    assert [t.number for t in await store.suggest(GUILD, "", at)] == [2, 1]
    assert [t.number for t in await store.suggest(GUILD, "#3", None)] == [3]
    assert [t.number for t in await store.suggest(GUILD, "gam", None)] == [3]


async def test_leaderboard_confirmed_then_votes_and_progress(store: TheoryStore) -> None:
    a = await add(store, "A", author=1, episode=EpisodeCode(1, 1))
    b = await add(store, "B", author=2, episode=EpisodeCode(1, 1))
    c = await add(store, "C", author=3, episode=EpisodeCode(1, 1))
    for voter in range(4):
        await store.vote(GUILD, b.id, 100 + voter, PLAUSIBLE, now=NOW)
    await store.vote(GUILD, c.id, 100, PLAUSIBLE, now=NOW)
    await store.resolve(a.id, "confirmed", EpisodeCode(2, 1), by=9, now=NOW)
    assert [s.author_id for s in await store.leaderboard(GUILD, None)] == [1, 2, 3]
    # Someone at S1E5 does not see the S2E1 confirmation: votes decide.
    behind = await store.leaderboard(GUILD, EpisodeCode(1, 5))
    assert [(s.author_id, s.confirmed) for s in behind] == [(2, 0), (3, 0), (1, 0)]


def plan(rows: Sequence[Any]) -> str:
    return "\n".join(str(r[-1]) for r in rows)


@pytest.mark.only_sqlite(reason="it reads SQLite's EXPLAIN QUERY PLAN")
async def test_hot_queries_use_indexes_only(store: TheoryStore, db: Database) -> None:
    """/theory top and a vote click must not scan or sort: they are benchmarked at 100,000
    theories and 1,000,000 votes."""
    theory = await add(store, "Plan")
    top = await db.fetchall(
        "EXPLAIN QUERY PLAN SELECT * FROM theories WHERE guild_id = ? "
        "ORDER BY plausible DESC, doubtful, number DESC LIMIT 10 OFFSET 0",
        (GUILD,),
    )
    assert "USING INDEX theories_votes" in plan(top) and "TEMP B-TREE" not in plan(top), plan(top)
    by_status = await db.fetchall(
        "EXPLAIN QUERY PLAN SELECT * FROM theories WHERE guild_id = ? AND status = ? "
        "ORDER BY plausible DESC, doubtful, number DESC LIMIT 10 OFFSET 0",
        (GUILD, "open"),
    )
    assert "theories_status_votes" in plan(by_status) and "TEMP B-TREE" not in plan(by_status)
    newest = await db.fetchall(
        "EXPLAIN QUERY PLAN SELECT * FROM theories WHERE guild_id = ? ORDER BY number DESC LIMIT 10", (GUILD,)
    )
    assert "theories_number" in plan(newest) and "TEMP B-TREE" not in plan(newest)
    vote_reads = [
        ("SELECT * FROM theories WHERE id = ?", (theory.id,)),
        ("SELECT choice FROM theory_votes WHERE theory_id = ? AND user_id = ?", (theory.id, 5)),
        ("DELETE FROM theory_votes WHERE theory_id = ? AND user_id = ?", (theory.id, 5)),
        ("UPDATE theories SET plausible = plausible + 1 WHERE id = ?", (theory.id,)),
        ("SELECT COALESCE(MAX(number), 0) + 1 FROM theories WHERE guild_id = ?", (GUILD,)),
    ]
    for sql, params in vote_reads:
        rows = await db.fetchall("EXPLAIN QUERY PLAN " + sql, params)
        text = plan(rows)
        assert "SCAN" not in text.replace("SCAN CONSTANT ROW", ""), (sql, text)
    # The store's own top query is the one checked above.
    from cogs.theories.store import ORDER, _where

    where, built_params = _where(GUILD, TheoryQuery())
    built = await db.fetchall(
        f"EXPLAIN QUERY PLAN SELECT * FROM theories WHERE {where} ORDER BY {ORDER['votes']} LIMIT 10",
        built_params,
    )
    assert "theories_votes" in plan(built) and "TEMP B-TREE" not in plan(built)
