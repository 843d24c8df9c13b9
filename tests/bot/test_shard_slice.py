"""Which guilds a process owns, and the SQL condition that says the same as the Python one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.shards import ShardSlice, format_ids, parse_shard_ids, shard_of


def test_ids_are_read_and_written_as_ranges() -> None:
    assert parse_shard_ids("0-4", 10) == (0, 1, 2, 3, 4)
    assert parse_shard_ids("7,0,2-3", 10) == (0, 2, 3, 7)
    assert format_ids((0, 1, 2, 5, 7, 8)) == "0-2,5,7-8"
    for bad, why in (
        ("", "an empty item"),
        ("a", "not a number or a range"),
        ("1-", "not a number or a range"),
        ("-1", "not a number or a range"),
        ("3-1", "runs backwards"),
        ("1,1", "listed twice"),
        ("10", "go from 0 to 9"),
    ):
        with pytest.raises(ValueError, match=why):
            parse_shard_ids(bad, 10)


@given(st.integers(min_value=1, max_value=64), st.data())
def test_a_slice_owns_exactly_its_shards_guilds(count: int, data: st.DataObject) -> None:
    ids = tuple(sorted(data.draw(st.sets(st.integers(0, count - 1), min_size=1))))
    piece = ShardSlice(count, ids)
    guild = data.draw(st.integers(min_value=0, max_value=2**63 - 1))
    assert piece.owns(guild) == (shard_of(guild, count) in ids)
    assert piece.share(50) <= 50
    assert (piece.sql() == "") == piece.whole


def test_the_shares_of_disjoint_slices_add_up_to_at_most_the_limit() -> None:
    slices = [ShardSlice(10, (0, 1, 2)), ShardSlice(10, (3, 4, 5, 6)), ShardSlice(10, (7, 8, 9))]
    assert sum(int(s.share(48)) for s in slices) <= 48
    assert sum(s.share(48) for s in slices) == pytest.approx(48)
