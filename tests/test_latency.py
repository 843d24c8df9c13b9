"""Every slash command over a slow network: the loopback's latency mode puts 80 to 250 ms on each REST
round trip (and half of one between Discord and the bot for each interaction), and every command must
still answer or defer within Discord's 3 seconds, then finish.

One representative run per command: the server is set up at loopback speed, then latency is switched
on for the command itself (and its modal, where it opens one). A new command needs a scenario here;
`test_every_command_has_a_scenario` holds the list to the bot's command tree.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import discord
import pytest
from discord import app_commands

from bot.episodes import EpisodeCode
from tests.cogs.countdowns.support import configure as configure_countdowns
from tests.cogs.countdowns.support import created, follow, severance_on_tv
from tests.cogs.support import severance, write_recap
from tests.harness import Harness
from tests.loopback import Reply
from tests.support import until

LATENCY = (0.08, 0.25)
DAY = 86_400
INCIDENT = "Something went wrong on my side"

Scenario = Callable[[Harness], Awaitable[Reply]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(path: str) -> Callable[[Scenario], Scenario]:
    def register(func: Scenario) -> Scenario:
        SCENARIOS[path] = func
        return func

    return register


@contextlib.asynccontextmanager
async def slow(h: Harness) -> AsyncIterator[None]:
    h.lb.latency = LATENCY
    try:
        yield
    finally:
        h.lb.latency = None


async def finished(reply: Reply) -> Reply:
    """A deferred reply, once the bot has replaced its thinking message (or sent its first followup)."""
    if reply.kind in ("deferred", "deferred_update"):
        await reply.wait_done(timeout=60)
    return reply


Setup = Callable[[Harness], Awaitable[object]]


def simple(path: str, setup: Setup, who: str, **options: Any) -> None:
    """A scenario that sets the server up, then runs one command: option values may be functions of
    the harness (a channel or role of its world)."""

    async def run(h: Harness) -> Reply:
        await setup(h)
        values = {name: value(h) if callable(value) else value for name, value in options.items()}
        async with slow(h):
            return await finished(await h.actor(who).slash(path, **values))

    SCENARIOS[path] = run


async def nothing(h: Harness) -> None:
    return None


async def a_countdown(h: Harness) -> None:
    """Announcements set up, and countdown #1 with a ping role of its own."""
    await configure_countdowns(h)
    await created(h, title="Premiere", when="in 3 days", make_role=True)


async def a_show_on_tvmaze(h: Harness) -> int:
    await configure_countdowns(h)
    return severance_on_tv(h)


async def a_followed_show(h: Harness) -> None:
    reply = await follow(h, await a_show_on_tvmaze(h))
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text


async def show_unset(h: Harness) -> None:
    await severance(h, spoiler_channel=False)


async def a_spoiler_word(h: Harness) -> None:
    await severance(h)
    await h.mod.slash("spoilers words add", episode="S2E3", word="Reghabi")


async def automod_on(h: Harness) -> None:
    """The bot has Manage Server and AutoMod is on, holding one fresh word: changes reach Discord."""
    await a_spoiler_word(h)
    role = h.lb.bot_role(h.guild)
    h.lb.set_role_permissions(
        role, discord.Permissions(role.permissions | discord.Permissions(manage_guild=True).value)
    )
    await h.settle()
    await finished(await h.mod.slash("spoilers automod on"))


async def a_new_role(h: Harness) -> None:
    await severance(h)
    h.lb.add_role(h.guild, "Watched S2E3")
    await h.settle()


async def a_progress_role(h: Harness) -> None:
    await a_new_role(h)
    await h.mod.slash("spoilers roles set", episode="S2E3", role=h.guild.role_named("Watched S2E3"))


async def a_recap(h: Harness) -> None:
    await severance(h)
    await write_recap(h, "S2E3", "Mark meets Reghabi. " * 150, thread=True)


async def a_progress(h: Harness) -> None:
    await severance(h)
    await h.alice.slash("progress set", episode="S2E3")


async def theories_in_the_forum(h: Harness) -> None:
    await severance(h)
    await finished(await h.owner.slash("config theories", channel=h.world.theories))


async def a_theory(h: Harness) -> None:
    await theories_in_the_forum(h)
    modal = await h.alice.slash("theory new", episode="S2E3")
    await finished(await h.alice.submit(modal, title="Helly is Helena", text="Look at the badge."))


async def watched_up_to_roles(h: Harness) -> None:
    """Severance with a "watched up to" role for each of twenty episodes (seasons 2 and 3)."""
    await severance(h)
    t = int(h.clock.now())
    await h.bot.episodes.upsert(
        h.guild.id, [(EpisodeCode(3, n), None, t - 30 * DAY + n) for n in range(1, 11)]
    )
    for season in (2, 3):
        for n in range(1, 11):
            role = h.lb.add_role(h.guild, f"Watched S{season}E{n}")
            await h.settle()
            reply = await h.mod.slash("spoilers roles set", episode=f"S{season}E{n}", role=role)
            assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text


# /config and /about
simple("config show", configure_countdowns, "owner")
simple("config timezone", nothing, "owner", zone="Europe/London")
simple("config show-name", nothing, "owner", name="Severance")
simple("config moderator-role", nothing, "owner", role=lambda h: h.world.mod_role)
simple("config announcements", nothing, "owner", channel=lambda h: h.world.announcements)
simple("config theories", nothing, "owner", channel=lambda h: h.world.theories)  # it makes forum tags
simple("about", nothing, "alice")
# /countdown: create, edit, season and import make roles and Discord events, a request each
simple("countdown next", a_countdown, "alice")
simple("countdown show", a_countdown, "alice", countdown="1")
simple("countdown list", a_countdown, "alice")
simple("countdown create", configure_countdowns, "owner", title="Premiere", when="in 3 days", make_role=True)
simple("countdown edit", a_countdown, "owner", countdown="1", title="Finale", when="in 4 days")
simple("countdown status", a_countdown, "owner", countdown="1")
simple("countdown season", configure_countdowns, "owner", season=3, first="in 2 days", episodes=4)
simple("countdown import", configure_countdowns, "owner", pack="severance")
# /show: follow fetches from the loopback TVmaze, then makes ten countdowns with their events
simple("show follow", a_show_on_tvmaze, "owner", show="tvmaze:44933", make_role=True)
simple("show unfollow", a_followed_show, "owner")
simple("show status", a_followed_show, "alice")
simple("show sync", a_followed_show, "owner")
# /spoilers
simple("spoilers channel add", show_unset, "mod", channel=lambda h: h.world.spoilers)
simple("spoilers channel remove", severance, "mod", channel=lambda h: h.world.spoilers)
simple("spoilers channel list", severance, "mod")
simple("spoilers window", severance, "mod", length="36 hours")
simple("spoilers words add", automod_on, "mod", episode="S2E4", word="Cobel")  # and AutoMod's rule follows
simple("spoilers words remove", a_spoiler_word, "mod", episode="S2E3", word="Reghabi")
simple("spoilers words list", a_spoiler_word, "mod")
simple("spoilers guard on", severance, "mod")  # without the Message Content intent: says how
simple("spoilers guard off", severance, "mod")
simple("spoilers automod on", a_spoiler_word, "owner")  # without Manage Server: says so
simple("spoilers automod off", automod_on, "mod")  # the rule is deleted
simple("spoilers format cards", severance, "mod")
simple("spoilers format tags", severance, "mod")
simple(
    "spoilers discussions", automod_on, "mod", channel=lambda h: h.world.theories
)  # and the rule's exemptions
simple(
    "spoilers roles set", a_new_role, "mod", episode="S2E3", role=lambda h: h.guild.role_named("Watched S2E3")
)
simple("spoilers roles remove", a_progress_role, "mod", episode="S2E3")
simple("spoilers roles list", a_progress_role, "mod")
# /recap
simple("recap read", a_recap, "alice", episode="S2E3")
simple("recap list", a_recap, "alice")
simple("recap delete", a_recap, "mod", episode="S2E3")
# /progress
simple("progress show", a_progress, "alice")
# /theory
simple("theory show", a_theory, "bob", theory="1")
simple("theory list", a_theory, "bob")
simple("theory top", a_theory, "bob")
simple("theory search", a_theory, "bob", text="badge")
simple("theory leaderboard", a_theory, "bob")
simple("theory resolve", a_theory, "mod", theory="1", outcome="Confirmed", episode="S2E7", lock=True)


# -- scenarios with a form, a button, or roles to wait for --------------------------------------------
@scenario("countdown delete")
async def _countdown_delete(h: Harness) -> Reply:
    await a_countdown(h)
    async with slow(h):
        ask = await h.owner.slash("countdown delete", countdown="1")
        assert ask.message is not None
        await h.owner.click(ask.message, "Delete")
        await until(lambda: "Deleted" in (ask.message.content if ask.message else ""), 30, "the delete")
    return ask


@scenario("recap write")
async def _recap_write(h: Harness) -> Reply:
    await severance(h)
    async with slow(h):
        modal = await h.mod.slash("recap write", episode="S2E3", thread=True)
        return await finished(await h.mod.submit(modal, text="Mark meets Reghabi. " * 150))


@scenario("recap edit")
async def _recap_edit(h: Harness) -> Reply:
    await a_recap(h)
    async with slow(h):
        modal = await h.mod.slash("recap edit", episode="S2E3")
        return await finished(await h.mod.submit(modal, text="Mark meets Reghabi again. " * 150))


@scenario("theory new")
async def _theory_new(h: Harness) -> Reply:
    await theories_in_the_forum(h)
    async with slow(h):  # a forum post with its tags, then the theory's messages
        modal = await h.alice.slash("theory new", episode="S2E3")
        return await finished(
            await h.alice.submit(modal, title="Helly is Helena", text="Look at the badge. " * 200)
        )


@scenario("progress set")
async def _progress_set(h: Harness) -> Reply:
    await watched_up_to_roles(h)
    async with slow(h):  # twenty roles to hand out, one request each
        reply = await finished(await h.alice.slash("progress set", episode="S3E10"))
    await until(lambda: len(h.world.members["alice"].role_ids) == 20, what="alice's twenty roles")
    return reply


@scenario("progress clear")
async def _progress_clear(h: Harness) -> Reply:
    await watched_up_to_roles(h)
    await finished(await h.alice.slash("progress set", episode="S3E10"))
    async with slow(h):  # and twenty roles to take back
        reply = await finished(await h.alice.slash("progress clear"))
    await until(lambda: h.world.members["alice"].role_ids == [], what="alice's roles taken back")
    return reply


# -- the tests ---------------------------------------------------------------------------------------
async def test_every_command_has_a_scenario(harness: Harness) -> None:
    leaves = {
        c.qualified_name for c in harness.bot.tree.walk_commands() if isinstance(c, app_commands.Command)
    }
    assert leaves == set(SCENARIOS)


@pytest.mark.parametrize("path", sorted(SCENARIOS))
async def test_each_command_answers_within_the_deadline_over_a_slow_network(
    harness: Harness, path: str
) -> None:
    reply = await SCENARIOS[path](harness)  # the actor fails the test if Discord's 3 s ran out
    assert not reply.expired
    answered = reply.interaction.answered_at
    assert answered is not None and answered - reply.interaction.created < harness.lb.interaction_deadline
    assert not reply.interaction.errors, reply.interaction.errors
    assert reply.text and INCIDENT not in reply.text, reply.text
