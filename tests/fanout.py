"""A premiere fan-out: many servers, one countdown each, all released in the same second; optionally
with a discussion thread per server for the released episode.

Shared by the fault drills (tests) and the fan-out benchmark (bench/fanout.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bot.db import Database, open_database
from bot.db.episodes import Episode, EpisodeStore
from bot.db.guilds import GuildStore
from bot.db.jobs import JOBS_CHANNEL, JobStore
from bot.discussions import discussion_jobs, discussion_name
from bot.episodes import EpisodeCode
from bot.forum_tags import season_tag_name
from cogs.countdowns.rules import plan_jobs
from cogs.countdowns.store import CountdownStore, NewCountdown
from tests.loopback import Channel, ChannelType, Guild, LoopbackDiscord

PREMIERE = EpisodeCode(3, 1)


@dataclass(frozen=True)
class Server:
    guild: Guild
    channel: Channel
    talk: Channel | None = None  # where the premiere's discussion thread goes, when there is one


def build_servers(
    lb: LoopbackDiscord, count: int, *, prefix: str = "Fans", discussions: int | None = None
) -> list[Server]:
    """`count` guilds the bot is in, each with an #announcements channel (and, with `discussions`, an
    #episode-talk forum, holding the season's tag as /spoilers discussions leaves it, or text channel).
    Build before the bot connects."""
    servers = []
    for n in range(count):
        guild = lb.create_guild(f"{prefix} {n}")
        talk = lb.add_channel(guild, "episode-talk", type=discussions) if discussions is not None else None
        if talk is not None and discussions == ChannelType.FORUM:  # made by /spoilers discussions
            talk.available_tags = [
                {"id": str(lb.ids.next()), "name": season_tag_name(PREMIERE.season), "moderated": False}
                | {"emoji_id": None, "emoji_name": None}
            ]
        servers.append(Server(guild, lb.add_channel(guild, "announcements"), talk))
    return servers


async def seed_countdowns(db: Database, servers: list[Server], release_at: int, now: int) -> None:
    """Each server: announcement channel set, one countdown releasing at `release_at` (release only);
    where the server has a discussion channel, the countdown is S3E1's and discussions are on there."""
    guilds, jobs = GuildStore(db), JobStore(db)
    countdowns = CountdownStore(db, guilds)
    episodes = EpisodeStore(db, guilds)
    planned = []
    for server in servers:
        talk = server.talk.id if server.talk is not None else None
        await guilds.update(
            server.guild.id,
            announce_channel_id=server.channel.id,
            show_name="Severance",
            discussion_channel_id=talk,
        )
        countdown = await countdowns.create(
            NewCountdown(
                guild_id=server.guild.id,
                title="Season 3 premiere",
                release_at=release_at,
                created_by=server.guild.owner_id,
                milestones=(0,),
                code=PREMIERE if talk is not None else None,
            ),
            now,
        )
        planned.extend(plan_jobs(server.guild.id, countdown.id, release_at, countdown.milestones, now).jobs)
        if talk is not None:
            await episodes.upsert(server.guild.id, [(PREMIERE, None, release_at)])
            planned.extend(
                discussion_jobs(server.guild.id, [Episode(server.guild.id, PREMIERE, None, release_at)], now)
            )
    await jobs.upsert(planned, now)


async def seed_database(location: Path | str, servers: list[Server], release_at: int, now: int) -> None:
    db = open_database(location)
    await db.open()
    try:
        await db.migrate()
        await seed_countdowns(db, servers, release_at, now)
    finally:
        await db.close()


async def retime(location: Path | str, release_at: int) -> None:
    """Move every seeded premiere (its announcement, and its discussion thread) to `release_at`, and wake running bots
    (PostgreSQL's NOTIFY): seeding thousands of servers takes a while, and processes start at their
    own pace, so benchmarks and drills seed first and pick the release once the bot is up."""
    db = open_database(location)
    await db.open()
    try:
        async with db.transaction():
            await db.execute("UPDATE countdowns SET release_at = ?", (release_at,))
            await db.execute("UPDATE episodes SET air_at = ? WHERE air_at IS NOT NULL", (release_at,))
            await db.execute("UPDATE scheduled_jobs SET due_at = ?, run_at = ?", (release_at, release_at))
            await db.notify(JOBS_CHANNEL, "*")
    finally:
        await db.close()


async def job_states(location: Path | str) -> dict[str, int]:
    """How many scheduler rows are in each state."""
    db = open_database(location)
    await db.open()
    try:
        rows = await db.fetchall("SELECT state, count(*) FROM scheduled_jobs GROUP BY state")
        return {r[0]: int(r[1]) for r in rows}
    finally:
        await db.close()


def threads_opened(lb: LoopbackDiscord, servers: list[Server]) -> Tally:
    """Discussion threads per server: one each is right; more is a duplicate; none is lost."""
    name = discussion_name(PREMIERE)
    per_parent = Counter(c.parent_id for c in lb.channels.values() if c.is_thread and c.name == name)
    counts = [per_parent.get(s.talk.id, 0) for s in servers if s.talk is not None]
    return Tally(
        delivered=sum(1 for c in counts if c >= 1),
        duplicates=sum(c - 1 for c in counts if c > 1),
        lost=sum(1 for c in counts if c == 0),
    )


@dataclass(frozen=True)
class Tally:
    delivered: int
    duplicates: int
    lost: int

    @property
    def exactly_once(self) -> bool:
        return self.duplicates == 0 and self.lost == 0


def tally(lb: LoopbackDiscord, servers: list[Server]) -> Tally:
    """Announcements per server channel: one each is right; more is a duplicate; none is lost."""
    per_channel = Counter(m.channel_id for m in lb.bot_messages() if "Season 3 premiere" in m.text)
    counts = [per_channel.get(s.channel.id, 0) for s in servers]
    return Tally(
        delivered=sum(1 for c in counts if c >= 1),
        duplicates=sum(c - 1 for c in counts if c > 1),
        lost=sum(1 for c in counts if c == 0),
    )
