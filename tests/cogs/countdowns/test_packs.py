"""Schedule packs: the shipped ones are valid, Severance is right, and broken packs say where."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from bot.errors import UserError
from cogs.countdowns.packs import PACKS_DIR, find_pack, list_packs, load_pack, parse_pack

SEVERANCE_TITLES = [
    "Hello, Ms. Cobel",
    "Goodbye, Mrs. Selvig",
    "Who Is Alive?",
    "Woe's Hollow",
    "Trojan's Horse",
    "Attila",
    "Chikhai Bardo",
    "Sweet Vitriol",
    "The After Hours",
    "Cold Harbor",
]


def test_every_shipped_pack_is_valid() -> None:
    packs = list_packs()
    assert "severance" in packs
    for path in packs.values():
        pack = load_pack(path)
        assert pack.seasons and all(s.episodes for s in pack.seasons)


def test_the_severance_pack_is_season_2_on_thursday_evenings_eastern() -> None:
    pack = load_pack(PACKS_DIR / "severance.json")
    assert (pack.show, pack.network) == ("Severance", "Apple TV+")
    assert [s.number for s in pack.seasons] == [2]
    season = pack.seasons[0]
    assert season.zone == "America/New_York"
    assert [e.number for e in season.episodes] == list(range(1, 11))
    assert [e.title for e in season.episodes] == SEVERANCE_TITLES
    utc = [dt.datetime.fromtimestamp(e.air_at, dt.UTC) for e in season.episodes]
    # The listed dates are the Fridays 17 January to 21 March 2025 ...
    assert [d.date() for d in utc] == [dt.date(2025, 1, 17) + dt.timedelta(weeks=n) for n in range(10)]
    # ... at 9 p.m. Eastern the evening before: 02:00 UTC before DST began on 9 March, 01:00 after.
    assert [d.hour for d in utc] == [2] * 8 + [1] * 2
    assert all(d.minute == 0 for d in utc)
    assert pack.notes and "9 p.m. Eastern" in pack.notes and "Thursday" in pack.notes
    assert pack.source
    assert pack.summary == "Severance: season 2 (10 episodes)"


def good_pack() -> dict[str, Any]:
    return {
        "format": 1,
        "show": "Lumon Industries",
        "zone": "Europe/London",
        "seasons": [
            {
                "season": 1,
                "episodes": [
                    {"number": 1, "title": "Good News About Hell", "air": "2027-02-18 21:00"},
                    {"number": 2, "air": "2027-02-25 21:00"},
                ],
            }
        ],
    }


def problems_of(data: Any) -> str:
    with pytest.raises(UserError) as caught:
        parse_pack(data, "mine")
    assert caught.value.example == "/countdown import pack:severance"
    return caught.value.message


def test_a_minimal_pack() -> None:
    pack = parse_pack(good_pack(), "mine")
    assert pack.slug == "mine"
    assert pack.seasons[0].episodes[1].title is None
    assert pack.seasons[0].episodes[0].air_at == int(dt.datetime(2027, 2, 18, 21, tzinfo=dt.UTC).timestamp())


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda p: p.pop("show"), "`show`: is missing"),
        (lambda p: p.update(show=""), "`show`: must be a non-empty string"),
        (lambda p: p.update(zone="Mars/Olympus"), "`zone`: `Mars/Olympus` is not an IANA timezone"),
        (lambda p: p.update(format=2), "`format`: must be 1"),
        (lambda p: p.update(seasons=[]), "`seasons`: must be a list with at least one season"),
        (lambda p: p.update(sesons=[]), "`sesons`: is not a pack field (misspelt?)"),
        (lambda p: p["seasons"][0].update(season=0), "`seasons[0].season`: is 0; it must be from 1 to 99"),
        (lambda p: p["seasons"][0].update(episodes=[]), "`seasons[0].episodes`: must be a list of 1 to 50"),
        (
            lambda p: p["seasons"][0]["episodes"][1].update(number=1),
            "`seasons[0].episodes[1].number`: episode 1 appears twice",
        ),
        (
            lambda p: p["seasons"][0]["episodes"][0].update(air="18/02/2027 9pm"),
            "`seasons[0].episodes[0].air`: must be a local date and time written `YYYY-MM-DD HH:MM`",
        ),
        (
            lambda p: p["seasons"][0]["episodes"][0].update(air="2027-02-30 21:00"),
            "`2027-02-30 21:00` is not a real date and time",
        ),
        (
            lambda p: p["seasons"][0]["episodes"][0].update(air="2027-03-28 01:30"),
            "never happens in Europe/London",
        ),
        (
            lambda p: p["seasons"][0]["episodes"][0].update(air="2027-10-31 01:30"),
            "happens twice in Europe/London",
        ),
        (
            lambda p: p["seasons"][0]["episodes"][0].update(titel="x"),
            "`seasons[0].episodes[0].titel`: is not an episode field",
        ),
        (lambda p: p["seasons"][0]["episodes"][0].update(number=True), "must be a whole number"),
        (lambda p: p["seasons"][0]["episodes"][0].update(title="x" * 101), "101 characters; at most 100"),
    ],
)
def test_broken_packs_say_what_and_where(mutate: Any, expected: str) -> None:
    data = good_pack()
    mutate(data)
    message = problems_of(data)
    assert expected in message
    assert "data/shows/README.md" in message


def test_a_season_may_carry_its_own_zone_but_one_is_needed() -> None:
    data = good_pack()
    data.pop("zone")
    assert "`seasons[0].zone`: is missing" in problems_of(copy.deepcopy(data))
    data["seasons"][0]["zone"] = "Asia/Tokyo"
    assert parse_pack(data, "mine").seasons[0].zone == "Asia/Tokyo"


def test_many_problems_are_listed_together_and_capped() -> None:
    data = good_pack()
    data["seasons"][0]["episodes"] = [{"number": n, "air": "nope"} for n in range(1, 9)]
    message = problems_of(data)
    assert message.startswith("The pack `mine` has 8 problems:")
    assert "...and 3 more" in message


def test_files_that_are_not_packs(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text("{ not json", encoding="utf-8")
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "Bad Name.json").write_text("{}", encoding="utf-8")
    (tmp_path / "ok.json").write_text(json.dumps(good_pack()), encoding="utf-8")
    assert list(list_packs(tmp_path)) == ["broken", "list", "ok"]
    with pytest.raises(UserError, match=r"not valid JSON: Expecting property name .* line 1, column 3"):
        load_pack(tmp_path / "broken.json")
    with pytest.raises(UserError, match="must hold one JSON object"):
        load_pack(tmp_path / "list.json")
    assert find_pack("OK.json", tmp_path) == tmp_path / "ok.json"
    with pytest.raises(UserError, match=r"no pack called `lost`. Packs here: `broken`, `list`, `ok`"):
        find_pack("lost", tmp_path)
    assert list_packs(tmp_path / "missing") == {}
