"""/show end to end, through the loopback Discord and the loopback TVmaze: following a show, syncs that
move, add and remove countdowns with one notice each, restarts, drops, TBA dates and TVmaze failing."""

from __future__ import annotations

import datetime as dt

from bot.episodes import EpisodeCode
from cogs.countdowns.rules import DEFAULT_MILESTONES, EPISODE_MILESTONES
from cogs.countdowns.store import Countdown
from tests.cogs.countdowns.support import (
    CREDIT,
    announced,
    announcements,
    cog,
    configure,
    follow,
    jobs,
    notices,
    now,
    retired,
    settled,
    severance_on_tv,
    shows_cog,
    travel_to,
    tv,
)
from tests.harness import Harness
from tests.loopback import Message
from tests.support import migrated, until

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
        assert (
            dt.datetime.fromtimestamp(c.release_at, dt.UTC).isoformat()
            == stamps[c.code.season, c.code.episode]
        )
    schedule = await h.bot.episodes.schedule(h.guild.id)
    assert len(schedule) == 13
    assert (await h.bot.guild_store.get(h.guild.id)).show_name == "Severance"
    events = sorted(h.guild.events.values(), key=lambda e: e.scheduled_start_time)
    assert [e.name for e in events] == [c.title for c in countdowns]
    assert {e.location for e in events} == {"Apple TV+"}
    assert notices(h) == []  # following announces nothing; changes later do


async def following_severance(h: Harness) -> int:
    """Announcements set up, and the server following Severance (season 2 still to come)."""
    await configure(h)
    show_id = severance_on_tv(h)
    reply = await follow(h, show_id)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text
    return show_id


async def countdown_for(h: Harness, label: str) -> Countdown:
    found = [c for c in await cog(h).store.with_episodes(h.guild.id) if c.label == label]
    assert len(found) == 1, [c.label for c in await cog(h).store.with_episodes(h.guild.id)]
    return found[0]


async def next_round(h: Harness, hours: float = 7) -> None:
    """Move time on past the sync interval and wait for the background round it starts."""
    rounds = shows_cog(h).sync.rounds
    h.clock.jump(hours * HOUR)
    await until(lambda: shows_cog(h).sync.rounds > rounds, what="a background sync round")


async def posted_notices(h: Harness, count: int) -> list[Message]:
    await until(lambda: len(notices(h)) >= count, what=f"{count} schedule notice(s)")
    await h.bot.scheduler.wait_caught_up(now(h))
    return notices(h)


def event_start(h: Harness, countdown: Countdown) -> int:
    assert countdown.event_id is not None
    event = h.guild.events[countdown.event_id]
    return int(dt.datetime.fromisoformat(event.scheduled_start_time).timestamp())


# -- a date moves ---------------------------------------------------------------------------------------
async def test_a_moved_date_moves_the_countdown_its_milestones_and_event_with_one_notice(
    harness: Harness,
) -> None:
    h = harness
    show_id = await following_severance(h)
    before = await countdown_for(h, "S2E4")
    later = before.release_at + 3 * DAY + HOUR
    tv(h).set_airstamp(show_id, 2, 4, later)
    await next_round(h)
    (notice,) = await posted_notices(h, 1)
    assert notice.channel_id == h.world.announcements.id
    (embed,) = notice.embeds
    assert embed["title"] == "Severance: schedule change"
    assert f"**S2E4** moved from <t:{before.release_at}:F> to <t:{later}:F>" in embed["description"]
    assert embed["footer"]["text"].startswith(CREDIT)
    moved = await countdown_for(h, "S2E4")
    assert moved.id == before.id and moved.release_at == later and not moved.by_hand
    assert event_start(h, moved) == later
    rows = await jobs(h, moved.id)
    assert {o: j.due_at for o, j in rows.items() if j.state == "pending"} == {HOUR: later - HOUR, 0: later}
    assert (await h.bot.episodes.get(h.guild.id, EpisodeCode(2, 4))).air_at == later  # type: ignore[union-attr]
    # The next round finds nothing new: the change was announced once.
    await next_round(h)
    assert len(await posted_notices(h, 1)) == 1


async def test_a_date_that_moved_while_the_bot_was_down_is_synced_before_anything_is_posted(
    harness: Harness,
) -> None:
    h = harness
    show_id = await following_severance(h)
    episode = await countdown_for(h, "S2E2")
    await h.stop()
    tv(h).forget_calls()
    later = episode.release_at + 3 * DAY
    tv(h).set_airstamp(show_id, 2, 2, later)
    # Back half an hour before S2E2's old time: its 1h milestone fell due while the bot was down. TVmaze
    # is slow to answer, so the scheduler is ready long before the sync has news.
    travel_to(h, episode.release_at - 30 * 60)
    tv(h).fail("slow", delay=1.0, path="/updates")
    await h.start()
    (notice,) = await posted_notices(h, 1)
    assert (
        f"**S2E2** moved from <t:{episode.release_at}:F> to <t:{later}:F>" in notice.embeds[0]["description"]
    )
    moved = await countdown_for(h, "S2E2")
    assert moved.release_at == later
    assert announcements(h, countdown_id=episode.id) == []  # nothing posted for the old time
    rows = await jobs(h, episode.id)
    assert {o: j.due_at for o, j in rows.items() if j.state == "pending"} == {HOUR: later - HOUR, 0: later}
    # One call for what changed, one for the changed show's episodes: the stored list was the start.
    assert [path for path, _ in tv(h).calls] == ["/updates/shows", f"/shows/{show_id}/episodes"]


async def test_a_date_that_moves_between_the_1d_and_1h_milestones_never_repeats_the_1d(
    harness: Harness,
) -> None:
    h = harness
    show_id = await following_severance(h)
    premiere = await countdown_for(h, "S2E1")
    travel_to(h, premiere.release_at - DAY)
    await announced(h, premiere.id, "tomorrow")
    await settled(h, premiere.id, DAY)
    later = premiere.release_at + 2 * DAY
    tv(h).set_airstamp(show_id, 2, 1, later)
    reply = await h.owner.slash("show sync")
    await reply.wait_done()
    assert "1 change" in reply.text and f"to <t:{later}:F>" in reply.text, reply.text
    await posted_notices(h, 1)
    rows = await jobs(h, premiere.id)
    assert rows[DAY].state == "sent"  # due again at later - 1d, but never posted twice
    assert {o: j.due_at for o, j in rows.items() if j.state == "pending"} == {HOUR: later - HOUR, 0: later}
    travel_to(h, later)
    await announced(h, premiere.id, "it's out!")
    await settled(h, premiere.id, HOUR, 0)
    texts = [m.text for m in announcements(h, countdown_id=premiere.id)]
    assert sum("tomorrow" in t for t in texts) == 1
    assert len(texts) == 2  # tomorrow, then the release (the hour before was overtaken by it)


# -- drops, TBA, new and removed episodes --------------------------------------------------------------------
async def test_a_streaming_drop_is_one_countdown_one_event_and_one_notice_when_it_moves(
    harness: Harness,
) -> None:
    h = harness
    await configure(h)
    show_id = tv(h).add_show("Stranger Things", premiered="2016-07-15", web_channel="Netflix")
    drop = now(h) + 20 * DAY
    tv(h).add_season(show_id, 1, drop, 6, every=0)
    reply = await follow(h, show_id)
    assert "1 countdown for what is still to come" in reply.text, reply.text
    (countdown,) = await cog(h).store.with_episodes(h.guild.id)
    assert countdown.title == "Stranger Things S1E1\N{EN DASH}E6"
    assert countdown.slots == tuple(EpisodeCode(1, n) for n in range(1, 7))
    assert countdown.milestones == DEFAULT_MILESTONES  # it holds a premiere
    assert len(h.guild.events) == 1
    assert {e.air_at for e in await h.bot.episodes.schedule(h.guild.id)} == {drop}
    for n in range(1, 7):
        tv(h).set_airstamp(show_id, 1, n, drop + DAY)
    await next_round(h)
    (notice,) = await posted_notices(h, 1)
    assert (
        f"**S1E1\N{EN DASH}E6** moved from <t:{drop}:F> to <t:{drop + DAY}:F>"
        in notice.embeds[0]["description"]
    )
    (moved,) = await cog(h).store.with_episodes(h.guild.id)
    assert moved.id == countdown.id and moved.release_at == drop + DAY
    assert event_start(h, moved) == drop + DAY and len(h.guild.events) == 1
    # Its announcements name the drop, never one episode's title.
    travel_to(h, drop + DAY)
    message = await announced(h, moved.id, "it's out!")
    fields = {f["name"]: f["value"] for f in message.embeds[0]["fields"]}
    assert fields["Episode"] == "S1E1\N{EN DASH}E6"  # no single episode's (spoilable) title


async def test_a_tba_episode_waits_then_gets_a_countdown_and_one_notice_when_dated(harness: Harness) -> None:
    h = harness
    await configure(h)
    show_id = severance_on_tv(h)
    tv(h).add_episode(show_id, 3, 1, None)
    await follow(h, show_id)
    status = await h.alice.slash("show status")
    assert status.ephemeral
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Date TBA"].startswith("S3E1")
    assert "S3E1" not in [c.label for c in await cog(h).store.with_episodes(h.guild.id)]
    assert (await h.bot.episodes.get(h.guild.id, EpisodeCode(3, 1))).air_at is None  # type: ignore[union-attr]
    dated = now(h) + 200 * DAY
    tv(h).set_airstamp(show_id, 3, 1, dated)
    await next_round(h)
    (notice,) = await posted_notices(h, 1)
    assert f"**S3E1** has a date: <t:{dated}:F>" in notice.embeds[0]["description"]
    countdown = await countdown_for(h, "S3E1")
    assert countdown.release_at == dated and countdown.milestones == DEFAULT_MILESTONES
    assert event_start(h, countdown) == dated


async def test_a_new_episode_and_a_removed_one_each_get_one_notice(harness: Harness) -> None:
    h = harness
    show_id = await following_severance(h)
    gone = await countdown_for(h, "S2E10")
    extra = gone.release_at + 7 * DAY
    tv(h).remove_episode(show_id, 2, 10)
    tv(h).add_episode(show_id, 2, 11, extra)
    await next_round(h)
    texts = [m.embeds[0]["description"] for m in await posted_notices(h, 2)]
    assert any(f"**S2E11** is on the schedule: <t:{extra}:F>" in t for t in texts), texts
    assert any(
        f"**S2E10**, due <t:{gone.release_at}:F>, is off the schedule: TVmaze no longer lists it" in t
        for t in texts
    ), texts
    assert "S2E10" not in [c.label for c in await cog(h).store.with_episodes(h.guild.id)]
    assert gone.event_id not in h.guild.events
    rows = await retired(h, gone.id)
    assert rows and {j.state for j in rows} == {"cancelled"}
    assert all(j.reason == "Severance on TVmaze: TVmaze no longer lists it" for j in rows)
    assert await h.bot.episodes.get(h.guild.id, EpisodeCode(2, 10)) is None
    added = await countdown_for(h, "S2E11")
    assert event_start(h, added) == extra


# -- by hand, specials, titles ------------------------------------------------------------------------------
async def test_a_countdown_edited_by_hand_is_kept_and_status_shows_tvmazes_time(harness: Harness) -> None:
    h = harness
    show_id = await following_severance(h)
    mine = await countdown_for(h, "S2E3")
    reply = await h.owner.slash(
        "countdown edit", countdown=str(mine.id), when=f"<t:{mine.release_at + HOUR}:F>"
    )
    await reply.wait_done()
    assert (await countdown_for(h, "S2E3")).by_hand
    tvmaze_time = mine.release_at + 2 * DAY
    tv(h).set_airstamp(show_id, 2, 3, tvmaze_time)
    await next_round(h)
    await h.bot.scheduler.wait_caught_up(now(h))
    assert notices(h) == []  # nothing of the server's changed
    kept = await countdown_for(h, "S2E3")
    assert kept.release_at == mine.release_at + HOUR
    status = await h.owner.slash("show status")
    fields = {f["name"]: f["value"] for f in status.embeds[0]["fields"]}
    assert fields["Kept as you set it"] == (
        f"`S2E3` <t:{mine.release_at + HOUR}:F>; TVmaze says <t:{tvmaze_time}:F>"
    )


async def test_specials_only_when_asked_and_titles_only_when_opted_in(harness: Harness) -> None:
    h = harness
    await configure(h)
    show_id = severance_on_tv(h)
    special_at = now(h) + 60 * DAY
    tv(h).add_episode(show_id, 2, None, special_at, name="Behind the scenes")
    reply = await follow(h, show_id)
    assert "1 special left out (`specials:True` counts down to them too)" in reply.text
    assert all("special" not in (c.label or "") for c in await cog(h).store.with_episodes(h.guild.id))
    again = await follow(h, show_id, specials=True, titles=True)
    assert "\N{WHITE HEAVY CHECK MARK}" in again.text, again.text
    special = await countdown_for(h, "S2 special")
    assert special.release_at == special_at and special.title == "Severance S2 special"
    # Countdowns made from now on carry the episode's title (the ones already made keep theirs).
    tv(h).add_episode(show_id, 2, 12, now(h) + 100 * DAY, name="Cold Harbor")
    await next_round(h)
    assert (await countdown_for(h, "S2E12")).title == "Severance S2E12: Cold Harbor"
    await h.mod.slash("config moderator-role", role=h.world.mod_role)
    # A fresh spoiler word in a title falls back to the episode code.
    await h.owner.slash("spoilers words add", episode="S2E1", word="Harbor")
    tv(h).add_episode(show_id, 2, 13, now(h) + 107 * DAY, name="Harbor Lights")
    await next_round(h)
    assert (await countdown_for(h, "S2E13")).title == "Severance S2E13"


# -- TVmaze failing --------------------------------------------------------------------------------------
async def test_an_outage_keeps_the_last_schedule_and_never_blocks_announcements(harness: Harness) -> None:
    h = harness
    show_id = await following_severance(h)
    premiere = await countdown_for(h, "S2E1")
    synced_at = (await shows_cog(h).follows.get(h.guild.id)).synced_at
    h.bot.tvmaze.backoff = 0.01
    tv(h).forget_calls()
    tv(h).fail("500", times=10_000)
    reply = await h.owner.slash("show sync")
    await reply.wait_done()
    assert reply.ephemeral and "\N{CROSS MARK} TVmaze isn't answering right now" in reply.text, reply.text
    assert f"The schedule from the last sync (<t:{synced_at}:R>) stays in force" in reply.text
    # A round while TVmaze is down fails and says so; announcements go out all the same.
    travel_to(h, premiere.release_at - HOUR)
    await announced(h, premiere.id, "in one hour")
    await until(lambda: shows_cog(h).sync.rounds >= 1, what="the round during the outage")
    await h.bot.scheduler.wait_caught_up(now(h))
    # /show sync's three tries, then the round's, and then nothing until the retry is due: TVmaze
    # being down is not hammered.
    assert [path for path, _ in tv(h).calls] == [f"/shows/{show_id}/episodes"] * 3 + ["/updates/shows"] * 3
    follow_row = await shows_cog(h).follows.get(h.guild.id)
    assert follow_row.sync_error is not None and "HTTP 500" in follow_row.sync_error
    assert (await countdown_for(h, "S2E1")).release_at == premiere.release_at
    status = await h.owner.slash("show status")
    assert "failed: TVmaze did not answer /updates/shows: HTTP 500 (3 tries)" in status.text, status.text
    assert "stays in force" in status.text
    # TVmaze is back: the failed sync is tried again within half an hour.
    tv(h).faults.clear()
    tv(h).set_airstamp(show_id, 2, 2, (await countdown_for(h, "S2E2")).release_at + DAY)
    rounds = shows_cog(h).sync.rounds
    h.clock.jump(31 * 60)
    await until(lambda: shows_cog(h).sync.rounds > rounds, what="the retry round")
    (notice,) = await posted_notices(h, 1)
    assert "**S2E2** moved" in notice.embeds[0]["description"]
    assert (await shows_cog(h).follows.get(h.guild.id)).sync_error is None


async def test_a_hanging_tvmaze_answers_the_moderator_instead_of_blocking(harness: Harness) -> None:
    h = harness
    await following_severance(h)
    h.bot.tvmaze.timeout = 0.3
    h.bot.tvmaze.backoff = 0.01
    tv(h).fail("hang", times=10)
    reply = await h.owner.slash("show sync")
    await reply.wait_done(timeout=10)
    assert "TVmaze isn't answering right now" in reply.text and "no answer within 0.3 s" in reply.text
    assert len(await cog(h).store.with_episodes(h.guild.id)) == 10
    next_up = await h.alice.slash("countdown next")  # commands carry on meanwhile
    assert next_up.embeds and next_up.embeds[0]["title"] == "Severance S2E1"
    tv(h).release_hangs()


async def test_a_429_storm_is_waited_out_and_the_bot_stays_within_tvmazes_limit(harness: Harness) -> None:
    h = harness
    show_id = await following_severance(h)
    tv(h).forget_calls()
    tv(h).set_airstamp(show_id, 2, 5, (await countdown_for(h, "S2E5")).release_at + DAY)
    tv(h).fail("429", times=2, retry_after="1")
    await next_round(h)
    (notice,) = await posted_notices(h, 1)
    assert "**S2E5** moved" in notice.embeds[0]["description"]
    arrivals = tv(h).arrivals
    assert [path for path, _ in tv(h).calls] == ["/updates/shows"] * 3 + [f"/shows/{show_id}/episodes"]
    assert arrivals[1] - arrivals[0] >= 0.95 and arrivals[2] - arrivals[1] >= 0.95  # Retry-After honoured
    # Autocomplete while TVmaze is rate limiting: an answer at once, from the cache or empty, and
    # never a call past the budget, however fast members type.
    tv(h).fail("429", times=1, retry_after="30")
    await h.owner.autocomplete("show follow", "show", show="Slow")
    for typed in ["Sev", "Seve", "Sever", "Severa", "Severan", "Severanc", "Severance", "Slow Horses"] * 4:
        choices = await h.owner.autocomplete("show follow", "show", show=typed)
        assert len(choices) <= 25
    assert tv(h).throttled == 0
    assert tv(h).count("/search") <= 2


async def test_autocomplete_reads_like_tvmazes_shows_and_follow_takes_a_typed_name(harness: Harness) -> None:
    h = harness
    await configure(h)
    severance_on_tv(h)
    tv(h).add_show("Slow Horses", premiered="2022-04-01", network="BBC One")
    choices = await h.owner.autocomplete("show follow", "show", show="severance")
    assert choices == [{"name": "Severance (2022, Apple TV+)", "value": "tvmaze:44933"}]
    assert await h.owner.autocomplete("show follow", "show", show="") == []
    typed = await h.owner.slash("show follow", show="slow horses")
    await typed.wait_done()
    assert "follows **Slow Horses (2022, BBC One)**" in typed.text, typed.text
    unknown = await h.owner.slash("show follow", show="No Such Show <@&1>")
    await unknown.wait_done()
    assert unknown.ephemeral and "TVmaze has no show called `No Such Show <@&1>`" in unknown.text
    assert (await shows_cog(h).follows.get(h.guild.id)).name == "Slow Horses"  # nothing changed


async def test_members_cannot_follow_and_without_a_follow_status_says_how(harness: Harness) -> None:
    h = harness
    await configure(h)
    show_id = severance_on_tv(h)
    refused = await follow(h, show_id, actor=h.alice)
    assert "Only moderators can do that" in refused.text
    status = await h.alice.slash("show status")
    assert "doesn't follow a show on TVmaze yet" in status.text and "/show follow show:" in status.text
    for path in ("show sync", "show unfollow"):
        assert "Only moderators can do that" in (await h.alice.slash(path)).text
    assert tv(h).calls == []


# -- switching shows ---------------------------------------------------------------------------------------
def slow_horses_on_tv(h: Harness) -> int:
    show_id = tv(h).add_show("Slow Horses", premiered="2022-04-01", network="BBC One")
    tv(h).add_season(show_id, 5, now(h) + 10 * DAY, 6)
    return show_id


async def test_following_another_show_asks_first_then_replaces_the_schedule(harness: Harness) -> None:
    h = harness
    await following_severance(h)
    old = await cog(h).store.with_episodes(h.guild.id)
    horses = slow_horses_on_tv(h)
    ask = await follow(h, horses)
    assert "This server follows **Severance**. Follow **Slow Horses** instead?" in ask.text, ask.text
    assert ask.message is not None
    assert [b["label"] for b in ask.message.buttons()] == ["Follow Slow Horses", "Keep Severance"]
    kept = await h.owner.click(ask.message, "Keep Severance")
    assert "Kept **Severance**; nothing changed." in kept.content
    assert len(await cog(h).store.with_episodes(h.guild.id)) == 10

    ask = await follow(h, horses)
    assert ask.message is not None
    await h.owner.click(ask.message, "Follow Slow Horses")
    await until(
        lambda: "follows **Slow Horses" in (ask.message.content if ask.message else ""), what="the switch"
    )
    assert "Replaced **Severance**: 10 of its countdowns still to come were cancelled" in ask.message.content
    now_held = await cog(h).store.with_episodes(h.guild.id)
    assert [c.title for c in now_held] == [f"Slow Horses S5E{n}" for n in range(1, 7)]
    assert [e.code for e in await h.bot.episodes.schedule(h.guild.id)] == [
        EpisodeCode(5, n) for n in range(1, 7)
    ]
    assert sorted(e.name for e in h.guild.events.values()) == sorted(c.title for c in now_held)
    assert (await h.bot.guild_store.get(h.guild.id)).show_name == "Slow Horses"
    rows = await retired(h, old[0].id)
    assert rows and all(
        j.reason == "the server stopped following Severance to follow another show"
        for j in rows
        if j.state == "cancelled"
    )
    assert notices(h) == []


async def test_a_server_with_another_shows_schedule_is_asked_before_following(harness: Harness) -> None:
    h = harness
    await configure(h)
    imported = await h.owner.slash("countdown import", pack="severance")
    await imported.wait_done()
    assert "Imported **Severance**" in imported.text, imported.text
    horses = slow_horses_on_tv(h)
    ask = await follow(h, horses)
    assert "This server follows **Severance**. Follow **Slow Horses** instead?" in ask.text, ask.text
    same = await follow(h, severance_on_tv(h))  # the same show: its schedule is adopted, no question
    assert "This server follows **Severance (2022, Apple TV+)** from TVmaze now." in same.text, same.text


async def test_a_confirmation_rechecks_the_show_when_pressed(harness: Harness) -> None:
    h = harness
    await following_severance(h)
    horses = slow_horses_on_tv(h)
    ask = await follow(h, horses)
    assert ask.message is not None
    await h.owner.slash("show unfollow")
    late = await h.owner.click(ask.message, "Follow Slow Horses")
    assert "This server no longer follows **Severance**; run `/show follow` again." in late.text
    assert await shows_cog(h).follows.get(h.guild.id) is None


async def test_unfollow_keeps_the_countdowns_and_stops_syncing(harness: Harness) -> None:
    h = harness
    show_id = await following_severance(h)
    config = await h.owner.slash("config show")
    assert (
        "Followed show" in config.text and "**Severance (2022, Apple TV+)** on TVmaze, synced" in config.text
    )
    reply = await h.owner.slash("show unfollow")
    assert "no longer follows **Severance** on TVmaze" in reply.text
    tv(h).set_airstamp(show_id, 2, 3, now(h) + 300 * DAY)
    tv(h).forget_calls()
    h.clock.jump(7 * HOUR)
    await h.bot.scheduler.wait_caught_up(now(h))
    assert tv(h).calls == [] and notices(h) == []
    assert len(await cog(h).store.with_episodes(h.guild.id)) == 10
    again = await h.owner.slash("show unfollow")
    assert "doesn't follow a show" in again.text


# -- exactly once --------------------------------------------------------------------------------------------
async def test_a_notice_written_but_not_yet_posted_is_posted_once_after_a_restart(harness: Harness) -> None:
    """The sync and its notices are one transaction; the notice then waits in the scheduler. A bot that
    stops right after the sync posts it at its next start, once, and never again."""
    h = harness
    show_id = await following_severance(h)
    await h.bot.scheduler.stop()  # the process is about to die: nothing is posted any more
    tv(h).set_airstamp(show_id, 2, 6, (await countdown_for(h, "S2E6")).release_at + DAY)
    reply = await h.owner.slash("show sync")
    await reply.wait_done()
    assert "1 change" in reply.text
    assert notices(h) == []
    await h.restart()
    (notice,) = await posted_notices(h, 1)
    assert "**S2E6** moved" in notice.embeds[0]["description"]
    # Marked sent after Discord took it, then the process died before the mark: back two hours later,
    # Discord has forgotten the nonce and the bot finds its message by the invisible marker.
    await h.stop()
    async with migrated(h.settings.database_location) as db:
        await db.execute("UPDATE scheduled_jobs SET state = 'sending', result = NULL WHERE kind = 'show'")
    h.clock.jump(2 * HOUR)
    await h.start()
    await until(lambda: h.lb.requests_to("GET", r"/channels/\d+/messages"), what="the look for the marker")
    await h.bot.scheduler.wait_caught_up(now(h))
    assert len(notices(h)) == 1
    (job,) = await h.bot.jobs.latest(h.guild.id, "show", "show:", 10)
    assert job.state == "sent" and job.result == f"{h.world.announcements.id}/{notice.id}"


# -- what follows the schedule: discussion threads ----------------------------------------------------------
async def discussions_in_general(h: Harness) -> None:
    reply = await h.owner.slash("spoilers discussions", channel=h.world.general)
    if reply.kind == "deferred":
        await reply.wait_done()
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text


def discussion_threads(h: Harness, name: str) -> list[int]:
    return sorted(c.id for c in h.lb.channels.values() if c.is_thread and c.name == name)


async def test_a_sync_that_adds_and_moves_episodes_moves_their_discussion_threads_too(
    harness: Harness,
) -> None:
    """The sync writes the schedule through the episode store's change listeners, as /countdown does: a
    new episode gets its discussion job, a moved one's job moves, and the thread opens at the new time,
    linked from the release announcement."""
    h = harness
    show_id = await following_severance(h)
    await discussions_in_general(h)
    before = await countdown_for(h, "S2E4")
    later = before.release_at + 3 * DAY + HOUR
    added = (await countdown_for(h, "S2E10")).release_at + 7 * DAY
    tv(h).set_airstamp(show_id, 2, 4, later)
    tv(h).add_episode(show_id, 2, 11, added)
    await next_round(h)
    await posted_notices(h, 2)
    new_job = await h.bot.jobs.get(h.guild.id, "discussion", "discussion:2:11")
    assert new_job is not None and (new_job.state, new_job.due_at) == ("pending", added)
    moved_job = await h.bot.jobs.get(h.guild.id, "discussion", "discussion:2:4")
    assert moved_job is not None and (moved_job.state, moved_job.due_at) == ("pending", later)
    travel_to(h, before.release_at)
    await h.bot.scheduler.wait_caught_up(now(h))
    assert discussion_threads(h, "S2E4 discussion") == []  # not at the old time
    travel_to(h, later)
    moved = await countdown_for(h, "S2E4")
    message = await announced(h, moved.id, "it's out!")
    [thread_id] = discussion_threads(h, "S2E4 discussion")
    assert f"Talk about it in <#{thread_id}>" in message.embeds[0]["description"]


async def test_a_drops_announcement_links_each_of_its_episodes_discussion_threads(harness: Harness) -> None:
    """Discussions open one thread per episode; a drop is one announcement, which links all of them."""
    h = harness
    await configure(h)
    show_id = tv(h).add_show("Stranger Things", premiered="2016-07-15", web_channel="Netflix")
    drop = now(h) + 20 * DAY
    tv(h).add_season(show_id, 1, drop, 6, every=0)
    await follow(h, show_id, milestones="release")
    await discussions_in_general(h)
    (countdown,) = await cog(h).store.with_episodes(h.guild.id)
    travel_to(h, drop)
    message = await announced(h, countdown.id, "it's out!")
    description = message.embeds[0]["description"]
    links = []
    for n in range(1, 7):
        [thread_id] = discussion_threads(h, f"S1E{n} discussion")
        links.append(f"S1E{n} <#{thread_id}>")
    assert " \N{MIDDLE DOT} ".join(links) in description, description
    assert len(announcements(h, countdown_id=countdown.id)) == 1
