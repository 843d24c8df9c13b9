"""Countdowns' Discord events end to end: their lifecycle (active, completed), the server's cap of 100,
and other people's events, which the bot never touches."""

from __future__ import annotations

import datetime as dt
from typing import Any

import discord

from tests.cogs.countdowns.support import cog, configure, created, now, run_events
from tests.harness import Harness
from tests.loopback import Reply
from tests.loopback.state import ScheduledEvent
from tests.support import until

DAY, HOUR, WEEK = 86_400, 3600, 7 * 86_400
SCHEDULED, ACTIVE, COMPLETED = 1, 2, 3


def start_of(event: ScheduledEvent) -> int:
    return int(dt.datetime.fromisoformat(event.scheduled_start_time).timestamp())


def ours(h: Harness) -> list[ScheduledEvent]:
    """The bot's events, nearest first."""
    found = [e for e in h.guild.events.values() if e.creator_id == h.lb.bot_user.id]
    return sorted(found, key=start_of)


async def done(reply: Reply) -> Reply:
    if reply.kind == "deferred":
        await reply.wait_done()
    return reply


async def edit(h: Harness, countdown_id: int, **options: Any) -> Reply:
    return await done(await h.owner.slash("countdown edit", countdown=str(countdown_id), **options))


async def test_a_50_episode_season_in_a_busy_server_gets_events_for_the_nearest_episodes_only(
    harness: Harness,
) -> None:
    """70 events of the server's own are upcoming; Discord allows 100. The bot fills what is left but
    ten places, nearest episodes first, says so, and adds the rest when run again once there is room."""
    h = harness
    await configure(h)
    for n in range(70):
        h.lb.add_event(h.guild, f"Watch party {n}", start=now(h) + DAY + n, creator=h.world.members["mod"])
    reply = await done(await h.owner.slash("countdown season", season=1, first="in 2 days", episodes=50))
    assert "50 created" in reply.text
    countdowns = await cog(h).store.episode_countdowns(h.guild.id, 1)
    events = ours(h)
    assert [start_of(e) for e in events] == [c.release_at for c in countdowns[:20]]
    assert "Discord allows 100 upcoming events per server" in reply.text
    assert "S1E1 to S1E20 have one; S1E21 to S1E50 don't yet" in reply.text
    assert "/countdown season" in reply.text  # how to add the rest
    assert len(h.lb.upcoming_events(h.guild)) == 90  # ten places left for the server's own events
    assert not [r for r in h.lb.requests_to("POST", r"/scheduled-events$") if r.status != 200]
    # Three weeks on the watch parties are over and three episodes aired: the same command adds the rest.
    h.clock.jump(3 * WEEK + DAY)
    again = await done(await h.owner.slash("countdown season", season=1, first="in 2 days", episodes=50))
    assert "Discord allows 100" not in again.text
    upcoming = [c for c in await cog(h).store.episode_countdowns(h.guild.id, 1) if c.release_at > now(h)]
    assert {c.event_id for c in upcoming} <= {e.id for e in ours(h)}
    assert all(c.event_id is not None for c in upcoming)


async def test_editing_a_countdown_whose_event_is_active_ends_it_and_adds_one_at_the_new_time(
    harness: Harness,
) -> None:
    """The premiere slips a week while its event is live: Discord won't move an active event, so the bot
    ends it and adds a new one; a rename alone renames the live event."""
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 2 hours")
    (first,) = ours(h)
    h.clock.jump(2 * HOUR + 10 * 60)  # ten minutes into the release hour
    assert h.lb.upcoming_events(h.guild) == [first] and first.status == ACTIVE
    renamed = await edit(h, countdown.id, title="Premiere, live")
    assert first.name == "Premiere, live" and first.status == ACTIVE
    assert "wasn't updated" not in renamed.text
    moved = await edit(h, countdown.id, when="in 7 days")
    assert first.status == COMPLETED
    stored = await cog(h).store.get(h.guild.id, countdown.id)
    assert stored is not None and stored.event_id not in (None, first.id)
    (new,) = [e for e in ours(h) if e.status == SCHEDULED]
    assert new.id == stored.event_id and start_of(new) == stored.release_at
    assert "had already started, so I ended it" in moved.text


async def test_editing_a_countdown_whose_event_completed_adds_a_new_one(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 2 hours")
    (first,) = ours(h)
    h.clock.jump(4 * HOUR)
    moved = await edit(h, countdown.id, when="in 3 days")
    assert first.status == COMPLETED  # finished events are left as they are
    stored = await cog(h).store.get(h.guild.id, countdown.id)
    assert stored is not None and stored.event_id not in (None, first.id)
    assert start_of(h.guild.events[stored.event_id]) == stored.release_at
    assert "wasn't updated" not in moved.text


async def test_events_the_bot_did_not_create_are_never_touched(harness: Harness) -> None:
    """Even where the bot could (Manage Events), a countdown pointing at someone else's event (an old
    database, a restored backup) leaves that event alone: edits make the bot its own, deletes skip it."""
    h = harness
    await configure(h)
    bot_role = h.lb.bot_role(h.guild)
    h.lb.set_role_permissions(
        bot_role, discord.Permissions(bot_role.permissions | (1 << 33))
    )  # Manage Events
    await run_events(h)
    countdown = await created(h, title="Premiere", when="in 3 days")
    party = int(now(h)) + DAY  # read once: the edit below may cross a second
    theirs = h.lb.add_event(h.guild, "Our watch party", start=party, creator=h.world.members["mod"])
    await h.bot.db.execute("UPDATE countdowns SET event_id = ? WHERE id = ?", (theirs.id, countdown.id))
    await edit(h, countdown.id, title="Premiere night", when="in 4 days")
    assert (theirs.name, start_of(theirs), theirs.status) == ("Our watch party", party, SCHEDULED)
    stored = await cog(h).store.get(h.guild.id, countdown.id)
    assert stored is not None and stored.event_id not in (None, theirs.id)
    assert h.guild.events[stored.event_id].creator_id == h.lb.bot_user.id
    await h.bot.db.execute("UPDATE countdowns SET event_id = ? WHERE id = ?", (theirs.id, countdown.id))
    ask = await h.owner.slash("countdown delete", countdown=str(countdown.id))
    assert ask.message is not None
    await h.owner.click(ask.message, "Delete")
    await until(lambda: "Deleted" in (ask.message.content if ask.message else ""), what="the delete")
    assert theirs.id in h.guild.events
    assert h.lb.requests_to("PATCH", rf"/scheduled-events/{theirs.id}$") == []
    assert h.lb.requests_to("DELETE", rf"/scheduled-events/{theirs.id}$") == []
