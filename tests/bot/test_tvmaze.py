"""The TVmaze client against the loopback TVmaze: shapes, the call budget, retries, timeouts, the cache
and autocomplete."""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.ratelimit import GlobalRateLimiter
from bot.tvmaze import (
    TVmaze,
    TVmazeDataError,
    TVmazeNotFound,
    TVmazeUnavailable,
    parse_airstamp,
    parse_episode,
    parse_show,
)
from tests.loopback.tvmaze import DAY, LoopbackTVmaze, episode_json, running, show_json
from tests.support import until

NOW = int(time.time())
GUARD = 20  # seconds: a call that has not returned by then is blocking, which is the bug


@pytest.fixture
async def tvmaze() -> AsyncIterator[LoopbackTVmaze]:
    tv = LoopbackTVmaze()
    async with running(tv):
        yield tv


def client_for(tv: LoopbackTVmaze, **options: Any) -> TVmaze:
    options.setdefault("timeout", 2.0)
    options.setdefault("backoff", 0.01)
    options.setdefault("rate_limited_wait", 0.05)
    return TVmaze(tv.url, **options)


@pytest.fixture
async def client(tvmaze: LoopbackTVmaze) -> AsyncIterator[TVmaze]:
    async with client_for(tvmaze) as tv:
        yield tv


def severance(tv: LoopbackTVmaze) -> int:
    show_id = tv.add_show("Severance", premiered="2022-02-18", web_channel="Apple TV+", show_id=44933)
    tv.add_episode(show_id, 1, 1, NOW - 400 * DAY, name="Good News About Hell")
    tv.add_episode(show_id, 2, 1, NOW + 10 * DAY, name="Hello, Ms. Cobel")
    tv.add_episode(show_id, 2, 2, None)
    tv.add_episode(show_id, 2, None, NOW + 60 * DAY, name="Behind the scenes")
    return show_id


# -- shapes ------------------------------------------------------------------------------------
def test_a_show_on_a_broadcaster_and_one_on_a_streamer() -> None:
    broadcast = parse_show(
        show_json(
            1,
            "Slow Horses",
            premiered="2010-04-11",
            network="BBC One",
            updated=NOW,
            imdb="tt1",
            schedule_time="21:00",
        )
    )
    assert (broadcast.id, broadcast.name, broadcast.year, broadcast.updated) == (1, "Slow Horses", 2010, NOW)
    assert broadcast.channel is not None
    assert (broadcast.channel.name, broadcast.channel.country, broadcast.channel.streaming) == (
        "BBC One",
        "GB",
        False,
    )
    assert broadcast.externals.imdb == "tt1"
    assert broadcast.schedule_time == "21:00"

    streamer = parse_show(show_json(2, "Severance", premiered=None, web_channel="Apple TV+", updated=NOW))
    assert streamer.channel is not None
    assert (streamer.channel.name, streamer.channel.country, streamer.channel.streaming) == (
        "Apple TV+",
        None,
        True,
    )
    assert streamer.premiered is None and streamer.year is None

    nowhere = parse_show(show_json(3, "Pilot Season", premiered=None, updated=NOW))
    assert nowhere.channel is None


def test_a_network_wins_over_a_web_channel() -> None:
    both = parse_show(show_json(4, "Both", premiered=None, network="AMC", web_channel="Netflix", updated=NOW))
    assert both.channel is not None and both.channel.name == "AMC"


def test_the_release_instant_comes_from_airstamp_alone() -> None:
    # 21:00 in New York on 17 Jan 2025 is 02:00 UTC on the 18th: airdate/airtime are local to the network.
    episode = episode_json(7, 1, 3, at="2025-01-18T02:00:00+00:00", zone="America/New_York")
    assert (episode["airdate"], episode["airtime"]) == ("2025-01-17", "21:00")
    assert parse_episode(episode).airs_at == int(dt.datetime(2025, 1, 18, 2, tzinfo=dt.UTC).timestamp())
    # Contradicting airdate/airtime change nothing: they are never read.
    episode |= {"airdate": "1999-12-31", "airtime": "07:15"}
    assert parse_episode(episode).airs_at == 1737165600
    assert parse_airstamp("2025-01-17T21:00:00-05:00") == 1737165600
    assert parse_airstamp("2016-07-15T12:00:00Z") == parse_airstamp("2016-07-15T12:00:00+00:00")


def test_tba_specials_and_types() -> None:
    tba = parse_episode(episode_json(8, 4, 1, at=None))
    assert tba.airs_at is None and not tba.is_special
    special = parse_episode(episode_json(9, 5, None, at=NOW, name="A Christmas Carol"))
    assert special.is_special and special.number is None and special.type == "significant_special"
    assert special.name == "A Christmas Carol"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"airstamp": "2016-07-15T12:00:00"}, "has no UTC offset"),
        ({"airstamp": "next friday"}, "not ISO 8601"),
        ({"season": "1"}, "`season`"),
        ({"season": True}, "`season`"),
        ({"number": 1.5}, "`number`"),
    ],
)
def test_an_episode_that_is_not_tvmazes_shape_is_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(TVmazeDataError, match=message):
        parse_episode(episode_json(10, 1, 1, at=NOW) | change)


def test_a_show_without_its_required_fields_is_refused() -> None:
    data = show_json(5, "X", premiered="2020-01-01", updated=NOW)
    del data["updated"]
    with pytest.raises(TVmazeDataError, match="without `updated`"):
        parse_show(data)
    with pytest.raises(TVmazeDataError, match="not a date"):
        parse_show(show_json(5, "X", premiered="soon", updated=NOW))


# -- the endpoints -----------------------------------------------------------------------------
async def test_search_show_and_single_search(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    show_id = severance(tvmaze)
    tvmaze.add_show("Slow Horses", network="BBC One", premiered="2022-04-01")
    results = await client.search("  SEVERANCE ")
    assert [r.show.name for r in results] == ["Severance"]
    assert results[0].score > 0 and results[0].show.id == show_id
    assert tvmaze.calls[-1] == ("/search/shows", {"q": "severance"})

    single = await client.single_search("slow horses")
    assert single is not None and single.name == "Slow Horses"
    assert await client.single_search("no such show") is None  # TVmaze's 404
    assert await client.search("") == []
    assert tvmaze.count("/search") == 1  # an empty query costs nothing

    show = await client.show(show_id)
    assert show.name == "Severance" and show.channel is not None and show.channel.name == "Apple TV+"
    with pytest.raises(TVmazeNotFound):
        await client.show(999_999)


async def test_episodes_include_specials_and_tba(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    show_id = severance(tvmaze)
    episodes = await client.episodes(show_id)
    assert tvmaze.calls[-1] == (f"/shows/{show_id}/episodes", {"specials": "1"})
    by_code = {(e.season, e.number): e for e in episodes}
    assert by_code[2, 1].airs_at == NOW + 10 * DAY
    assert by_code[2, 2].airs_at is None
    assert by_code[2, None].is_special and by_code[2, None].airs_at == NOW + 60 * DAY
    assert len(episodes) == 4
    with pytest.raises(TVmazeNotFound):
        await client.episodes(999_999)


async def test_updates_list_what_changed_in_the_period(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    quiet = tvmaze.add_show("Quiet")
    changed = tvmaze.add_show("Changed")
    tvmaze.mark_updated(changed)
    updates = await client.updated_since("day")
    assert tvmaze.calls[-1] == ("/updates/shows", {"since": "day"})
    assert changed in updates and quiet not in updates
    assert updates[changed] == tvmaze.shows[changed]["updated"]
    assert quiet in await client.updated_since("month")
    with pytest.raises(ValueError, match="day, week or month"):
        await client.updated_since("year")  # type: ignore[arg-type]


async def test_malformed_answers_raise_a_data_error(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    show_id = severance(tvmaze)
    tvmaze.episodes[show_id][0]["airstamp"] = "2016-07-15T12:00:00"
    with pytest.raises(TVmazeDataError, match="no UTC offset"):
        await client.episodes(show_id)
    tvmaze.shows[show_id]["updated"] = "yesterday"
    with pytest.raises(TVmazeDataError, match="`updated`"):
        await client.show(show_id)
    with pytest.raises(TVmazeDataError, match="not an id and a time"):
        await client.updated_since("day")


# -- the budget --------------------------------------------------------------------------------
async def test_the_budget_keeps_a_burst_under_tvmazes_limit() -> None:
    # TVmaze's 20 per 10 s, scaled to 5 per half second so the test is quick; the loopback refuses a
    # 6th. The client keeps the same headroom as its default (18 of 20) for arrival jitter: 4 of 5.
    tv = LoopbackTVmaze(rate=5, period=0.5)
    async with running(tv):
        ids = [tv.add_show(f"Show {n}") for n in range(14)]
        async with client_for(tv, limiter=GlobalRateLimiter(4, 0.5, name="TVmaze")) as client:
            shows = await asyncio.wait_for(asyncio.gather(*(client.show(i) for i in ids)), GUARD)
        assert [s.id for s in shows] == ids
        assert tv.throttled == 0  # never over the limit ...
        assert tv.count("/shows/") == 14  # ... and nothing had to be retried
        assert max(sum(1 for t in tv.arrivals if start <= t < start + 0.5) for start in tv.arrivals) <= 5


async def test_without_the_budget_the_loopback_answers_429() -> None:
    # The control for the test above: the loopback does refuse a burst over its limit.
    tv = LoopbackTVmaze(rate=5, period=1.0)
    async with running(tv):
        ids = [tv.add_show(f"Show {n}") for n in range(12)]
        async with client_for(tv, limiter=GlobalRateLimiter(50, 1.0), attempts=1) as client:
            results = await asyncio.gather(*(client.show(i) for i in ids), return_exceptions=True)
        assert tv.throttled > 0
        assert any(isinstance(r, TVmazeUnavailable) for r in results)


async def test_background_calls_leave_room_for_commands(tvmaze: LoopbackTVmaze) -> None:
    ids = [tvmaze.add_show(f"Show {n}") for n in range(6)]
    sync_budget = GlobalRateLimiter(2, 60.0, burst=2, name="sync")
    async with client_for(tvmaze, background_limiter=sync_budget) as client:
        # A sync that wants six calls gets two at once, then waits for its share of the window ...
        sync = asyncio.gather(*(client.episodes(i, background=True) for i in ids))
        await until(
            lambda: tvmaze.count("/shows/") == 2 and not sync_budget.has_capacity(),
            what="the sync to spend its share",
        )
        # ... while a command still goes straight through (the only call since), and autocomplete
        # still answers.
        assert (await asyncio.wait_for(client.show(ids[0]), GUARD)).id == ids[0]
        assert tvmaze.count("/shows/") == 3
        suggested = await client.suggest("show 3")
        assert suggested and suggested[0].show.id == ids[3]
        sync.cancel()
        with pytest.raises(asyncio.CancelledError):
            await sync


# -- retries, timeouts, outages ----------------------------------------------------------------
async def test_429_waits_for_retry_after_and_pauses_every_call(
    tvmaze: LoopbackTVmaze, client: TVmaze
) -> None:
    show_id = severance(tvmaze)
    other = tvmaze.add_show("Other")
    tvmaze.fail("429", retry_after="1", path=f"/shows/{show_id}")
    first = asyncio.ensure_future(client.show(show_id))
    await until(lambda: client.paused_for > 0, what="the 429 to come back")
    second = asyncio.ensure_future(client.show(other))
    shows = await asyncio.wait_for(asyncio.gather(first, second), GUARD)
    assert [s.id for s in shows] == [show_id, other]
    assert tvmaze.calls[0][0] == f"/shows/{show_id}"
    assert sorted(path for path, _ in tvmaze.calls[1:]) == sorted([f"/shows/{show_id}", f"/shows/{other}"])
    # Neither the retry nor the other call went out before Retry-After was over.
    assert tvmaze.arrivals[1] - tvmaze.arrivals[0] >= 0.95
    assert tvmaze.arrivals[2] - tvmaze.arrivals[0] >= 0.95


async def test_retry_after_as_an_http_date_and_missing(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    show_id = severance(tvmaze)
    in_a_second = email.utils.formatdate(time.time() + 1.5, usegmt=True)
    tvmaze.fail("429", retry_after=in_a_second)
    tvmaze.fail("429")  # no header: the client's own wait (0.05 s here; 2 s by default)
    assert (await asyncio.wait_for(client.show(show_id), GUARD)).id == show_id
    assert tvmaze.count() == 3
    assert tvmaze.arrivals[1] - tvmaze.arrivals[0] >= 0.4  # the date was honoured (it has 1 s resolution)


async def test_a_long_retry_after_fails_at_once_and_holds_every_call(
    tvmaze: LoopbackTVmaze, client: TVmaze
) -> None:
    show_id = severance(tvmaze)
    tvmaze.fail("429", retry_after="3600")
    with pytest.raises(TVmazeUnavailable, match="rate limiting the bot for 3600 s"):
        await asyncio.wait_for(client.show(show_id), GUARD)
    with pytest.raises(TVmazeUnavailable, match="wait 3600 s more"):
        await asyncio.wait_for(client.episodes(show_id), GUARD)
    assert tvmaze.count() == 1  # the second call never went out
    assert await client.suggest("severance") == []  # and autocomplete answers at once, empty


async def test_500_is_retried_with_backoff(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    show_id = severance(tvmaze)
    tvmaze.fail("500", times=2)
    assert len(await asyncio.wait_for(client.episodes(show_id), GUARD)) == 4
    assert tvmaze.count() == 3


async def test_an_outage_raises_a_clear_error(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    show_id = severance(tvmaze)
    tvmaze.fail("500", times=10)
    with pytest.raises(
        TVmazeUnavailable, match=rf"did not answer /shows/{show_id}/episodes: HTTP 500 \(3 tries\)"
    ):
        await asyncio.wait_for(client.episodes(show_id), GUARD)
    assert tvmaze.count() == 3


async def test_a_hang_times_out_instead_of_blocking(tvmaze: LoopbackTVmaze) -> None:
    show_id = severance(tvmaze)
    tvmaze.fail("hang", times=5)
    async with client_for(tvmaze, timeout=0.2, attempts=2) as client:
        with pytest.raises(TVmazeUnavailable, match=r"no answer within 0.2 s \(2 tries\)"):
            await asyncio.wait_for(client.show(show_id), GUARD)
    assert tvmaze.count() == 2
    tvmaze.release_hangs()


async def test_a_refused_connection_is_an_outage(tvmaze: LoopbackTVmaze) -> None:
    url = tvmaze.url
    await tvmaze.stop()
    async with TVmaze(url, timeout=1.0, attempts=2, backoff=0.01) as client:
        with pytest.raises(TVmazeUnavailable, match="connection failed"):
            await asyncio.wait_for(client.show(1), GUARD)


# -- the cache ---------------------------------------------------------------------------------
async def test_many_servers_following_one_show_cost_one_fetch(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    show_id = severance(tvmaze)
    tvmaze.fail("slow", delay=0.2)  # so the callers really do overlap
    lists = await asyncio.wait_for(asyncio.gather(*(client.episodes(show_id) for _ in range(500))), GUARD)
    assert all(episodes == lists[0] for episodes in lists)
    assert tvmaze.count(f"/shows/{show_id}/episodes") == 1
    await client.episodes(show_id)
    assert tvmaze.count(f"/shows/{show_id}/episodes") == 1
    assert client.calls == 1


async def test_updates_drop_only_the_shows_that_changed(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    moved = severance(tvmaze)
    steady = tvmaze.add_show("Steady")
    tvmaze.add_episode(steady, 1, 1, NOW + DAY)
    tvmaze.mark_updated(steady, at=NOW - 5 * DAY)
    await client.episodes(moved)
    await client.episodes(steady)
    tvmaze.set_airstamp(moved, 2, 1, NOW + 17 * DAY)
    await client.updated_since("day")
    refreshed = await client.episodes(moved)
    await client.episodes(steady)
    assert next(e for e in refreshed if (e.season, e.number) == (2, 1)).airs_at == NOW + 17 * DAY
    assert tvmaze.count(f"/shows/{moved}/episodes") == 2
    assert tvmaze.count(f"/shows/{steady}/episodes") == 1
    # A change stamped before our fetch (and outside the clock-skew margin) keeps the cache.
    tvmaze.mark_updated(moved, at=NOW - DAY // 2)
    await client.updated_since("day")
    await client.episodes(moved)
    assert tvmaze.count(f"/shows/{moved}/episodes") == 2


async def test_fresh_skips_the_cache_and_the_cache_expires(tvmaze: LoopbackTVmaze) -> None:
    show_id = severance(tvmaze)
    now = [1000.0]
    async with client_for(tvmaze, cache_ttl=60.0, clock=lambda: now[0]) as client:
        await client.episodes(show_id)
        await client.episodes(show_id, fresh=True)
        assert tvmaze.count("/shows/") == 2
        now[0] += 59
        await client.episodes(show_id)
        assert tvmaze.count("/shows/") == 2
        now[0] += 2
        await client.episodes(show_id)
        assert tvmaze.count("/shows/") == 3
        assert client.cached_episodes(show_id) is not None
        assert client.cached_episodes(12345) is None


async def test_a_failed_fetch_reaches_every_waiting_caller(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    show_id = severance(tvmaze)
    tvmaze.fail("500", times=3)
    results = await asyncio.gather(*(client.episodes(show_id) for _ in range(20)), return_exceptions=True)
    assert all(isinstance(r, TVmazeUnavailable) for r in results)
    assert tvmaze.count() == 3
    assert len(await client.episodes(show_id)) == 4  # and the next call tries again


# -- autocomplete ------------------------------------------------------------------------------
async def test_suggest_answers_from_the_cache_without_a_call(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    severance(tvmaze)
    assert [r.show.name for r in await client.suggest("Severance")] == ["Severance"]
    assert [r.show.name for r in await client.suggest("severance ")] == ["Severance"]
    assert tvmaze.count("/search") == 1
    assert await client.suggest("   ") == []


async def test_suggest_is_empty_or_cached_when_tvmaze_is_slow(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    severance(tvmaze)
    await client.suggest("severance")
    tvmaze.fail("slow", delay=1.0)
    started = asyncio.get_running_loop().time()
    # Nothing cached for "sev" itself, but "severance" was: it matches every word typed.
    assert [r.show.name for r in await client.suggest("sev", deadline=0.2)] == ["Severance"]
    assert [r.show.name for r in await client.suggest("slow horses", deadline=0.2)] == []
    assert asyncio.get_running_loop().time() - started < 1.0  # answered by the deadline, not by TVmaze
    calls = tvmaze.count("/search")
    # The slow answer lands in the cache for the next keystroke: a search joins the one in flight.
    assert [r.show.name for r in await asyncio.wait_for(client.search("sev"), GUARD)] == ["Severance"]
    assert tvmaze.count("/search") == calls
    assert [r.show.name for r in await client.suggest("sev")] == ["Severance"]
    assert tvmaze.count("/search") == calls


async def test_suggest_is_empty_when_tvmaze_hangs_or_fails(tvmaze: LoopbackTVmaze, client: TVmaze) -> None:
    severance(tvmaze)
    tvmaze.fail("hang")
    assert await asyncio.wait_for(client.suggest("severance", deadline=0.2), GUARD) == []
    tvmaze.fail("500")
    assert await asyncio.wait_for(client.suggest("horses", deadline=1.0), GUARD) == []
    tvmaze.release_hangs()


async def test_suggest_does_not_call_when_the_budget_is_spent(tvmaze: LoopbackTVmaze) -> None:
    severance(tvmaze)
    async with client_for(tvmaze, limiter=GlobalRateLimiter(1, 60.0, burst=1)) as client:
        await client.show(44933)
        assert await client.suggest("severance") == []
    assert tvmaze.count("/search") == 0


async def test_close_cancels_what_is_in_flight(tvmaze: LoopbackTVmaze) -> None:
    severance(tvmaze)
    tvmaze.fail("hang")
    client = client_for(tvmaze, timeout=30.0)
    assert await client.suggest("severance", deadline=0.1) == []
    assert tvmaze.hanging == 1
    await asyncio.wait_for(client.close(), GUARD)
    tvmaze.release_hangs()
