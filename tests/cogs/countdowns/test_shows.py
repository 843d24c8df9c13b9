"""/show end to end, through the loopback Discord and the loopback TVmaze: following a show, syncs that
move, add and remove countdowns with one notice each, restarts, drops, TBA dates and TVmaze failing."""

from __future__ import annotations

import datetime as dt

from bot.episodes import EpisodeCode
from cogs.countdowns.rules import DEFAULT_MILESTONES, EPISODE_MILESTONES
from tests.cogs.countdowns.support import (
    CREDIT,
    cog,
    configure,
    follow,
    notices,
    now,
    severance_on_tv,
    tv,
)
from tests.harness import Harness

DAY, HOUR = 86_400, 3600


async def test_follow_loads_the_schedule_and_counts_down_with_events(harness: Harness) -> None:
    h = harness
    await configure(h)
    show_id = severance_on_tv(h)
    reply = await follow(h, show_id, make_role=True)
    assert "This server follows **Severance (2022, Apple TV+)** from TVmaze now." in reply.text, reply.text
    assert "13 episodes in the schedule" in reply.text
    assert CREDIT in reply.text
    countdowns = await cog(h).store.with_episodes(h.guild.id)
    assert [c.title for c in countdowns] == [f"Severance S2E{n}" for n in range(1, 11)]
    assert countdowns[0].milestones == DEFAULT_MILESTONES
    assert {c.milestones for c in countdowns[1:]} == {EPISODE_MILESTONES}
    episodes = tv(h).episodes[show_id]
    stamps = {(e["season"], e["number"]): e["airstamp"] for e in episodes}
    for c in countdowns:
        assert c.code is not None
        assert dt.datetime.fromtimestamp(c.release_at, dt.UTC).isoformat() == stamps[c.code.season, c.code.episode]
    schedule = await h.bot.episodes.schedule(h.guild.id)
    assert len(schedule) == 13
    assert (await h.bot.guild_store.get(h.guild.id)).show_name == "Severance"
    events = sorted(h.guild.events.values(), key=lambda e: e.scheduled_start_time)
    assert [e.name for e in events] == [c.title for c in countdowns]
    assert {e.location for e in events} == {"Apple TV+"}
    assert notices(h) == []  # following announces nothing; changes later do
