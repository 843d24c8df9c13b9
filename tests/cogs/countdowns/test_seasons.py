"""/countdown season and /countdown import end to end: whole seasons, DST, the Severance pack."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import discord

from bot.episodes import EpisodeCode
from cogs.countdowns.rules import DEFAULT_MILESTONES, EPISODE_MILESTONES
from tests.cogs.countdowns.support import (
    NY,
    announced,
    cog,
    configure,
    now,
    run_events,
    travel_to,
)
from tests.harness import Harness
from tests.loopback import Reply

DAY, HOUR = 86_400, 3600
SEVERANCE_E1 = int(dt.datetime(2025, 1, 17, 2, 0, tzinfo=dt.UTC).timestamp())  # Thu 16 Jan 21:00 ET


async def done(reply: Reply) -> Reply:
    if reply.kind == "deferred":
        await reply.wait_done()
    return reply


def dst_start_ahead(h: Harness) -> dt.date:
    """The next second Sunday of March (US clocks go forward) at least three weeks away."""
    year = dt.datetime.fromtimestamp(now(h), dt.UTC).year
    for y in (year, year + 1):
        first = dt.date(y, 3, 1)
        sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7)
        if dt.datetime.combine(sunday, dt.time(0, 0), tzinfo=NY).timestamp() > now(h) + 21 * DAY:
            return sunday
    raise AssertionError("unreachable")


async def test_a_weekly_season_keeps_its_local_hour_across_the_clock_change(harness: Harness) -> None:
    h = harness
    await configure(h)  # America/New_York
    await h.owner.slash("config show-name", name="Severance")
    first = dst_start_ahead(h) - dt.timedelta(days=10)  # a Thursday, ten days before the change
    assert first.weekday() == 3
    reply = await done(
        await h.owner.slash("countdown season", season=2, first=f"{first:%Y-%m-%d} 21:00", episodes=4)
    )
    assert "Season 2: 4 episodes (4 created)" in reply.text
    assert (
        reply.followups[0]
        .embeds[0]["footer"]["text"]
        .startswith("Every episode is at 21:00 America/New_York")
    )
    countdowns = await cog(h).store.episode_countdowns(h.guild.id, 2)
    assert [c.title for c in countdowns] == [f"Severance S2E{n}" for n in range(1, 5)]
    utc = [dt.datetime.fromtimestamp(c.release_at, dt.UTC) for c in countdowns]
    assert [d.hour for d in utc] == [2, 2, 1, 1]
    local = [d.astimezone(NY) for d in utc]
    assert {(d.weekday(), d.hour, d.minute) for d in local} == {(3, 21, 0)}
    assert [c.release_at for c in countdowns][1] - countdowns[0].release_at == 7 * DAY
    assert countdowns[2].release_at - countdowns[1].release_at == 7 * DAY - HOUR
    # The premiere gets the full build-up, later episodes the hour before and the drop.
    assert countdowns[0].milestones == DEFAULT_MILESTONES
    assert {c.milestones for c in countdowns[1:]} == {EPISODE_MILESTONES}
    # The shared episode schedule is filled for spoilers and theories.
    schedule = await h.bot.episodes.schedule(h.guild.id, 2)
    assert [(e.code, e.air_at) for e in schedule] == [(c.code, c.release_at) for c in countdowns]
    assert await h.bot.episodes.season_sizes(h.guild.id) == {2: 4}
    # One Discord event per episode.
    starts = sorted(
        dt.datetime.fromisoformat(e.scheduled_start_time).timestamp() for e in h.guild.events.values()
    )
    assert starts == [c.release_at for c in countdowns]

    again = await done(
        await h.owner.slash("countdown season", season=2, first=f"{first:%Y-%m-%d} 21:00", episodes=4)
    )
    assert "4 unchanged" in again.text
    assert len(h.guild.events) == 4
    moved = await done(
        await h.owner.slash("countdown season", season=2, first=f"{first:%Y-%m-%d} 22:00", episodes=4)
    )
    assert "4 moved" in moved.text
    after = await cog(h).store.episode_countdowns(h.guild.id, 2)
    assert [c.release_at - b.release_at for c, b in zip(after, countdowns, strict=True)] == [HOUR] * 4
    assert sorted(
        dt.datetime.fromisoformat(e.scheduled_start_time).timestamp() for e in h.guild.events.values()
    ) == [c.release_at for c in after]
    assert len(h.guild.events) == 4  # moved, not duplicated
    pending = await h.bot.jobs.list_for(h.guild.id, "countdown", f"countdown:{after[1].id}:")
    assert {j.due_at for j in pending if j.state == "pending"} == {
        after[1].release_at - HOUR,
        after[1].release_at,
    }


async def test_an_explicit_zone_in_first_sets_the_cadence_zone(harness: Harness) -> None:
    h = harness
    await configure(h, zone="UTC")
    first = dst_start_ahead(h) - dt.timedelta(days=10)
    reply = await done(
        await h.owner.slash(
            "countdown season",
            season=1,
            first=f"{first:%Y-%m-%d} 21:00 America/New_York",
            episodes=3,
            cadence="weekly",
        )
    )
    assert "3 created" in reply.text
    countdowns = await cog(h).store.episode_countdowns(h.guild.id, 1)
    assert [dt.datetime.fromtimestamp(c.release_at, dt.UTC).hour for c in countdowns] == [2, 2, 1]
    assert [c.title for c in countdowns] == [
        "Episode S1E1",
        "Episode S1E2",
        "Episode S1E3",
    ]  # no show name set


async def test_a_season_already_under_way_stores_the_aired_episodes_without_countdowns(
    harness: Harness,
) -> None:
    h = harness
    await configure(h)
    start = dt.datetime.fromtimestamp(now(h) - 15 * DAY, dt.UTC).astimezone(NY)
    reply = await done(
        await h.owner.slash(
            "countdown season", season=3, first=f"{start:%Y-%m-%d} 21:00", episodes=4, cadence="weekly"
        )
    )
    assert "3 already aired: they are in the episode schedule, without countdowns." in reply.text
    assert len(await h.bot.episodes.schedule(h.guild.id, 3)) == 4
    assert len(await cog(h).store.episode_countdowns(h.guild.id, 3)) == 1


async def test_daily_and_fortnightly_cadences_and_custom_milestones(harness: Harness) -> None:
    h = harness
    await configure(h)
    reply = await done(
        await h.owner.slash(
            "countdown season", season=1, first="in 2 days", episodes=3, cadence="daily", milestones="2h"
        )
    )
    assert "Announced at 2h \N{MIDDLE DOT} release for each episode." in reply.text
    daily = await cog(h).store.episode_countdowns(h.guild.id, 1)
    assert daily[1].release_at - daily[0].release_at == DAY
    assert {c.milestones for c in daily} == {(2 * HOUR, 0)}
    await done(
        await h.owner.slash(
            "countdown season", season=4, first="in 2 days", episodes=2, cadence="every two weeks"
        )
    )
    fortnightly = await cog(h).store.episode_countdowns(h.guild.id, 4)
    assert abs(fortnightly[1].release_at - fortnightly[0].release_at - 14 * DAY) <= HOUR


async def test_season_refusals(harness: Harness) -> None:
    h = harness
    reply = await h.owner.slash("countdown season", season=2, first="in 3 days", episodes=3)
    assert "no announcement channel yet" in reply.content
    await configure(h)
    bad = await h.owner.slash("countdown season", season=2, first="whenever", episodes=3)
    assert "I couldn't read `whenever`" in bad.content
    assert "/countdown season season:2 first:jan 17 9pm episodes:10" in bad.content
    bad = await h.owner.slash("countdown season", season=2, first="in 3 days", episodes=3, milestones="1d,1d")
    assert "`1d` is listed twice" in bad.content
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0
    assert await h.bot.episodes.schedule(h.guild.id) == []


async def test_season_without_create_events_says_so_once(harness: Harness) -> None:
    h = harness
    await configure(h)
    bot_role = h.lb.bot_role(h.guild)
    h.lb.set_role_permissions(
        bot_role, discord.Permissions(bot_role.permissions & ~discord.Permissions(create_events=True).value)
    )
    await run_events(h)
    reply = await done(await h.owner.slash("countdown season", season=1, first="in 3 days", episodes=5))
    assert "5 created" in reply.text
    assert reply.text.count("No Discord event: I'm missing **Create Events**") == 1
    assert h.guild.events == {}


async def test_first_autocomplete_previews_a_time_in_the_past_without_complaint(harness: Harness) -> None:
    h = harness
    await configure(h)
    choices = await h.owner.autocomplete("countdown season", "first", first="2025-01-16 21:00")
    assert choices[0]["name"].startswith("Thu 16 Jan 2025 21:00 America/New_York \N{MIDDLE DOT} ")
    assert choices[0]["name"].endswith(" ago")


# -- import ---------------------------------------------------------------------------------------------
async def test_importing_severance_in_january_2025_counts_down_every_episode(harness: Harness) -> None:
    h = harness
    travel_to(h, dt.datetime(2025, 1, 10, 12, 0, tzinfo=dt.UTC).timestamp())
    await configure(h)
    choices = await h.owner.autocomplete("countdown import", "pack", pack="sev")
    assert choices == [
        {"name": "severance \N{MIDDLE DOT} Severance: season 2 (10 episodes)", "value": "severance"}
    ]
    reply = await done(await h.owner.slash("countdown import", pack="severance", make_role=True))
    assert "Imported **Severance** from `severance`: season 2: 10 episodes (10 created)" in reply.text
    assert "This server now follows **Severance**" in reply.text
    assert "Created the ping role" in reply.text
    assert "Source: Apple TV+ season 2 schedule" in reply.text
    assert (
        reply.followups[0]
        .embeds[0]["footer"]["text"]
        .startswith("Every episode is at 21:00 America/New_York")
    )
    assert (await h.bot.guild_store.get(h.guild.id)).show_name == "Severance"
    countdowns = await cog(h).store.episode_countdowns(h.guild.id, 2)
    assert [c.title for c in countdowns] == [f"Severance S2E{n}" for n in range(1, 11)]
    assert countdowns[0].release_at == SEVERANCE_E1
    assert [dt.datetime.fromtimestamp(c.release_at, dt.UTC).hour for c in countdowns] == [2] * 8 + [1] * 2
    role = h.guild.role_named("Severance pings")
    assert {c.role_id for c in countdowns} == {role.id}
    episode = await h.bot.episodes.get(h.guild.id, EpisodeCode(2, 3))
    assert episode is not None and episode.title == "Who Is Alive?"
    assert len(h.guild.events) == 10
    assert {e.location for e in h.guild.events.values()} == {"Apple TV+"}
    assert {e.name for e in h.guild.events.values()} == {
        f"Severance S2E{n}" for n in range(1, 11)
    }  # no spoilers

    # Premiere night: the drop is announced, with the episode title behind a spoiler tag.
    await run_events(h)
    travel_to(h, SEVERANCE_E1 - HOUR)
    await announced(h, countdowns[0].id, "In one hour")
    travel_to(h, SEVERANCE_E1)
    message = await announced(h, countdowns[0].id, "it's out!")
    assert message.pinged_roles == [role.id]
    assert message.embeds[0]["fields"][0] == {
        "name": "Episode",
        "value": "S2E1 \N{MIDDLE DOT} ||Hello, Ms. Cobel||",
        "inline": True,
    }
    assert "Hello" not in message.content  # notifications carry no episode title

    # Importing again changes nothing; the premiere has aired and keeps its countdown.
    again = await done(await h.owner.slash("countdown import", pack="severance"))
    assert "9 unchanged" in again.text and "1 already aired" in again.text
    assert len(h.guild.events) == 10


async def test_importing_severance_after_it_aired_fills_the_schedule_only(harness: Harness) -> None:
    h = harness
    await configure(h)
    reply = await done(await h.owner.slash("countdown import", pack="severance", season=2))
    assert "10 already aired" in reply.text
    assert "Every episode has already aired, so there is nothing to count down" in reply.text
    schedule = await h.bot.episodes.schedule(h.guild.id, 2)
    assert [e.title for e in schedule][:2] == ["Hello, Ms. Cobel", "Goodbye, Mrs. Selvig"]
    assert schedule[0].air_at == SEVERANCE_E1
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0
    assert h.guild.events == {}


async def test_import_refusals(harness: Harness, tmp_path: Path) -> None:
    h = harness
    await configure(h)
    unknown = await h.owner.slash("countdown import", pack="lost")
    assert "There is no pack called `lost`. Packs here: `severance`" in unknown.content
    no_season = await h.owner.slash("countdown import", pack="severance", season=3)
    assert "The severance pack has no season 3; it has season 2." in no_season.content
    cog(h).packs_dir = tmp_path
    (tmp_path / "mine.json").write_text(
        json.dumps(
            {"show": "Mine", "zone": "Mars/Olympus", "seasons": [{"season": 1, "episodes": [{"number": 1}]}]}
        ),
        encoding="utf-8",
    )
    broken = await h.owner.slash("countdown import", pack="mine")
    assert "The pack `mine` has 2 problems:" in broken.content
    assert "`zone`: `Mars/Olympus` is not an IANA timezone" in broken.content
    assert "`seasons[0].episodes[0].air`: must be a local date and time" in broken.content
    choices = await h.owner.autocomplete("countdown import", "pack")
    assert choices == [
        {"name": "mine \N{MIDDLE DOT} \N{WARNING SIGN} has problems; import it to see them", "value": "mine"}
    ]
    assert await h.bot.episodes.schedule(h.guild.id) == []


async def test_importing_a_long_show_fits_every_reply_into_discords_limits(
    harness: Harness, tmp_path: Path
) -> None:
    """7 seasons of 22 episodes made embeds totalling over 6,000 characters in one message."""
    h = harness
    await configure(h)
    cog(h).packs_dir = tmp_path
    seasons = [
        {
            "season": s,
            "episodes": [
                {"number": e, "title": f"Episode {e}", "air": f"{2000 + s}-0{1 + e % 9}-{10 + e % 18} 21:00"}
                for e in range(1, 23)
            ],
        }
        for s in range(1, 8)
    ]
    (tmp_path / "long.json").write_text(
        json.dumps({"show": "A Long Show", "zone": "America/New_York", "seasons": seasons}), encoding="utf-8"
    )
    reply = await h.owner.slash("countdown import", pack="long")
    await reply.wait_for(lambda r: sum(len(m.embeds) for m in r.followups) >= 7, timeout=10)
    assert not h.lb.violations
    titles = [e["title"] for m in reply.followups for e in m.embeds]
    assert titles == [f"Season {s}" for s in range(1, 8)]
    for message in reply.followups:
        assert len(message.content) <= 2000 and len(message.embeds) <= 10
        assert sum(len(e.get("title", "")) + len(e.get("description", "")) for e in message.embeds) <= 6000
    assert "Imported **A Long Show**" in reply.followups[0].content
    assert len(await h.bot.episodes.schedule(h.guild.id)) == 7 * 22
