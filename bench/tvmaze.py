"""What a TVmaze sync round costs, before any Discord work: calls to TVmaze and their wall time at
TVmaze's real limit, and the CPU time of planning each server's changes.

10,000 servers follow 500 distinct shows (20 each); 5% of the shows changed since the last round.
The loopback TVmaze refuses more than 20 calls per 10 s, as TVmaze does. The client's cache is warmed
first (outside the limit); a warm round is then /updates/shows plus one episode list per changed show.
A cold round (an empty cache, as after a restart today) costs one call per followed show; its time
is bounded below by the budget, so it is printed as computed, not measured.

    .venv/bin/python -m bench.tvmaze --runs 3
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time

from bot.episodes import EpisodeCode
from bot.ratelimit import GlobalRateLimiter
from bot.showsync import Held, Scheduled, plan_sync
from bot.tvmaze import BACKGROUND_RATE, TVMAZE_PERIOD, TVMAZE_RATE, Episode, TVmaze
from tests.loopback.tvmaze import DAY, LoopbackTVmaze, running

from .common import machine, summary

SERVERS = 10_000
SHOWS = 500
CHANGED = 0.05
EPISODES = 60  # six seasons of ten; the last one upcoming and weekly


def build(tv: LoopbackTVmaze, now: int) -> list[int]:
    ids = []
    for n in range(SHOWS):
        show_id = tv.add_show(f"Show {n}", network="AMC")
        for season in range(1, EPISODES // 10 + 1):
            first = now + (season - 6) * 365 * DAY + 3 * DAY
            tv.add_season(show_id, season, first, 10)
        tv.mark_updated(show_id, at=now - 3 * DAY)
        ids.append(show_id)
    return ids


async def sync_round(client: TVmaze, followed: list[int]) -> tuple[int, float]:
    """One warm round: which shows changed, then the episode lists of those (all at once, as 10,000
    servers asking would; the cache and the single flight make it one call per show)."""
    calls, started = client.calls, time.perf_counter()
    changed = await client.updated_since("day", background=True)
    wanted = [show_id for show_id in followed if show_id in changed]
    await asyncio.gather(*(client.episodes(show_id, background=True) for show_id in wanted))
    return client.calls - calls, time.perf_counter() - started


def plan_costs(
    pairs: list[tuple[tuple[Episode, ...], tuple[Episode, ...]]], now: int, servers: int
) -> list[float]:
    """Seconds per plan_sync for `servers` servers, each following a changed show: its schedule and
    countdowns are the old episode list's, the plan is against the new one."""
    costs = []
    for n in range(servers):
        before, after = pairs[n % len(pairs)]
        schedule = {EpisodeCode(e.season, e.number): Scheduled(e.name, e.airs_at) for e in before if e.number}
        countdowns = [
            Held(i, (EpisodeCode(e.season, e.number),), e.airs_at)
            for i, e in enumerate(before)
            if e.airs_at is not None and e.airs_at > now and e.number
        ]
        started = time.perf_counter()
        plan = plan_sync(after, schedule, countdowns, now=now)
        costs.append(time.perf_counter() - started)
        assert len(plan.moved) == 1, plan
    return costs


async def run_once(rnd: random.Random) -> dict[str, float]:
    now = int(time.time())
    tv = LoopbackTVmaze(rate=10**6, period=TVMAZE_PERIOD)
    async with running(tv):
        followed = build(tv, now)
        async with TVmaze(tv.url) as client:
            client.limiter = GlobalRateLimiter(10**6, 1.0)  # warm the cache outside the limit
            client.background_limiter = GlobalRateLimiter(10**6, 1.0)
            lists = await asyncio.gather(*(client.episodes(s) for s in followed))
            client.limiter = GlobalRateLimiter(TVMAZE_RATE, TVMAZE_PERIOD, name="TVmaze")
            client.background_limiter = GlobalRateLimiter(BACKGROUND_RATE, TVMAZE_PERIOD, name="TVmaze sync")
            tv.rate = 20  # TVmaze's own limit from here on
            tv.forget_calls()
            moved = rnd.sample(followed, int(SHOWS * CHANGED))
            for show_id in moved:
                season6 = [e for e in tv.episodes[show_id] if e["season"] == 6]
                tv.set_airstamp(show_id, 6, season6[-1]["number"], now + 400 * DAY)
            calls, seconds = await sync_round(client, followed)
            assert tv.throttled == 0, "the budget let a 429 through"
            assert tv.count() == calls
            before = dict(zip(followed, lists, strict=True))
            pairs = [(before[s], client.cached_episodes(s) or ()) for s in moved]
    costs = plan_costs(pairs, now, int(SERVERS * CHANGED))
    return {
        "calls": calls,
        "round_s": seconds,
        "plan_ms_median": statistics.median(costs) * 1000,
        "plan_ms_p99": summary(costs)["p99"] * 1000,
        "plan_all_changed_s": sum(costs),
        "plan_all_servers_s_estimate": statistics.median(costs) * SERVERS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rnd = random.Random(13)
    results = [asyncio.run(run_once(rnd)) for _ in range(args.runs)]
    print(machine())
    print(
        f"{SERVERS:,} servers, {SHOWS} shows of {EPISODES} episodes, {CHANGED:.0%} changed; {args.runs} runs"
    )
    for key in results[0]:
        values = [r[key] for r in results]
        print(
            f"  {key:28} median {statistics.median(values):10.3f}   (runs: {', '.join(f'{v:.3f}' for v in values)})"
        )
    cold = (SHOWS + 1 - BACKGROUND_RATE) * TVMAZE_PERIOD / BACKGROUND_RATE
    print(
        f"  a cold round ({SHOWS + 1} calls at {BACKGROUND_RATE} per {TVMAZE_PERIOD:g} s) takes at least {cold:.0f} s (computed)"
    )


if __name__ == "__main__":
    main()
