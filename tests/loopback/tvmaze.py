"""A loopback TVmaze: an aiohttp server on 127.0.0.1 serving TVmaze's own response shapes, with the
controls tests need (move, add and remove episodes, mark a show updated, answer 429 with
Retry-After, answer 500, hang) and a count of every call it received.

It refuses what TVmaze refuses: more than `rate` calls in any `period` seconds get a 429 (TVmaze:
about 20 per 10 s per IP), an unknown show is a 404 with TVmaze's error body, a search without `q` is
a 400, and specials are listed only when asked for with `specials=1`.

The shapes below were read from real TVmaze responses kept in public code (not copied; the values
here are our own):
- search, `[{score, show}]`, and `/updates/shows`, `{"<show id>": <unix seconds>}`:
  andy-miles/tvmaze-java-client, src/test/resources/Show/ResultList.json and
  src/test/resources/Updates.json.
- a show on a broadcaster: `network` {id, name, country {name, code, timezone}, officialSite},
  `webChannel` null, `schedule` {time, days}, `externals` {tvrage, thetvdb, imdb}, `updated`:
  Bozena611/TV-shows_DOM-Project, shows.js (/shows/198), and nonogv/tvmaze,
  src/app/mocks/store.mock.ts (with `ended`, `averageRuntime`, `dvdCountry`).
- a show on a streamer: `network` null, `webChannel` {"id": 1, "name": "Netflix", "country": null},
  `schedule` {"time": "", "days": []}: a capture of /shows/45499 in a public course file (the search
  tool did not name its repository).
- `/singlesearch/shows?q=` answers one show object (no score) or a 404: TVmaze's API documentation.
- episodes: Perezented/React-Testing-TV-Show, src/App.test.js (Stranger Things, captured from
  /shows/2993?embed=episodes: every episode of a season sharing one airstamp
  "2016-07-15T12:00:00+00:00" with airtime "", and S4E1 before it was dated: airdate "",
  airtime "", airstamp null). A special, `number` null and `type` "significant_special" with an
  airstamp (Doctor Who's "A Christmas Carol", episode 13977), came from a Swift test whose repository
  the search tool did not name.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import itertools
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from aiohttp import web

FaultKind = Literal["429", "500", "hang", "slow"]
DAY = 86_400
SINCE = {"day": DAY, "week": 7 * DAY, "month": 30 * DAY}


# -- shapes ------------------------------------------------------------------------------------
def airstamp(at: int | None) -> str | None:
    """Unix seconds as TVmaze writes an airstamp: ISO 8601 with a +00:00 offset."""
    if at is None:
        return None
    return dt.datetime.fromtimestamp(at, dt.UTC).isoformat()


def channel_json(
    name: str, *, channel_id: int, country: tuple[str, str, str] | None, site: str | None = None
) -> dict[str, Any]:
    """A `network` or `webChannel` object; `country` is (name, code, IANA zone), or None for a streamer."""
    return {
        "id": channel_id,
        "name": name,
        "country": None
        if country is None
        else {"name": country[0], "code": country[1], "timezone": country[2]},
        "officialSite": site,
    }


US = ("United States", "US", "America/New_York")
GB = ("United Kingdom", "GB", "Europe/London")
NETWORKS = {
    "AMC": channel_json("AMC", channel_id=20, country=US, site="https://www.amc.com/"),
    "HBO": channel_json("HBO", channel_id=8, country=US, site="https://www.hbo.com/"),
    "BBC One": channel_json("BBC One", channel_id=12, country=GB, site="https://www.bbc.co.uk/bbcone"),
}
WEB_CHANNELS = {
    "Netflix": channel_json("Netflix", channel_id=1, country=None, site="https://www.netflix.com/"),
    "Apple TV+": channel_json("Apple TV+", channel_id=310, country=None, site="https://tv.apple.com/"),
}


def show_json(
    show_id: int,
    name: str,
    *,
    premiered: str | None,
    network: str | None = None,
    web_channel: str | None = None,
    status: str = "Running",
    schedule_time: str = "",
    schedule_days: Iterable[str] = (),
    updated: int,
    imdb: str | None = None,
) -> dict[str, Any]:
    """A show object as /shows/{id} answers it (every field TVmaze sends, ours filled in)."""
    slug = "-".join(name.lower().split())
    return {
        "id": show_id,
        "url": f"https://www.tvmaze.com/shows/{show_id}/{slug}",
        "name": name,
        "type": "Scripted",
        "language": "English",
        "genres": ["Drama"],
        "status": status,
        "runtime": 60,
        "averageRuntime": 58,
        "premiered": premiered,
        "ended": None,
        "officialSite": None,
        "schedule": {"time": schedule_time, "days": list(schedule_days)},
        "rating": {"average": None},
        "weight": 90,
        "network": None if network is None else NETWORKS[network],
        "webChannel": None if web_channel is None else WEB_CHANNELS[web_channel],
        "dvdCountry": None,
        "externals": {"tvrage": None, "thetvdb": None, "imdb": imdb},
        "image": None,
        "summary": f"<p>{name}, a loopback show.</p>",
        "updated": updated,
        "_links": {"self": {"href": f"https://api.tvmaze.com/shows/{show_id}"}},
    }


def episode_json(
    episode_id: int,
    season: int,
    number: int | None,
    *,
    at: int | str | None,
    name: str | None = None,
    zone: str | None = None,
    runtime: int | None = 60,
    kind: str | None = None,
) -> dict[str, Any]:
    """An episode object as /shows/{id}/episodes lists it.

    `at` is unix seconds, an airstamp string as TVmaze would send it, or None (date TBA: then airdate
    and airtime are "" and airstamp null). airdate/airtime are local to `zone` (the network's),
    and airtime is "" without a zone, as for streamers.
    """
    stamp = at if isinstance(at, str) else airstamp(at)
    airdate = airtime = ""
    if stamp is not None:
        instant = dt.datetime.fromisoformat(stamp)
        local = instant.astimezone(ZoneInfo(zone)) if zone else instant
        airdate = local.date().isoformat()
        airtime = local.strftime("%H:%M") if zone else ""
    special = number is None
    return {
        "id": episode_id,
        "url": f"https://www.tvmaze.com/episodes/{episode_id}",
        "name": name if name is not None else ("Special" if special else f"Episode {number}"),
        "season": season,
        "number": number,
        "type": kind or ("significant_special" if special else "regular"),
        "airdate": airdate,
        "airtime": airtime,
        "airstamp": stamp,
        "runtime": runtime,
        "rating": {"average": None},
        "image": None,
        "summary": None,
        "_links": {"self": {"href": f"https://api.tvmaze.com/episodes/{episode_id}"}},
    }


def not_found() -> web.Response:
    """TVmaze's 404 body."""
    return web.json_response({"name": "Not Found", "message": "", "code": 0, "status": 404}, status=404)


# -- the server --------------------------------------------------------------------------------
@dataclass
class Fault:
    kind: FaultKind
    times: int
    retry_after: str | None = None
    path: str | None = None  # only requests whose path starts with this
    delay: float = 0.0  # "slow": answer normally after this many seconds


class LoopbackTVmaze:
    """TVmaze on 127.0.0.1. Build shows with `add_show`/`add_episode`, serve with `running(tv)`."""

    def __init__(
        self, *, rate: int = 20, period: float = 10.0, clock: Callable[[], float] = time.time
    ) -> None:
        self.rate = rate
        self.period = period
        self.clock = clock
        self.shows: dict[int, dict[str, Any]] = {}
        self.episodes: dict[int, list[dict[str, Any]]] = {}
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.arrivals: list[float] = []  # time.monotonic() of each call, in order
        self.faults: collections.deque[Fault] = collections.deque()
        self.throttled = 0  # 429s answered because the caller went over `rate`
        self.hanging = 0  # requests accepted and not answered right now
        self._window: collections.deque[float] = collections.deque()
        self._release = asyncio.Event()
        self._ids = itertools.count(1000)
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- the world ---------------------------------------------------------------------------
    def add_show(
        self,
        name: str,
        *,
        premiered: str | None = "2022-02-18",
        network: str | None = None,
        web_channel: str | None = None,
        show_id: int | None = None,
        **fields: Any,
    ) -> int:
        show_id = show_id if show_id is not None else next(self._ids)
        self.shows[show_id] = show_json(
            show_id,
            name,
            premiered=premiered,
            network=network,
            web_channel=web_channel,
            updated=int(self.clock()) - 20 * DAY,  # changed this month, not this week
            **fields,
        )
        self.episodes[show_id] = []
        return show_id

    def _zone(self, show_id: int) -> str | None:
        network = self.shows[show_id]["network"]
        return None if network is None or network["country"] is None else network["country"]["timezone"]

    def add_episode(
        self, show_id: int, season: int, number: int | None, at: int | str | None, *, name: str | None = None
    ) -> dict[str, Any]:
        """Add an episode (number None: a special), and mark the show updated, as TVmaze does."""
        if number is not None and self.find(show_id, season, number) is not None:
            raise ValueError(f"S{season}E{number} is already there")
        episode = episode_json(next(self._ids), season, number, at=at, name=name, zone=self._zone(show_id))
        self.episodes[show_id].append(episode)
        self.episodes[show_id].sort(key=_airing_order)
        self.mark_updated(show_id)
        return episode

    def add_season(
        self, show_id: int, season: int, first: int, count: int, *, every: int = 7 * DAY
    ) -> list[dict[str, Any]]:
        """`count` episodes from `first` (unix seconds), `every` seconds apart (0: a streaming drop)."""
        return [self.add_episode(show_id, season, n + 1, first + n * every) for n in range(count)]

    def find(self, show_id: int, season: int, number: int) -> dict[str, Any] | None:
        return next(
            (e for e in self.episodes[show_id] if e["season"] == season and e["number"] == number), None
        )

    def set_airstamp(self, show_id: int, season: int, number: int, at: int | str | None) -> None:
        """Move an episode (None: back to TBA) and mark the show updated."""
        old = self.find(show_id, season, number)
        if old is None:
            raise KeyError(f"no S{season}E{number}")
        new = episode_json(old["id"], season, number, at=at, name=old["name"], zone=self._zone(show_id))
        self.episodes[show_id][self.episodes[show_id].index(old)] = new
        self.episodes[show_id].sort(key=_airing_order)
        self.mark_updated(show_id)

    def remove_episode(self, show_id: int, season: int, number: int) -> None:
        old = self.find(show_id, season, number)
        if old is None:
            raise KeyError(f"no S{season}E{number}")
        self.episodes[show_id].remove(old)
        self.mark_updated(show_id)

    def mark_updated(self, show_id: int, at: int | None = None) -> None:
        """Stamp the show as changed (now, or `at`): it shows up in /updates/shows."""
        self.shows[show_id]["updated"] = int(self.clock()) if at is None else at

    # -- faults ------------------------------------------------------------------------------
    def fail(
        self,
        kind: FaultKind,
        times: int = 1,
        *,
        retry_after: str | None = None,
        path: str | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer the next `times` requests (to `path...` only, if given) with a 429 (with `retry_after`
        as its Retry-After header), a 500, nothing at all ("hang"), or the answer `delay` s late ("slow")."""
        self.faults.append(Fault(kind, times, retry_after, path, delay))

    def release_hangs(self) -> None:
        """Let hanging requests go (they get a 500, as a dropped backend would)."""
        self._release.set()
        self._release = asyncio.Event()

    def forget_calls(self) -> None:
        """Start counting (and rate limiting) afresh, as after a quiet spell."""
        self.calls.clear()
        self.arrivals.clear()
        self._window.clear()

    def count(self, path_prefix: str = "/") -> int:
        """Calls received whose path starts with `path_prefix`."""
        return sum(1 for path, _ in self.calls if path.startswith(path_prefix))

    # -- serving -----------------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def _take_fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.path is None or path.startswith(fault.path):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def _over_rate(self) -> bool:
        now = time.monotonic()
        while self._window and now - self._window[0] >= self.period:
            self._window.popleft()
        if len(self._window) >= self.rate:
            return True
        self._window.append(now)
        return False

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        query = dict(request.query)
        self.calls.append((path, query))
        self.arrivals.append(time.monotonic())
        fault = self._take_fault(path)
        if fault is not None:
            if fault.kind == "hang":
                self.hanging += 1
                try:
                    await self._release.wait()
                finally:
                    self.hanging -= 1
                return web.json_response({"name": "Internal Server Error", "status": 500}, status=500)
            if fault.kind == "slow":
                await asyncio.sleep(fault.delay)
                return self._route(path, query)
            if fault.kind == "429":
                headers = {} if fault.retry_after is None else {"Retry-After": fault.retry_after}
                return web.json_response(
                    {"name": "Too Many Requests", "status": 429}, status=429, headers=headers
                )
            return web.json_response({"name": "Internal Server Error", "status": 500}, status=500)
        if self._over_rate():
            self.throttled += 1
            return web.json_response({"name": "Too Many Requests", "status": 429}, status=429)
        return self._route(path, query)

    def _route(self, path: str, query: dict[str, str]) -> web.Response:
        parts = path.strip("/").split("/")
        if parts in (["search", "shows"], ["singlesearch", "shows"]):
            if not query.get("q"):
                return web.json_response(
                    {
                        "name": "Bad Request",
                        "message": "Missing required parameters: q",
                        "code": 0,
                        "status": 400,
                    },
                    status=400,
                )
            matches = self._search(query["q"])
            if parts[0] == "search":
                return web.json_response([{"score": score, "show": show} for score, show in matches[:10]])
            return web.json_response(matches[0][1]) if matches else not_found()
        if parts == ["updates", "shows"]:
            horizon = SINCE.get(query.get("since", ""))
            oldest = -1 if horizon is None else self.clock() - horizon
            return web.json_response(
                {
                    str(sid): show["updated"]
                    for sid, show in self.shows.items()
                    if not isinstance(show["updated"], int) or show["updated"] >= oldest
                }
            )
        if len(parts) in (2, 3) and parts[0] == "shows" and parts[1].isdigit():
            show_id = int(parts[1])
            if show_id not in self.shows:
                return not_found()
            if len(parts) == 2:
                return web.json_response(self.shows[show_id])
            if parts[2] == "episodes":
                specials = query.get("specials") == "1"
                return web.json_response(
                    [e for e in self.episodes[show_id] if specials or e["number"] is not None]
                )
        return not_found()

    def _search(self, q: str) -> list[tuple[float, dict[str, Any]]]:
        words = q.casefold().split()
        found = []
        for show in self.shows.values():
            name = show["name"].casefold()
            hits = sum(1 for w in words if w in name)
            if hits:
                found.append((round(10 * hits / len(words) + 1 / len(name), 6), show))
        found.sort(key=lambda pair: (-pair[0], pair[1]["id"]))
        return found


def _airing_order(episode: dict[str, Any]) -> tuple[int, int, int]:
    """TVmaze lists episodes by season and number; here a season's specials come after it."""
    number = episode["number"]
    return (episode["season"], number if number is not None else 10**6, episode["id"])


@contextlib.asynccontextmanager
async def running(tv: LoopbackTVmaze) -> AsyncIterator[LoopbackTVmaze]:
    """Serve `tv` on 127.0.0.1 for the block."""
    await tv.start()
    try:
        yield tv
    finally:
        await tv.stop()
