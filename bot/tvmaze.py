"""A small client for TVmaze's public API: typed shows and episodes, one call budget for the whole
process, retries that honour 429 Retry-After and back off on 5xx, a stated timeout on every call, and a
per-show cache, so 10,000 servers following one show cost one fetch.

TVmaze needs no key. Its data is CC BY-SA, so wherever the bot shows it, it credits `CREDIT`. It asks
clients to stay within about 20 calls per 10 seconds per IP and answers 429 beyond that; its staff
advise a 0.5 s gap between calls, and a back-off of about 2 s after a 429.

A release instant comes from `airstamp` alone (ISO 8601 with an offset), as UTC unix seconds. It is
never rebuilt from `airdate` + `airtime`, which are local to the channel and blank for many streamers;
this module does not even keep them. The shapes parsed here are TVmaze's own (see
tests/loopback/tvmaze.py for the real responses they were checked against).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import email.utils
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Generic, Literal, TypeVar, cast

import aiohttp

from . import __version__
from .config import DEFAULT_TVMAZE_URL
from .ratelimit import GlobalRateLimiter

__all__ = [
    "AUTOCOMPLETE_DEADLINE",
    "CALL_TIMEOUT",
    "CREDIT",
    "Channel",
    "Episode",
    "Externals",
    "SearchResult",
    "Show",
    "TVmaze",
    "TVmazeDataError",
    "TVmazeError",
    "TVmazeNotFound",
    "TVmazeUnavailable",
    "episodes_from_json",
    "episodes_to_json",
    "parse_airstamp",
    "parse_episode",
    "parse_show",
]

log = logging.getLogger(__name__)

T = TypeVar("T")
K = TypeVar("K")

CREDIT = "Schedule from TVmaze"
TVMAZE_LIMIT = 20  # calls per TVMAZE_PERIOD per IP: TVmaze's documented limit
TVMAZE_PERIOD = 10.0
TVMAZE_RATE = 18  # what the bot allows itself: two of headroom for arrival jitter, as for Discord
BACKGROUND_RATE = 14  # syncs use at most this many, leaving four for commands and autocomplete
CALL_TIMEOUT = 10.0  # seconds for one HTTP request, connect to last byte
ATTEMPTS = 3  # tries per call, for 429, 5xx, timeouts and connection errors
BACKOFF = 1.0  # seconds before the second try after a 5xx or a timeout; doubled for each further try
RATE_LIMITED_WAIT = 2.0  # seconds after a 429 that carries no Retry-After (TVmaze's advice)
MAX_RETRY_AFTER = 60.0  # a longer Retry-After fails the call at once (and still pauses every call)
AUTOCOMPLETE_DEADLINE = 2.0  # seconds; Discord drops an autocomplete answer after 3
CACHE_TTL = 24 * 3600.0  # seconds a show's episode list is trusted without news from /updates/shows
SEARCH_TTL = 3600.0
SEARCH_CACHE_SIZE = 512
CLOCK_SKEW = 120.0  # seconds: an update stamped this close before our fetch may not have been in it
UpdatesPeriod = Literal["day", "week", "month"]


# -- errors ------------------------------------------------------------------------------------
class TVmazeError(Exception):
    """TVmaze could not give an answer; the message says why, in words a moderator can read."""


class TVmazeUnavailable(TVmazeError):
    """TVmaze timed out, failed (5xx), refused the connection or kept rate limiting us."""


class TVmazeNotFound(TVmazeError):
    """TVmaze has no such show (HTTP 404)."""


class TVmazeDataError(TVmazeError):
    """TVmaze answered with something that is not its documented shape; nothing of it is used."""


# -- records -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Channel:
    """Where a show airs: a broadcast network, or a web channel (a streamer)."""

    name: str
    country: str | None  # ISO 3166 code, "US"; None for a streamer that is the same everywhere
    streaming: bool


@dataclass(frozen=True, slots=True)
class Externals:
    """The show's ids elsewhere, when TVmaze knows them."""

    imdb: str | None = None
    thetvdb: int | None = None
    tvrage: int | None = None


@dataclass(frozen=True, slots=True)
class Show:
    id: int
    name: str
    premiered: dt.date | None
    status: str  # "Running", "Ended", "To Be Determined", "In Development"
    channel: Channel | None  # the network if it has one, else the web channel
    schedule_time: str  # "21:00" in the channel's zone, "" when TVmaze has none (typical of streamers)
    schedule_days: tuple[str, ...]
    externals: Externals
    updated: int  # unix seconds of TVmaze's last change to the show or any of its episodes
    url: str | None = None

    @property
    def year(self) -> int | None:
        return None if self.premiered is None else self.premiered.year


@dataclass(frozen=True, slots=True)
class Episode:
    id: int
    season: int
    number: int | None  # None for a special
    type: str  # "regular", "significant_special" or "insignificant_special"
    name: str
    airs_at: int | None  # the release instant, UTC unix seconds, from airstamp; None while TBA
    runtime: int | None = None

    @property
    def is_special(self) -> bool:
        return self.number is None


@dataclass(frozen=True, slots=True)
class SearchResult:
    score: float
    show: Show


# -- parsing -----------------------------------------------------------------------------------
def _field(data: Mapping[str, Any], key: str, kinds: type | tuple[type, ...], where: str) -> Any:
    if key not in data:
        raise TVmazeDataError(f"TVmaze sent {where} without `{key}`.")
    value = data[key]
    if value is None and (kinds is type(None) or (isinstance(kinds, tuple) and type(None) in kinds)):
        return None
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise TVmazeDataError(
            f"TVmaze sent {where} with `{key}` = {value!r}, which is not its documented type."
        )
    return value


def _object(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TVmazeDataError(f"TVmaze sent {where} as {type(value).__name__}, not an object.")
    return cast(Mapping[str, Any], value)


def _channel(value: Any, streaming: bool, where: str) -> Channel | None:
    if value is None:
        return None
    data = _object(value, where)
    country = data.get("country")
    code = None
    if country is not None:
        code = _field(_object(country, f"{where}.country"), "code", (str, type(None)), f"{where}.country")
    return Channel(str(_field(data, "name", str, where)), code, streaming)


def parse_airstamp(value: str | None, where: str = "an episode") -> int | None:
    """TVmaze's airstamp ("2016-07-15T12:00:00+00:00") as UTC unix seconds; None (or "") is a date TBA.

    A stamp without an offset is refused rather than guessed at: the offset is what makes it an instant.
    """
    if value is None or value == "":
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise TVmazeDataError(
            f"TVmaze sent {where} with airstamp {value!r}, which is not ISO 8601."
        ) from None
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise TVmazeDataError(f"TVmaze sent {where} with airstamp {value!r}, which has no UTC offset.")
    return int(parsed.timestamp())


def parse_show(value: Any) -> Show:
    """One show object, as /shows/{id}, /singlesearch/shows and each search result carry it."""
    data = _object(value, "a show")
    show_id = _field(data, "id", int, "a show")
    where = f"show {show_id}"
    premiered_text = _field(data, "premiered", (str, type(None)), where)
    try:
        premiered = dt.date.fromisoformat(premiered_text) if premiered_text else None
    except ValueError:
        raise TVmazeDataError(f"TVmaze sent {where} with premiered {premiered_text!r}, not a date.") from None
    network = _channel(data.get("network"), False, f"{where}.network")
    web = _channel(data.get("webChannel"), True, f"{where}.webChannel")
    schedule = _object(data.get("schedule") or {}, f"{where}.schedule")
    externals = _object(data.get("externals") or {}, f"{where}.externals")
    days = schedule.get("days") or []
    return Show(
        id=show_id,
        name=_field(data, "name", str, where),
        premiered=premiered,
        status=str(data.get("status") or ""),
        channel=network or web,
        schedule_time=str(schedule.get("time") or ""),
        schedule_days=tuple(str(d) for d in days) if isinstance(days, list) else (),
        externals=Externals(
            imdb=_field(externals, "imdb", (str, type(None)), where) if "imdb" in externals else None,
            thetvdb=_field(externals, "thetvdb", (int, type(None)), where)
            if "thetvdb" in externals
            else None,
            tvrage=_field(externals, "tvrage", (int, type(None)), where) if "tvrage" in externals else None,
        ),
        updated=_field(data, "updated", int, where),
        url=data.get("url") if isinstance(data.get("url"), str) else None,
    )


def parse_episode(value: Any) -> Episode:
    """One episode object, as /shows/{id}/episodes lists them."""
    data = _object(value, "an episode")
    episode_id = _field(data, "id", int, "an episode")
    where = f"episode {episode_id}"
    runtime = data.get("runtime")
    return Episode(
        id=episode_id,
        season=_field(data, "season", int, where),
        number=_field(data, "number", (int, type(None)), where),
        type=str(data.get("type") or "regular"),
        name=str(_field(data, "name", (str, type(None)), where) or ""),
        airs_at=parse_airstamp(_field(data, "airstamp", (str, type(None)), where), where),
        runtime=runtime if isinstance(runtime, int) and not isinstance(runtime, bool) else None,
    )


def episodes_to_json(episodes: tuple[Episode, ...]) -> str:
    """An episode list as the bot keeps it across restarts (its own compact form, not TVmaze's)."""
    return json.dumps(
        [[e.id, e.season, e.number, e.type, e.name, e.airs_at, e.runtime] for e in episodes],
        separators=(",", ":"),
    )


def episodes_from_json(text: str) -> tuple[Episode, ...]:
    """The list `episodes_to_json` wrote; TVmazeDataError if it is not that."""
    try:
        return tuple(
            Episode(id=i, season=s, number=n, type=t, name=name, airs_at=at, runtime=r)
            for i, s, n, t, name, at, r in json.loads(text)
        )
    except (ValueError, TypeError) as exc:
        raise TVmazeDataError(f"a stored episode list is damaged ({exc}).") from None


def _parse_list(value: Any, what: str) -> list[Any]:
    if not isinstance(value, list):
        raise TVmazeDataError(f"TVmaze sent {what} as {type(value).__name__}, not a list.")
    return value


def _parse_updates(value: Any) -> dict[int, int]:
    data = _object(value, "the show updates")
    updates: dict[int, int] = {}
    for key, stamp in data.items():
        if not str(key).isdigit() or isinstance(stamp, bool) or not isinstance(stamp, int):
            raise TVmazeDataError(f"TVmaze sent a show update {key!r}: {stamp!r}, not an id and a time.")
        updates[int(key)] = stamp
    return updates


def _retry_after(header: str | None, now: float) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date (RFC 9110)."""
    if header is None:
        return None
    text = header.strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now)


def _normalise(query: str) -> str:
    return " ".join(query.casefold().split())[:100]


# -- the client --------------------------------------------------------------------------------
@dataclass(slots=True)
class _Cached(Generic[T]):
    value: T
    fetched_at: float  # wall-clock seconds


class _Refused(Exception):
    """One try failed in a way worth another try after `wait` seconds."""

    def __init__(self, reason: str, wait: float) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


class TVmaze:
    """The process's one way to TVmaze. Open it once (main.py or setup_hook) and share it.

    Every call goes through one sliding window of 18 calls per 10 s (TVmaze allows 20). Calls made
    with `background=True` (syncs) also go through a window of 14, so a long sync leaves room for
    commands and autocomplete. A call tries up to `attempts` times: a 429 waits for Retry-After
    (and pauses every call meanwhile), a 5xx, timeout or refused connection waits `backoff`, then
    twice that. Each try is bounded by `timeout`; a call never waits on TVmaze longer than about
    attempts * timeout + the waits, and then raises TVmazeUnavailable. Waiting for the budget is
    not bounded: that is what keeps the bot within TVmaze's limit.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_TVMAZE_URL,
        *,
        limiter: GlobalRateLimiter | None = None,
        background_limiter: GlobalRateLimiter | None = None,
        timeout: float = CALL_TIMEOUT,
        attempts: int = ATTEMPTS,
        backoff: float = BACKOFF,
        rate_limited_wait: float = RATE_LIMITED_WAIT,
        max_retry_after: float = MAX_RETRY_AFTER,
        cache_ttl: float = CACHE_TTL,
        clock: Callable[[], float] = time.time,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        if attempts < 1 or timeout <= 0:
            raise ValueError("attempts must be at least 1 and timeout positive")
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter or GlobalRateLimiter(TVMAZE_RATE, TVMAZE_PERIOD, name="TVmaze")
        self.background_limiter = background_limiter or GlobalRateLimiter(
            BACKGROUND_RATE, TVMAZE_PERIOD, name="TVmaze sync"
        )
        self.timeout = timeout
        self.attempts = attempts
        self.backoff = backoff
        self.rate_limited_wait = rate_limited_wait
        self.max_retry_after = max_retry_after
        self.cache_ttl = cache_ttl
        self.clock = clock
        self._session = session
        self._own_session = session is None
        self._paused_until = 0.0  # loop time before which no call goes out (a 429's Retry-After)
        self._inflight: dict[tuple[str, object], asyncio.Future[Any]] = {}
        self._shows: dict[int, _Cached[Show]] = {}
        self._episodes: dict[int, _Cached[tuple[Episode, ...]]] = {}
        self._searches: collections.OrderedDict[str, _Cached[tuple[SearchResult, ...]]] = (
            collections.OrderedDict()
        )
        self.calls = 0  # HTTP requests sent, retries included
        self.cache_hits = 0

    # -- lifecycle ---------------------------------------------------------------------------
    async def __aenter__(self) -> TVmaze:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Cancel what is still in flight and close the HTTP session if this client opened it."""
        pending = list(self._inflight.values())
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if self._session is not None and self._own_session:
            await self._session.close()
        self._session = None

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                headers={
                    "User-Agent": f"Cliffhanger/{__version__} (Discord bot)",
                    "Accept": "application/json",
                }
            )
            self._own_session = True
        return self._session

    # -- the API -----------------------------------------------------------------------------
    async def search(self, query: str, *, background: bool = False) -> list[SearchResult]:
        """Shows whose names match `query`, best first (TVmaze returns at most 10)."""
        key, known = self._known_search(query)
        if known is not None:
            return known
        results = await self._once(("search", key), lambda: self._fetch_search(key, background, None))
        return list(results)

    async def suggest(self, query: str, *, deadline: float = AUTOCOMPLETE_DEADLINE) -> list[SearchResult]:
        """For autocomplete: answers within `deadline` seconds, every time, and never raises.

        From the cache at once when it can. Otherwise one search, if the call budget has room and no
        429 pause is on, awaited for at most `deadline`; a slower answer still lands in the cache for
        the next keystroke. When TVmaze is slow, failing or the budget is spent, the answer is what
        earlier searches already cached that matches every word typed (often nothing).
        """
        key, known = self._known_search(query)
        if known is not None:
            return known
        loop = asyncio.get_running_loop()
        if loop.time() < self._paused_until or not self.limiter.has_capacity():
            return self._from_cache(key)
        task = self._once_task(("search", key), lambda: self._fetch_search(key, False, 1))
        try:
            return list(await asyncio.wait_for(asyncio.shield(task), deadline))
        except (TimeoutError, TVmazeError):
            return self._from_cache(key)

    async def single_search(self, query: str, *, background: bool = False) -> Show | None:
        """The one show TVmaze thinks `query` means, or None when nothing matches (its 404)."""
        key = _normalise(query)
        if not key:
            return None
        try:
            data = await self._request("/singlesearch/shows", {"q": key}, background=background)
        except TVmazeNotFound:
            return None
        show = parse_show(data)
        self._shows[show.id] = _Cached(show, self.clock())
        return show

    async def show(self, show_id: int, *, fresh: bool = False, background: bool = False) -> Show:
        """One show by its TVmaze id; TVmazeNotFound if TVmaze has none."""
        cached = None if fresh else self._fresh(self._shows, show_id, self.cache_ttl)
        if cached is not None:
            return cached
        return await self._once(("show", show_id), lambda: self._fetch_show(show_id, background))

    async def episodes(
        self, show_id: int, *, fresh: bool = False, background: bool = False
    ) -> tuple[Episode, ...]:
        """Every episode of a show, specials included (`number` None), in TVmaze's order.

        Cached per show: any number of servers following it share one fetch, and callers arriving
        while it is in flight wait for that same fetch. `fresh=True` skips the cache (a moderator's
        "sync now"); `updated_since` drops the entries of shows that changed.
        """
        cached = None if fresh else self._fresh(self._episodes, show_id, self.cache_ttl)
        if cached is not None:
            return cached
        return await self._once(("episodes", show_id), lambda: self._fetch_episodes(show_id, background))

    async def updated_since(
        self, period: UpdatesPeriod = "day", *, background: bool = False
    ) -> dict[int, int]:
        """{show id: TVmaze's last change, unix seconds} for the shows changed in the last day (week,
        month). Cached shows that changed after they were fetched are dropped from the cache, so a
        sync costs this one call plus one episode list per changed show that someone follows."""
        if period not in ("day", "week", "month"):
            raise ValueError("period is day, week or month")
        updates = _parse_updates(
            await self._request("/updates/shows", {"since": period}, background=background)
        )
        for cache in (self._episodes, self._shows):
            stale = [
                sid for sid, entry in cache.items() if updates.get(sid, -1) >= entry.fetched_at - CLOCK_SKEW
            ]
            for sid in stale:
                del cache[sid]
        return updates

    def cached_episodes(self, show_id: int) -> tuple[Episode, ...] | None:
        """The last episode list fetched for a show, however old, without a call (None if none)."""
        entry = self._episodes.get(show_id)
        return None if entry is None else entry.value

    def episodes_fetched_at(self, show_id: int) -> float | None:
        """When the cached episode list of a show was fetched (this client's clock), or None."""
        entry = self._episodes.get(show_id)
        return None if entry is None else entry.fetched_at

    def remember_episodes(self, show_id: int, episodes: tuple[Episode, ...], fetched_at: float) -> None:
        """Seed the cache with a list fetched earlier (kept across a restart), unless it holds a
        newer one. `updated_since` and the cache's age decide when it is fetched again, as for any."""
        entry = self._episodes.get(show_id)
        if entry is None or entry.fetched_at < fetched_at:
            self._episodes[show_id] = _Cached(episodes, fetched_at)

    @property
    def paused_for(self) -> float:
        """Seconds every call still waits because of a 429's Retry-After (0 when none)."""
        return max(0.0, self._paused_until - asyncio.get_running_loop().time())

    def _known_search(self, query: str) -> tuple[str, list[SearchResult] | None]:
        """The normalised query, and its answer if that needs no call (empty query, or cached)."""
        key = _normalise(query)
        if not key:
            return key, []
        cached = self._fresh(self._searches, key, SEARCH_TTL)
        return key, None if cached is None else list(cached)

    def _fresh(self, cache: Mapping[K, _Cached[T]], key: K, ttl: float) -> T | None:
        """A cached value younger than `ttl` seconds (counted as a hit), or None."""
        entry = cache.get(key)
        if entry is None or self.clock() - entry.fetched_at >= ttl:
            return None
        self.cache_hits += 1
        if isinstance(cache, collections.OrderedDict):
            cache.move_to_end(key)  # least recently used goes first
        return entry.value

    # -- fetchers ----------------------------------------------------------------------------
    async def _fetch_search(
        self, key: str, background: bool, attempts: int | None
    ) -> tuple[SearchResult, ...]:
        data = await self._request("/search/shows", {"q": key}, background=background, attempts=attempts)
        results = []
        for item in _parse_list(data, "the search results"):
            entry = _object(item, "a search result")
            score = entry.get("score")
            if isinstance(score, bool) or not isinstance(score, int | float):
                raise TVmazeDataError(f"TVmaze sent a search result with score {score!r}, not a number.")
            results.append(SearchResult(float(score), parse_show(entry.get("show"))))
        found = tuple(results)
        now = self.clock()
        self._searches[key] = _Cached(found, now)
        self._searches.move_to_end(key)
        while len(self._searches) > SEARCH_CACHE_SIZE:
            self._searches.popitem(last=False)
        for result in found:
            self._shows[result.show.id] = _Cached(result.show, now)
        return found

    async def _fetch_show(self, show_id: int, background: bool) -> Show:
        show = parse_show(await self._request(f"/shows/{int(show_id)}", background=background))
        self._shows[show_id] = _Cached(show, self.clock())
        return show

    async def _fetch_episodes(self, show_id: int, background: bool) -> tuple[Episode, ...]:
        started = self.clock()
        data = await self._request(
            f"/shows/{int(show_id)}/episodes", {"specials": "1"}, background=background
        )
        episodes = tuple(parse_episode(e) for e in _parse_list(data, f"show {show_id}'s episodes"))
        self._episodes[show_id] = _Cached(episodes, started)
        return episodes

    def _from_cache(self, key: str) -> list[SearchResult]:
        """Shows from earlier searches whose names hold every word of `key`, best score first."""
        words = key.split()
        found: dict[int, SearchResult] = {}
        for entry in reversed(self._searches.values()):
            for result in entry.value:
                name = result.show.name.casefold()
                if all(w in name for w in words) and result.show.id not in found:
                    found[result.show.id] = result
        return sorted(found.values(), key=lambda r: -r.score)[:10]

    # -- one flight per key --------------------------------------------------------------------
    def _once_task(self, key: tuple[str, object], start: Callable[[], Awaitable[T]]) -> asyncio.Future[T]:
        """The fetch already in flight for `key`, or a new one; it outlives a caller who gives up."""
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.ensure_future(start())
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._landed(key, done))
        return cast(asyncio.Future[T], task)

    async def _once(self, key: tuple[str, object], start: Callable[[], Awaitable[T]]) -> T:
        return await asyncio.shield(self._once_task(key, start))

    def _landed(self, key: tuple[str, object], task: asyncio.Future[Any]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: a caller who gave up must not leave "never retrieved" behind

    # -- HTTP ----------------------------------------------------------------------------------
    async def _request(
        self,
        path: str,
        params: Mapping[str, str] | None = None,
        *,
        background: bool = False,
        attempts: int | None = None,
    ) -> Any:
        """GET one TVmaze path within the budget, with the retry rules above; the parsed JSON."""
        tries = self.attempts if attempts is None else attempts
        reasons: list[str] = []
        for attempt in range(tries):
            await self._take_turn(background)
            try:
                return await self._get_once(path, params)
            except _Refused as refused:
                reasons.append(refused.reason)
                wait = refused.wait if refused.wait >= 0 else self.backoff * 2**attempt
                if attempt + 1 < tries:
                    log.info("TVmaze %s: %s; trying again in %.1f s", path, refused.reason, wait)
                    await asyncio.sleep(wait)
        raise TVmazeUnavailable(
            f"TVmaze did not answer {path}: {reasons[-1]} ({tries} {'try' if tries == 1 else 'tries'})."
        )

    async def _take_turn(self, background: bool) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(self.attempts):  # a 429 that lands while we wait extends the pause
            pause = self._paused_until - loop.time()
            if pause <= 0:
                break
            if pause > self.max_retry_after:
                raise TVmazeUnavailable(
                    f"TVmaze asked the bot to wait {pause:.0f} s more before calling again (HTTP 429)."
                )
            await asyncio.sleep(pause)
        if background:
            await self.background_limiter.acquire()
        await self.limiter.acquire()

    async def _get_once(self, path: str, params: Mapping[str, str] | None) -> Any:
        self.calls += 1
        try:
            async with self._http().get(
                self.base_url + path, params=params, timeout=aiohttp.ClientTimeout(total=self.timeout)
            ) as response:
                if response.status == 200:
                    try:
                        return await response.json(content_type=None)
                    except ValueError:
                        raise TVmazeDataError(
                            f"TVmaze answered {path} with something that is not JSON."
                        ) from None
                if response.status == 404:
                    raise TVmazeNotFound(f"TVmaze has nothing at {path}.")
                if response.status == 429:
                    raise self._rate_limited(response.headers.get("Retry-After"))
                if response.status >= 500:
                    raise _Refused(f"HTTP {response.status}", -1)
                raise TVmazeError(f"TVmaze refused {path} with HTTP {response.status}.")
        except TimeoutError:
            raise _Refused(f"no answer within {self.timeout:g} s", -1) from None
        except aiohttp.ClientError as exc:
            raise _Refused(f"connection failed ({type(exc).__name__})", -1) from None

    def _rate_limited(self, header: str | None) -> Exception:
        loop = asyncio.get_running_loop()
        wait = _retry_after(header, time.time())
        if wait is None:
            wait = self.rate_limited_wait
        self._paused_until = max(self._paused_until, loop.time() + wait)
        if wait > self.max_retry_after:
            return TVmazeUnavailable(f"TVmaze is rate limiting the bot for {wait:.0f} s (HTTP 429).")
        log.warning("TVmaze rate limited the bot (HTTP 429); every call waits %.1f s", wait)
        return _Refused(f"rate limited (HTTP 429, Retry-After {wait:g} s)", 0)
