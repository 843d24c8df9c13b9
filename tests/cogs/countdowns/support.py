"""Helpers for the countdown end-to-end tests: set up the server, drive time, read the records."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, cast
from zoneinfo import ZoneInfo

import discord

from bot.db.jobs import Job
from cogs.countdowns import Countdowns
from cogs.countdowns.store import Countdown
from tests.harness import Harness
from tests.loopback import Channel, Message, Reply, Role
from tests.loopback.tvmaze import LoopbackTVmaze
from tests.support import until

NY = ZoneInfo("America/New_York")
INVISIBLE = "\u200b\u200c\u2063"
FINISHED = {"sent", "skipped", "failed", "cancelled"}


def cog(h: Harness) -> Countdowns:
    # Not isinstance: closing a bot unloads the extension from sys.modules, so each test's bot has
    # its own copy of the class.
    found = h.bot.get_cog("Countdowns")
    assert found is not None and type(found).__name__ == "Countdowns"
    return cast("Countdowns", found)


async def configure(
    h: Harness, *, zone: str | None = "America/New_York", announcements: Channel | None = None
) -> None:
    """The owner points announcements at #announcements (and sets a timezone)."""
    reply = await h.owner.slash("config announcements", channel=announcements or h.world.announcements)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.content, reply.content
    if zone:
        reply = await h.owner.slash("config timezone", zone=zone)
        assert "\N{WHITE HEAVY CHECK MARK}" in reply.content, reply.content


def ping_role(h: Harness, name: str = "Severance pings") -> Role:
    return h.lb.add_role(h.guild, name, mentionable=True)


async def create(h: Harness, *, actor: Any = None, **options: Any) -> Reply:
    """Run /countdown create and wait past its deferral."""
    reply = await (actor or h.owner).slash("countdown create", **options)
    if reply.kind == "deferred":
        await reply.wait_done()
    return reply


async def created(h: Harness, **options: Any) -> Countdown:
    """Create a countdown that must succeed; returns it as stored."""
    reply = await create(h, **options)
    assert "\N{WHITE HEAVY CHECK MARK} Countdown #" in reply.text, reply.text
    number = int(reply.text.split("Countdown #", 1)[1].split(" ", 1)[0])
    found = await cog(h).store.get(h.guild.id, number)
    assert found is not None
    return found


def now(h: Harness) -> int:
    return int(h.clock.now())


def at_local(h: Harness, days: int, hour: int, minute: int = 0, zone: ZoneInfo = NY) -> dt.datetime:
    """A wall-clock time `days` days after today (in `zone`), as a naive datetime."""
    today = dt.datetime.fromtimestamp(h.clock.now(), dt.UTC).astimezone(zone).date()
    return dt.datetime.combine(today + dt.timedelta(days=days), dt.time(hour, minute))


def travel_to(h: Harness, ts: float) -> None:
    """Set the bot's (and Discord's) clock to `ts`, forwards or backwards; sleepers wake and look."""
    h.clock.offset += ts - h.clock.now()
    h.clock.jump(0)


async def jobs(h: Harness, countdown_id: int) -> dict[int, Job]:
    """The countdown's scheduler rows by milestone offset."""
    rows = await h.bot.jobs.list_for(h.guild.id, "countdown", f"countdown:{countdown_id}:")
    return {int(j.payload["offset"]): j for j in rows}


async def retired(h: Harness, countdown_id: int) -> list[Job]:
    """The milestone rows of a deleted countdown, kept as a record under retired keys."""
    rows = await h.bot.db.fetchall(
        "SELECT * FROM scheduled_jobs WHERE guild_id = ? AND key LIKE ? ORDER BY due_at",
        (h.guild.id, f"retired:%:countdown:{countdown_id}:%"),
    )
    return [Job.from_row(r) for r in rows]


async def settled(h: Harness, countdown_id: int, *offsets: int) -> dict[int, Job]:
    """Wait until these milestones are finished (sent, skipped, failed or cancelled)."""

    async def done() -> bool:
        current = await jobs(h, countdown_id)
        return all(o in current and current[o].state in FINISHED for o in offsets)

    await until(done, what=f"milestones {offsets} of countdown #{countdown_id} to finish")
    await h.bot.scheduler.wait_idle()
    return await jobs(h, countdown_id)


def announcements(
    h: Harness, channel: Channel | None = None, *, countdown_id: int | None = None
) -> list[Message]:
    """Bot posts that are countdown announcements (embed footer 'Countdown #n'), oldest first."""
    found = []
    for message in h.lb.bot_messages(channel):
        # The footer ends with the job's invisible marker (bot.scheduler.job_marker).
        footers = [(e.get("footer") or {}).get("text", "").rstrip(INVISIBLE) for e in message.embeds]
        if message.interaction_metadata is not None or not footers:
            continue
        if countdown_id is None or f"Countdown #{countdown_id}" in footers:
            found.append(message)
    return found


async def announced(
    h: Harness, countdown_id: int, text: str, channel: Channel | None = None, timeout: float = 30.0
) -> Message:
    """Wait for an announcement of the countdown whose text contains `text`."""
    result: list[Message] = []

    def check() -> bool:
        hits = [m for m in announcements(h, channel, countdown_id=countdown_id) if text in m.text]
        result[:] = hits
        return bool(hits)

    await until(check, timeout, what=f"an announcement of #{countdown_id} saying {text!r}")
    return result[0]


def deny_send(h: Harness, channel: Channel) -> None:
    h.lb.set_overwrite(channel, h.lb.bot_role(h.guild), deny=discord.Permissions(send_messages=True))


async def run_events(h: Harness) -> None:
    """Let the bot process gateway events the test caused (role and channel changes)."""
    await h.settle()


Check = Callable[[], Awaitable[bool]]


def hold_route(h: Harness, method: str, template: str) -> asyncio.Event:
    """Hold the loopback's answers to one route until the returned event is set (a slow Discord)."""
    gate = asyncio.Event()
    for index, (route_method, pattern, handler) in enumerate(h.lb._routes):
        if route_method == method and pattern.pattern == "^" + template + "$":

            async def held(req: Any, handler: Any = handler) -> Any:
                await gate.wait()
                return await handler(req)

            h.lb._routes[index] = (route_method, pattern, held)
            return gate
    raise LookupError(f"{method} {template}")


# -- following a show on the loopback TVmaze ------------------------------------------------------------
CREDIT = "Schedule from TVmaze"


def tv(h: Harness) -> LoopbackTVmaze:
    assert h.tv is not None, "the harness has no loopback TVmaze"
    return h.tv


def severance_on_tv(h: Harness, *, weeks_ahead: int = 2) -> int:
    """Severance on the loopback TVmaze: season 1 aired long ago, season 2's ten weekly episodes start
    `weeks_ahead` weeks from now at 02:00 UTC (21:00 the evening before in New York)."""
    tvm = tv(h)
    show_id = tvm.add_show("Severance", premiered="2022-02-18", web_channel="Apple TV+", show_id=44933)
    start = (now(h) // 86_400 + 7 * weeks_ahead) * 86_400 + 2 * 3600
    for n in range(1, 4):
        tvm.add_episode(show_id, 1, n, now(h) - 900 * 86_400 + n * 7 * 86_400, name=f"Old {n}")
    tvm.add_season(show_id, 2, start, 10)
    tvm.mark_updated(show_id, at=now(h) - 20 * 86_400)
    return show_id


async def follow(h: Harness, show_id: int, *, actor: Any = None, **options: Any) -> Reply:
    """Run /show follow for a show picked from autocomplete, and wait past its deferral."""
    reply = await (actor or h.owner).slash("show follow", show=f"tvmaze:{show_id}", **options)
    if reply.kind == "deferred":
        await reply.wait_done()
    return reply


def notices(h: Harness, channel: Channel | None = None) -> list[Message]:
    """Schedule-change notices the bot posted (their footer credits TVmaze), oldest first."""
    found = []
    for message in h.lb.bot_messages(channel):
        footers = [(e.get("footer") or {}).get("text", "").rstrip(INVISIBLE) for e in message.embeds]
        if message.interaction_metadata is None and CREDIT in footers:
            found.append(message)
    return found


def shows_cog(h: Harness) -> Any:
    found = h.bot.get_cog("Shows")
    assert found is not None and type(found).__name__ == "Shows"
    return found
