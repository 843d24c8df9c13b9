"""bot.lookup: "#12 or a title", the one way countdowns and theories are named in options."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.errors import UserError
from bot.lookup import find_by_ref, parse_ref


@dataclass(frozen=True)
class Item:
    number: int
    title: str


ITEMS = [Item(1, "Premiere"), Item(2, "Finale"), Item(3, "finale"), Item(12, "12")]


async def find(text: str) -> Item:
    async def by_number(number: int) -> Item | None:
        return next((i for i in ITEMS if i.number == number), None)

    async def by_title(title: str) -> list[Item]:
        return [i for i in ITEMS if i.title.casefold() == title.casefold()]

    return await find_by_ref(
        text,
        by_number=by_number,
        by_title=by_title,
        number_of=lambda i: i.number,
        noun=("thing", "things"),
        example="/thing show thing:{number}",
    )


def test_numbers_are_read_with_or_without_a_hash() -> None:
    assert [parse_ref(t) for t in ("12", "#12", " # 12 ", "1" * 18)] == [12, 12, 12, int("1" * 18)]
    assert [parse_ref(t) for t in ("", "#", "twelve", "9" * 19, "-3", "1.5", "\u00b2", "\u0663")] == [
        None
    ] * 8


async def test_a_number_wins_then_an_exact_title() -> None:
    assert await find("#12") == Item(12, "12")
    assert await find("  premiere ") == Item(1, "Premiere")


async def test_a_number_that_is_no_item_falls_back_to_the_title() -> None:
    ITEMS.append(Item(5, "404"))
    try:
        assert await find("404") == Item(5, "404")
    finally:
        ITEMS.pop()


async def test_a_shared_title_asks_for_a_number() -> None:
    with pytest.raises(UserError, match=r"2 things are called \*\*FINALE\*\* \(#2, #3\)") as caught:
        await find("FINALE")
    assert caught.value.example == "/thing show thing:2"


async def test_nothing_found_says_so_with_an_example() -> None:
    with pytest.raises(UserError, match="No thing in this server matches `Season 3`") as caught:
        await find("Season   3")
    assert caught.value.example == "/thing show thing:1"
