"""/countdown commands end to end through the loopback: every command, every refusal."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import discord
import pytest

from bot.timeparse import describe
from tests.cogs.countdowns.support import (
    NY,
    announced,
    announcements,
    at_local,
    cog,
    configure,
    create,
    created,
    deny_send,
    hold_route,
    jobs,
    now,
    ping_role,
    retired,
    run_events,
    settled,
)
from tests.harness import Harness
from tests.loopback import ClientRefused
from tests.support import until

DAY, HOUR = 86_400, 3600


def next_fold(h: Harness) -> dt.datetime:
    """01:30 on the next night New York's clocks go back (first Sunday of November)."""
    year = dt.datetime.fromtimestamp(now(h), dt.UTC).year
    for y in (year, year + 1):
        first = dt.date(y, 11, 1)
        sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7)
        candidate = dt.datetime.combine(sunday, dt.time(1, 30))
        if candidate.replace(tzinfo=NY).timestamp() > now(h) + DAY:
            return candidate
    raise AssertionError("no fold found")


def next_gap(h: Harness) -> dt.datetime:
    """02:30 on the next night New York's clocks go forward (second Sunday of March)."""
    year = dt.datetime.fromtimestamp(now(h), dt.UTC).year
    for y in (year, year + 1):
        first = dt.date(y, 3, 1)
        sunday = first + dt.timedelta(days=(6 - first.weekday()) % 7 + 7)
        candidate = dt.datetime.combine(sunday, dt.time(2, 30))
        if candidate.replace(tzinfo=NY).timestamp() > now(h) + DAY:
            return candidate
    raise AssertionError("no gap found")


# -- create -------------------------------------------------------------------------------------------
async def test_create_reads_every_time_form_and_replies_with_live_timestamps(harness: Harness) -> None:
    h = harness
    await configure(h)  # server timezone America/New_York
    wall = at_local(h, 40, 21)
    target = int(wall.replace(tzinfo=NY).timestamp())
    london = int(
        dt.datetime.combine(wall.date(), dt.time(2, 0)).replace(tzinfo=ZoneInfo("Europe/London")).timestamp()
    )
    forms = {
        f"{wall:%Y-%m-%d %H:%M}": target,
        f"{wall:%b} {wall.day} 9pm": target,
        f"{wall:%Y-%m-%d} 02:00 Europe/London": london,
        f"<t:{target}:F>": target,
        f"<t:{target}>": target,
        str(target): target,
        "in 3 days": now(h) + 3 * DAY,
    }
    for n, (text, expected) in enumerate(forms.items(), start=1):
        reply = await create(h, title=f"Premiere {n}", when=text)
        assert reply.ephemeral
        stored = await cog(h).store.get(h.guild.id, n)
        assert stored is not None, (text, reply.text)
        if text == "in 3 days":
            assert abs(stored.release_at - expected) <= 5
        else:
            assert stored.release_at == expected, text
        assert f"<t:{stored.release_at}:F>" in reply.text
        assert f"<t:{stored.release_at}:R>" in reply.text
        assert f"Countdown #{n} **Premiere {n}**" in reply.text
        zone = ZoneInfo("Europe/London") if "London" in text else NY
        assert f"Read as {describe(stored.release_at, zone)}." in reply.text


async def test_create_schedules_each_milestone_and_mirrors_a_discord_event(harness: Harness) -> None:
    h = harness
    await configure(h)
    role = ping_role(h)
    await run_events(h)
    countdown = await created(h, title="Severance season 2", when="in 3 days", role=role)
    rows = await jobs(h, countdown.id)
    # Seven days before has already gone; one day, one hour and the release are scheduled.
    assert sorted(rows) == [0, HOUR, DAY]
    assert {j.state for j in rows.values()} == {"pending"}
    assert rows[0].due_at == countdown.release_at
    assert rows[0].expires_at == countdown.release_at + DAY
    assert rows[HOUR].expires_at == countdown.release_at
    assert {j.series for j in rows.values()} == {f"countdown:{countdown.id}"}
    reply_text = h.lb.messages[max(h.lb.messages)].text
    assert "The 7d milestone has already passed" in reply_text
    # A Discord scheduled event at the release time.
    (event,) = h.guild.events.values()
    assert event.name == "Severance season 2"
    assert dt.datetime.fromisoformat(event.scheduled_start_time).timestamp() == countdown.release_at
    assert event.entity_type == 3 and event.location == "Announced in this server"
    assert countdown.event_id == event.id
    assert countdown.channel_id is None  # follows the server's announcement channel
    assert countdown.role_id == role.id


async def test_custom_milestones_and_a_channel_of_its_own(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(
        h, title="Finale", when="in 30 days", milestones="14d, 1d, 10m", channel=h.world.spoilers
    )
    assert countdown.milestones == (14 * DAY, DAY, 600, 0)
    assert countdown.channel_id == h.world.spoilers.id
    assert sorted(await jobs(h, countdown.id)) == [0, 600, DAY, 14 * DAY]


async def test_a_member_who_is_not_a_moderator_is_refused_and_nothing_is_stored(harness: Harness) -> None:
    h = harness
    await configure(h)
    attempts: list[tuple[str, dict[str, Any]]] = [
        ("countdown create", {"title": "Mine", "when": "in 3 days"}),
        ("countdown create", {"title": "Mine", "when": "yesterday-ish"}),  # refused as a non-moderator first
        ("countdown season", {"season": 2, "first": "in 3 days", "episodes": 3}),
        ("countdown import", {"pack": "severance"}),
    ]
    for path, options in attempts:
        reply = await h.alice.slash(path, **options)
        assert reply.ephemeral
        assert "Only moderators can do that" in reply.content, (path, reply.content)
    mine = await created(h, title="Premiere", when="in 3 days")
    for path in ("countdown edit", "countdown delete", "countdown status"):
        options = {"countdown": str(mine.id)}
        if path == "countdown edit":
            options["title"] = "Hijacked"
        reply = await h.alice.slash(path, **options)
        assert "Only moderators can do that" in reply.content
    assert (await cog(h).store.get(h.guild.id, mine.id)) == mine
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 1
    # The configured moderator role is enough.
    await h.owner.slash("config moderator-role", role=h.world.mod_role)
    assert (
        "\N{WHITE HEAVY CHECK MARK}"
        in (await create(h, actor=h.mod, title="By a mod", when="in 4 days")).text
    )


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("soon", "I couldn't read `soon`"),
        ("3 days", "Did you mean `in 3 days`?"),
        ("jan 17", "needs a time of day"),
        ("2020-01-17 21:00", "is in the past"),
        ("<t:1000000000:F>", "is in the past"),
        ("jan 17 9pm Mars/Olympus", "`Mars/Olympus` is not a timezone I know"),
        ("jan 17 9pm America/NewYork", "Did you mean `America/New_York`"),
    ],
)
async def test_bad_and_past_times_are_refused_with_an_example(
    harness: Harness, when: str, expected: str
) -> None:
    h = harness
    await configure(h)
    reply = await create(h, title="Premiere", when=when)
    assert reply.ephemeral
    assert expected in reply.content, reply.content
    assert "**Example:** `/countdown create title:Severance season 2 when:" in reply.content
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0


async def test_times_that_daylight_saving_repeats_or_skips_are_refused(harness: Harness) -> None:
    h = harness
    await configure(h)
    fold = next_fold(h)
    reply = await create(h, title="Premiere", when=f"{fold:%Y-%m-%d %H:%M}")
    assert "happens twice in America/New_York" in reply.content
    assert "clocks go back from 02:00 EDT to 01:00 EST" in reply.content
    first_utc = fold.replace(tzinfo=NY, fold=0).astimezone(dt.UTC)
    assert f"when:{first_utc:%Y-%m-%d %H:%M} UTC`" in reply.content
    gap = next_gap(h)
    reply = await create(h, title="Premiere", when=f"{gap:%b} {gap.day} 2:30am")
    assert "never happens in America/New_York" in reply.content
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0
    # The suggested UTC reading works.
    ok = await create(h, title="Premiere", when=f"{first_utc:%Y-%m-%d %H:%M} UTC")
    assert "\N{WHITE HEAVY CHECK MARK}" in ok.text


@pytest.mark.parametrize(
    ("milestones", "expected"),
    [
        ("1d,24h", "`1d` and `24h` are the same time"),
        ("5", "Give it a unit"),
        ("2 days", "Give it a unit"),
        ("60w", "more than a year"),
        ("1m,2m,3m,4m,5m,6m,7m,8m,9m,10m,11m", "at most 10"),
    ],
)
async def test_bad_milestones_are_refused(harness: Harness, milestones: str, expected: str) -> None:
    h = harness
    await configure(h)
    reply = await create(h, title="Premiere", when="in 3 days", milestones=milestones)
    assert expected in reply.content
    assert "milestones:14d,1d,10m" in reply.content
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0


async def test_titles_with_mentions_are_refused(harness: Harness) -> None:
    h = harness
    await configure(h)
    reply = await create(h, title="@everyone it's here", when="in 3 days")
    assert "The title can't contain mentions" in reply.content
    reply = await create(h, title="   ", when="in 3 days")
    assert "The title can't be blank" in reply.content


async def test_no_announcement_channel_configured(harness: Harness) -> None:
    h = harness
    reply = await create(h, title="Premiere", when="in 3 days")
    assert "This server has no announcement channel yet" in reply.content
    assert "channel:#announcements" in reply.content
    # A channel of its own works without the server default.
    assert (
        "\N{WHITE HEAVY CHECK MARK}"
        in (await create(h, title="P", when="in 3 days", channel=h.world.general)).text
    )


async def test_a_missing_send_messages_permission_is_named(harness: Harness) -> None:
    h = harness
    await configure(h)
    deny_send(h, h.world.spoilers)
    await run_events(h)
    reply = await create(h, title="Premiere", when="in 3 days", channel=h.world.spoilers)
    # Without Send Messages, Discord also withholds Embed Links: both are named.
    assert f"I'm missing **Send Messages** and **Embed Links** in <#{h.world.spoilers.id}>" in reply.content
    # The same for the server's announcement channel when no channel is given.
    deny_send(h, h.world.announcements)
    await run_events(h)
    reply = await create(h, title="Premiere", when="in 3 days")
    assert (
        f"I'm missing **Send Messages** and **Embed Links** in <#{h.world.announcements.id}>" in reply.content
    )
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0


async def test_unsafe_ping_roles_are_refused(harness: Harness) -> None:
    h = harness
    await configure(h)
    risky = h.lb.add_role(h.guild, "Helpers", discord.Permissions(manage_messages=True, kick_members=True))
    high = h.lb.add_role(h.guild, "High", mentionable=True, position=50)
    await h.owner.slash("config moderator-role", role=h.world.mod_role)
    await run_events(h)
    for role, expected in (
        (h.guild.everyone, "that is every member of the server"),
        (h.lb.bot_role(h.guild), "belongs to a bot or integration"),
        (risky, "carries Kick Members, Manage Messages"),
        (high, "not below my highest role"),
        (h.world.mod_role, "it is this server's moderator role"),
    ):
        reply = await create(h, title="Premiere", when="in 3 days", role=role)
        assert expected in reply.content, reply.content
    both = await create(h, title="Premiere", when="in 3 days", role=ping_role(h), make_role=True)
    assert "Pick a `role` or set `make_role`, not both" in both.content
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0


async def test_role_warnings_do_not_block(harness: Harness) -> None:
    h = harness
    await configure(h)
    quiet = h.lb.add_role(h.guild, "Quiet", mentionable=False)
    await run_events(h)
    reply = await create(h, title="A", when="in 3 days", role=quiet)
    assert "isn't mentionable, so announcements can't ping it" in reply.text
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 1


async def test_make_role_creates_a_mentionable_role_once(harness: Harness) -> None:
    h = harness
    await configure(h)
    await h.owner.slash("config show-name", name="Severance")
    first = await create(h, title="Premiere", when="in 3 days", make_role=True)
    assert "Created the ping role" in first.text
    role = h.guild.role_named("Severance pings")
    assert role.mentionable and role.permissions == 0
    await run_events(h)
    second = await create(h, title="Finale", when="in 9 days", make_role=True)
    assert "Reusing the ping role" in second.text
    assert [r.name for r in h.guild.roles.values()].count("Severance pings") == 1


async def test_make_role_without_manage_roles_names_the_permission(harness: Harness) -> None:
    h = harness
    await configure(h)
    bot_role = h.lb.bot_role(h.guild)
    h.lb.set_role_permissions(
        bot_role, discord.Permissions(bot_role.permissions & ~discord.Permissions(manage_roles=True).value)
    )
    await run_events(h)
    reply = await create(h, title="Premiere", when="in 3 days", make_role=True)
    assert "I'm missing **Manage Roles** in this server" in reply.text
    assert await cog(h).store.count(h.guild.id, now(h), "all") == 0


async def test_invited_with_manage_events_only_the_countdown_is_made_and_create_events_named(
    harness: Harness,
) -> None:
    """A server that used the old invite (Manage Events, no Create Events): since February 2026 Discord
    refuses the event, so the bot doesn't try, and the reply names the permission to add."""
    h = harness
    await configure(h)
    bot_role = h.lb.bot_role(h.guild)
    old_invite = discord.Permissions(bot_role.permissions)
    old_invite.update(create_events=False, manage_events=True)
    h.lb.set_role_permissions(bot_role, old_invite)
    await run_events(h)
    reply = await create(h, title="Premiere", when="in 3 days")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text
    assert "No Discord event: I'm missing **Create Events**" in reply.text
    assert h.guild.events == {}
    assert not h.lb.requests_to("POST", r"/scheduled-events")


# -- when autocomplete ------------------------------------------------------------------------------------
async def test_the_when_option_previews_how_it_is_read(harness: Harness) -> None:
    h = harness
    await configure(h)
    wall = at_local(h, 40, 21)
    target = int(wall.replace(tzinfo=NY).timestamp())
    choices = await h.owner.autocomplete("countdown create", "when", title="x", when=f"{wall:%Y-%m-%d} 9pm")
    assert len(choices) == 1
    assert choices[0]["name"].startswith(describe(target, NY))
    assert "America/New_York \N{MIDDLE DOT} in " in choices[0]["name"]
    assert choices[0]["value"] == f"{wall:%Y-%m-%d} 9pm"
    bad = await h.owner.autocomplete("countdown create", "when", when="2020-01-01 10:00")
    assert bad[0]["name"].startswith("\N{WARNING SIGN} 2020-01-01 10:00 is in the past")
    empty = await h.owner.autocomplete("countdown create", "when")
    assert [c["value"] for c in empty] == ["in 1 hour", "tomorrow 21:00", "friday 21:00", "in 1 week"]
    assert all("\N{RIGHTWARDS ARROW}" in c["name"] and len(c["name"]) <= 100 for c in empty)


# -- next, show, list -------------------------------------------------------------------------------------
async def test_next_posts_the_nearest_countdown_for_everyone(harness: Harness) -> None:
    h = harness
    await configure(h)
    nothing = await h.alice.slash("countdown next")
    assert nothing.ephemeral and "Nothing is counting down right now" in nothing.content
    role = ping_role(h)
    await run_events(h)
    later = await created(h, title="Finale", when="in 30 days")
    soon = await created(h, title="Premiere", when="in 3 days", role=role)
    reply = await h.alice.slash("countdown next")
    assert not reply.ephemeral
    (embed,) = reply.embeds
    assert embed["title"] == "Premiere"
    assert f"<t:{soon.release_at}:R>" in embed["description"]
    assert f"<t:{soon.release_at}:F>" in embed["description"]
    assert reply.message is not None
    assert [b["label"] for b in reply.message.buttons()] == ["Notify me"]
    assert reply.message.pinged_roles == []  # showing a countdown never pings
    assert later.release_at > soon.release_at


async def test_show_posts_a_named_countdown_and_refuses_unknown_ones(harness: Harness) -> None:
    h = harness
    await configure(h)
    finale = await created(h, title="Severance S2 finale", when="in 30 days")
    await created(h, title="Severance S2 premiere", when="in 3 days")
    by_id = await h.bob.slash("countdown show", countdown=str(finale.id))
    assert by_id.embeds[0]["title"] == "Severance S2 finale"
    assert by_id.message is not None and by_id.message.buttons() == []  # no ping role, no button
    by_title = await h.bob.slash("countdown show", countdown="severance s2 FINALE")
    assert by_title.embeds[0]["title"] == "Severance S2 finale"
    by_hash = await h.bob.slash("countdown show", countdown=f"#{finale.id}")
    assert by_hash.embeds[0]["title"] == "Severance S2 finale"
    default = await h.bob.slash("countdown show")
    assert default.embeds[0]["title"] == "Severance S2 premiere"
    unknown = await h.bob.slash("countdown show", countdown="Season 3")
    assert unknown.ephemeral and "No countdown in this server matches `Season 3`" in unknown.content


async def test_list_paginates_for_the_member_who_asked(harness: Harness) -> None:
    h = harness
    await configure(h)
    store = cog(h).store
    from cogs.countdowns.store import NewCountdown

    for n in range(1, 13):
        await store.create(NewCountdown(h.guild.id, f"Episode {n}", now(h) + n * DAY, created_by=1), now(h))
    await store.create(NewCountdown(h.guild.id, "Old news", now(h) - DAY, created_by=1), now(h) - 2 * DAY)
    reply = await h.alice.slash("countdown list")
    assert reply.ephemeral
    page = reply.embeds[0]
    assert page["title"] == "Upcoming countdowns"
    assert "Episode 1**" in page["description"] and "Episode 10**" in page["description"]
    assert "Episode 11**" not in page["description"] and "Old news" not in page["description"]
    assert page["footer"]["text"] == "Page 1 of 2 \N{MIDDLE DOT} 12 in all"
    assert reply.message is not None
    buttons = {b["label"]: b for b in reply.message.buttons()}
    assert buttons["Previous"]["disabled"] and not buttons["Next"]["disabled"]
    turned = await h.alice.click(reply.message, "Next")
    assert turned.kind == "update"
    assert "Episode 12**" in turned.embeds[0]["description"]
    assert turned.embeds[0]["footer"]["text"] == "Page 2 of 2 \N{MIDDLE DOT} 12 in all"
    back = await h.alice.click(reply.message, "Previous")
    assert "Episode 1**" in back.embeds[0]["description"]
    released = await h.alice.slash("countdown list", show="released")
    assert "Old news" in released.embeds[0]["description"]
    assert released.message is not None and released.message.buttons() == []  # one page: no buttons
    everything = await h.alice.slash("countdown list", show="all")
    assert everything.embeds[0]["footer"]["text"].endswith("13 in all")


async def test_list_when_there_is_nothing(harness: Harness) -> None:
    reply = await harness.alice.slash("countdown list")
    assert reply.ephemeral and "No countdowns are coming up" in reply.content


# -- countdown autocomplete ---------------------------------------------------------------------------
async def test_countdowns_autocomplete_wherever_one_is_named(harness: Harness) -> None:
    h = harness
    await configure(h)
    premiere = await created(h, title="Severance S2 premiere", when="in 3 days")
    finale = await created(h, title="Severance S2 finale", when="in 30 days")
    special = await created(h, title="Lumon special", when="in 10 days")
    for path in ("countdown show", "countdown edit", "countdown delete", "countdown status"):
        everything = await h.owner.autocomplete(path, "countdown")
        assert [c["value"] for c in everything] == [str(premiere.id), str(special.id), str(finale.id)]
        assert everything[0]["name"] == "Severance S2 premiere \N{MIDDLE DOT} " + describe(
            premiere.release_at, NY, with_zone=False
        )
    typed = await h.owner.autocomplete("countdown show", "countdown", countdown="fin")
    assert [c["value"] for c in typed] == [str(finale.id)]
    assert await h.owner.autocomplete("countdown show", "countdown", countdown="zzz") == []


async def test_autocomplete_is_capped_at_25(harness: Harness) -> None:
    h = harness
    store = cog(h).store
    from cogs.countdowns.store import NewCountdown

    for n in range(30):
        await store.create(
            NewCountdown(h.guild.id, f"Countdown {'x' * 80} {n}", now(h) + DAY + n, created_by=1), now(h)
        )
    choices = await h.owner.autocomplete("countdown show", "countdown")
    assert len(choices) == 25
    assert all(len(c["name"]) <= 100 for c in choices)


# -- edit ----------------------------------------------------------------------------------------------
async def test_edit_moves_pending_announcements_and_never_repeats_sent_ones(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 2 hours", milestones="1h")
    h.clock.jump(HOUR + 1)
    await settled(h, countdown.id, HOUR)
    reply = await h.owner.slash("countdown edit", countdown=str(countdown.id), when="in 3 days")
    await reply.wait_done()
    assert "Updated the time of countdown" in reply.text
    assert "Already announced (1h); those are not repeated." in reply.text
    rows = await jobs(h, countdown.id)
    assert rows[HOUR].state == "sent"  # unchanged: not announced again
    stored = await cog(h).store.get(h.guild.id, countdown.id)
    assert stored is not None
    assert rows[0].state == "pending" and rows[0].due_at == stored.release_at
    # The Discord event moved with it.
    (event,) = h.guild.events.values()
    assert dt.datetime.fromisoformat(event.scheduled_start_time).timestamp() == stored.release_at


async def test_edit_milestones_cancels_and_revives_them(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 10 days")
    cid = str(countdown.id)
    reply = await h.owner.slash("countdown edit", countdown=cid, milestones="1d")
    await reply.wait_done()
    rows = await jobs(h, countdown.id)
    assert rows[7 * DAY].state == "cancelled" and rows[HOUR].state == "cancelled"
    assert rows[7 * DAY].reason == "the countdown changed and this milestone no longer applies"
    assert rows[DAY].state == "pending"
    reply = await h.owner.slash("countdown edit", countdown=cid, milestones="7d,1d,1h")
    await reply.wait_done()
    assert {o: j.state for o, j in (await jobs(h, countdown.id)).items()} == {
        7 * DAY: "pending",
        DAY: "pending",
        HOUR: "pending",
        0: "pending",
    }
    # Moving the release closer retires milestones whose time has gone, with a note.
    reply = await h.owner.slash("countdown edit", countdown=cid, when="in 12 hours")
    await reply.wait_done()
    assert "The 7d, 1d milestones have already passed" in reply.text
    rows = await jobs(h, countdown.id)
    assert rows[7 * DAY].state == rows[DAY].state == "cancelled"


async def test_edit_title_channel_and_role(harness: Harness) -> None:
    h = harness
    await configure(h)
    role = ping_role(h)
    await run_events(h)
    countdown = await created(h, title="Premiere", when="in 3 days")
    reply = await h.owner.slash(
        "countdown edit",
        countdown=str(countdown.id),
        title="Severance S2 premiere",
        channel=h.world.spoilers,
        role=role,
    )
    await reply.wait_done()
    assert "Updated the title, channel, ping role" in reply.text
    stored = await cog(h).store.get(h.guild.id, countdown.id)
    assert stored is not None
    assert (stored.title, stored.channel_id, stored.role_id) == (
        "Severance S2 premiere",
        h.world.spoilers.id,
        role.id,
    )
    assert next(iter(h.guild.events.values())).name == "Severance S2 premiere"
    removed = await h.owner.slash("countdown edit", countdown=str(countdown.id), remove_role=True)
    await removed.wait_done()
    stored = await cog(h).store.get(h.guild.id, countdown.id)
    assert stored is not None and stored.role_id is None


async def test_edit_refusals(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 3 days")
    cid = str(countdown.id)
    nothing = await h.owner.slash("countdown edit", countdown=cid)
    assert "Tell me what to change" in nothing.content
    past = await h.owner.slash("countdown edit", countdown=cid, when="2020-01-01 10:00")
    assert "is in the past" in past.content and "/countdown edit countdown:1 when:in 3 days" in past.content
    both = await h.owner.slash("countdown edit", countdown=cid, role=ping_role(h), remove_role=True)
    assert "not both" in both.content
    unknown = await h.owner.slash("countdown edit", countdown="999", title="x")
    assert "No countdown in this server matches `999`" in unknown.content
    assert await cog(h).store.get(h.guild.id, countdown.id) == countdown


# -- delete --------------------------------------------------------------------------------------------
async def test_delete_asks_first_then_cancels_everything_pending(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 3 days")
    ask = await h.owner.slash("countdown delete", countdown=str(countdown.id))
    assert ask.ephemeral and "Delete **Premiere**" in ask.content
    assert ask.message is not None
    kept = await h.owner.click(ask.message, "Keep it")
    assert "nothing was deleted" in kept.content
    assert await cog(h).store.get(h.guild.id, countdown.id) is not None
    assert len(h.guild.events) == 1

    ask = await h.owner.slash("countdown delete", countdown=str(countdown.id))
    assert ask.message is not None
    done = await h.owner.click(ask.message, "Delete")
    await until(
        lambda: "Deleted" in (ask.message.content if ask.message else ""), what="the delete to finish"
    )
    assert "3 pending announcements cancelled" in ask.message.content
    assert await cog(h).store.get(h.guild.id, countdown.id) is None
    assert await jobs(h, countdown.id) == {}
    rows = await retired(h, countdown.id)  # kept as a record, out of a new countdown's way
    assert len(rows) == 3 and {j.state for j in rows} == {"cancelled"}
    assert all(j.reason and "deleted by" in j.reason for j in rows)
    assert h.guild.events == {}
    assert done.kind == "deferred_update"


@pytest.mark.only_sqlite(reason="SQLite hands a deleted row's id out again; PostgreSQL's identity never does")
async def test_a_new_countdown_that_gets_a_deleted_ones_id_still_announces_every_milestone(
    harness: Harness,
) -> None:
    """SQLite hands the highest id out again once its row is deleted. The deleted countdown's posted
    milestones must not count as the new one's: its milestones are announced all the same."""
    h = harness
    await configure(h)
    old = await created(h, title="Premiere", when="in 2 days", milestones="1d")
    h.clock.jump(DAY)
    await announced(h, old.id, "tomorrow")
    await settled(h, old.id, DAY)
    ask = await h.owner.slash("countdown delete", countdown=str(old.id))
    assert ask.message is not None
    await h.owner.click(ask.message, "Delete")
    await until(lambda: "Deleted" in (ask.message.content if ask.message else ""), what="the delete")
    new = await created(h, title="Finale", when="in 2 days", milestones="1d")
    assert new.id == old.id  # the id came round again
    h.clock.jump(DAY)
    await announced(h, new.id, "tomorrow")
    rows = await settled(h, new.id, DAY)
    assert rows[DAY].state == "sent"
    assert sum("Finale" in m.text for m in announcements(h, countdown_id=new.id)) == 1


# -- status and /config show ---------------------------------------------------------------------------
async def test_status_and_config_show_report_each_announcement(harness: Harness) -> None:
    h = harness
    await configure(h)
    countdown = await created(h, title="Premiere", when="in 2 hours", milestones="1d,1h")
    h.clock.jump(HOUR + 1)
    await settled(h, countdown.id, HOUR)
    reply = await h.owner.slash("countdown status", countdown=str(countdown.id))
    assert reply.ephemeral
    text = reply.text
    assert "**1d**: not scheduled (its time had passed when it was set)" in text
    assert "**1h**: sent" in text and f"/channels/{h.guild.id}/{h.world.announcements.id}/" in text
    assert "**release**: pending" in text
    config = await h.owner.slash("config show")
    assert "Countdowns" in config.text and "1 upcoming; next **Premiere**" in config.text


async def test_when_declares_its_length_and_a_run_of_digits_gets_a_short_clear_error(
    harness: Harness,
) -> None:
    """`when` used to reach the bot unbounded: 5,000 digits crashed int() and the error echoed them all."""
    h = harness
    await configure(h)
    with pytest.raises(ClientRefused):
        await create(h, title="Premiere", when="9" * 5000)  # Discord's client refuses it now
    reply = await create(h, title="Premiere", when="9" * 100)
    assert reply.ephemeral and "digits long" in reply.text, reply.text
    assert "Example" in reply.text and "9" * 61 not in reply.text


async def test_a_superscript_digit_is_not_a_countdown_number(harness: Harness) -> None:
    h = harness
    await configure(h)
    await created(h, title="Premiere", when="in 3 days")
    reply = await h.alice.slash("countdown show", countdown="\u00b2")
    assert reply.ephemeral and "No countdown in this server matches" in reply.text, reply.text


async def test_lists_confirmations_and_forms_left_from_before_a_restart_say_they_expired(
    harness: Harness,
) -> None:
    h = harness
    await configure(h)
    from cogs.countdowns.store import NewCountdown

    for n in range(1, 13):
        await cog(h).store.create(
            NewCountdown(h.guild.id, f"Episode {n}", now(h) + n * DAY, created_by=1), now(h)
        )
    listed = await h.alice.slash("countdown list")
    asked = await h.owner.slash("countdown delete", countdown="1")
    await h.owner.slash("config theories", channel=h.world.general)
    form = await h.alice.slash("theory new", episode="S1E1")
    assert listed.message is not None and asked.message is not None and form.kind == "modal"
    await h.restart()

    turned = await h.alice.click(listed.message, "Next")
    assert turned.ephemeral and "This list has expired: run the command again" in turned.text, turned
    confirmed = await h.owner.click(asked.message, "Delete")
    assert confirmed.ephemeral and "This confirmation has expired: run the command again" in confirmed.text
    assert await cog(h).store.get(h.guild.id, 1) is not None
    submitted = await h.alice.submit(form, title="Late", text="Too late.")
    assert submitted.ephemeral and "This form has expired: run the command again" in submitted.text


async def test_a_delete_confirmation_rechecks_the_moderator(harness: Harness) -> None:
    h = harness
    await configure(h)
    await h.owner.slash("config moderator-role", role=h.world.mod_role)
    countdown = await created(h, title="Premiere", when="in 3 days")
    asked = await h.mod.slash("countdown delete", countdown=str(countdown.id))
    assert asked.message is not None
    await h.owner.slash("config moderator-role")
    pressed = await h.mod.click(asked.message, "Delete")
    await pressed.wait_for(lambda r: "Only moderators can do that" in r.text)
    assert await cog(h).store.get(h.guild.id, countdown.id) is not None


async def test_deleting_a_countdown_while_its_event_is_being_made_leaves_no_event(harness: Harness) -> None:
    h = harness
    await configure(h)
    gate = hold_route(h, "POST", "/guilds/(?P<guild>[^/]+)/scheduled-events")
    creating = asyncio.create_task(create(h, title="Premiere", when="in 3 days"))
    await until(lambda: h.lb.requests_to("POST", r"/scheduled-events$"), what="the event request")
    countdown_id = (await cog(h).store.page(h.guild.id, now(h), "all", limit=1, offset=0))[0].id
    asked = await h.owner.slash("countdown delete", countdown=str(countdown_id))
    assert asked.message is not None
    deleting = asyncio.create_task(h.owner.click(asked.message, "Delete"))
    await asyncio.sleep(0.2)  # the delete is waiting for the create, not racing it
    gate.set()
    made = await creating
    assert "\N{WHITE HEAVY CHECK MARK} Countdown #" in made.text, made.text
    await deleting
    message = asked.message
    await until(lambda: "Deleted **Premiere**" in message.content, what="the delete to finish")
    assert await cog(h).store.get(h.guild.id, countdown_id) is None
    assert h.guild.events == {}


async def test_events_left_without_their_countdown_are_swept(harness: Harness) -> None:
    h = harness
    await configure(h)
    lost = await created(h, title="Premiere", when="in 3 days")
    assert lost.event_id in h.guild.events
    await cog(h).store.delete(h.guild.id, lost.id)  # as a crash between the two would leave it
    kept = await created(h, title="Finale", when="in 9 days")
    assert list(h.guild.events) == [kept.event_id]
