"""The spoilers cog's plain rules and its store, without Discord."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.db import Database
from bot.episodes import EpisodeCode
from bot.errors import UserError
from cogs.spoilers.rules import (
    DAY,
    HOUR,
    MAX_WINDOW,
    MIN_WINDOW,
    describe_window,
    parse_window,
    recap_header,
    recap_thread_name,
    roles_for_progress,
)
from cogs.spoilers.store import ProgressRole, SpoilersStore

GUILD = 42
S2E3 = EpisodeCode(2, 3)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("7 days", 7 * DAY),
        ("36h", 36 * HOUR),
        ("2 weeks", 14 * DAY),
        ("1 week, 3 days", 10 * DAY),
        ("1 hour", HOUR),
    ],
)
def test_window_lengths(text: str, seconds: int) -> None:
    assert parse_window(text) == seconds


@pytest.mark.parametrize("text", ["", "hello", "7", "0 days", "366 days", "3 fortnights", "7 days ago"])
def test_bad_window_lengths_say_how(text: str) -> None:
    with pytest.raises(UserError) as refused:
        parse_window(text)
    assert refused.value.example == "/spoilers window length:7 days"


@given(st.text(max_size=60))
def test_any_typed_window_is_read_or_refused_clearly(text: str) -> None:
    try:
        seconds = parse_window(text)
    except UserError as exc:
        example = exc.example
        assert example == "/spoilers window length:7 days"
        return
    assert MIN_WINDOW <= seconds <= MAX_WINDOW


def test_describe_window() -> None:
    assert describe_window(7 * DAY) == "7 days"
    assert describe_window(36 * HOUR) == "1 day 12 hours"
    assert describe_window(HOUR) == "1 hour"


def test_headers_and_thread_names_are_plain_and_short() -> None:
    assert recap_header("Severance", S2E3) == "\N{CLAPPER BOARD} Recap: Severance S2E3, spoilers below"
    assert recap_header("*Sev*", S2E3).count("\\*") == 2
    assert len(recap_thread_name("x" * 300, S2E3)) <= 100
    assert recap_thread_name("Severance", S2E3) == "Severance S2E3 recap"


def test_roles_up_to_progress() -> None:
    roles = [ProgressRole(EpisodeCode(2, 1), 1), ProgressRole(S2E3, 3), ProgressRole(EpisodeCode(2, 5), 5)]
    assert roles_for_progress(roles, EpisodeCode(2, 4)) == ({1, 3}, {5})
    assert roles_for_progress(roles, None) == (set(), {1, 3, 5})


@pytest.fixture
def store(db: Database) -> SpoilersStore:
    return SpoilersStore(db)


async def test_channels_are_cached_and_invalidated(store: SpoilersStore) -> None:
    assert await store.add_channel(GUILD, 10, 7, 100)
    assert not await store.add_channel(GUILD, 10, 7, 101)
    assert await store.add_channel(GUILD, 11, 7, 102)
    assert await store.channels(GUILD) == {10, 11}
    assert await store.remove_channel(GUILD, 10)
    assert await store.channels(GUILD) == {11}
    assert not await store.remove_channel(GUILD, 10)


async def test_recaps_keep_their_messages_in_order(store: SpoilersStore) -> None:
    recap = await store.create_recap(
        GUILD, S2E3, author_id=7, body="text", channel_id=10, thread_id=None, message_ids=[5, 3, 9], now=100
    )
    assert recap is not None and recap.message_ids == (5, 3, 9)
    again = await store.create_recap(
        GUILD, S2E3, author_id=8, body="other", channel_id=10, thread_id=None, message_ids=[1], now=101
    )
    assert again is None  # one recap per episode; the first stays whole
    await store.update_recap(recap.id, "new", [5, 4], 102)
    updated = await store.recap_by_id(GUILD, recap.id)
    assert updated is not None and updated.body == "new" and updated.message_ids == (5, 4)
    assert await store.recap_by_id(GUILD + 1, recap.id) is None  # another server's id finds nothing
    assert [r.episode for r in await store.recaps(GUILD)] == [S2E3]
    assert await store.delete_recap(recap.id)
    assert await store.recap(GUILD, S2E3) is None


async def test_a_role_maps_to_one_episode(store: SpoilersStore) -> None:
    await store.set_progress_role(GUILD, S2E3, 99)
    await store.set_progress_role(GUILD, EpisodeCode(2, 5), 99)  # moving it
    assert await store.progress_roles(GUILD) == [ProgressRole(EpisodeCode(2, 5), 99)]
    assert await store.remove_progress_role(GUILD, EpisodeCode(2, 5))
    assert not await store.remove_progress_role(GUILD, EpisodeCode(2, 5))
