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

import pytest
from discord import app_commands

from bot.episodes import EpisodeCode
from tests.cogs.countdowns.support import configure as configure_countdowns
from tests.cogs.countdowns.support import created
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


# -- /config and /about ------------------------------------------------------------------------------
@scenario("config show")
async def _config_show(h: Harness) -> Reply:
    await configure_countdowns(h)
    async with slow(h):
        return await h.owner.slash("config show")


@scenario("config timezone")
async def _config_timezone(h: Harness) -> Reply:
    async with slow(h):
        return await h.owner.slash("config timezone", zone="Europe/London")


@scenario("config show-name")
async def _config_show_name(h: Harness) -> Reply:
    async with slow(h):
        return await h.owner.slash("config show-name", name="Severance")


@scenario("config moderator-role")
async def _config_moderator_role(h: Harness) -> Reply:
    async with slow(h):
        return await h.owner.slash("config moderator-role", role=h.world.mod_role)


@scenario("config announcements")
async def _config_announcements(h: Harness) -> Reply:
    async with slow(h):
        return await h.owner.slash("config announcements", channel=h.world.announcements)


@scenario("config theories")
async def _config_theories(h: Harness) -> Reply:
    async with slow(h):  # a forum: the bot creates its Open/Confirmed/Debunked tags
        return await finished(await h.owner.slash("config theories", channel=h.world.theories))


@scenario("about")
async def _about(h: Harness) -> Reply:
    async with slow(h):
        return await h.alice.slash("about")


# -- /countdown --------------------------------------------------------------------------------------
async def a_countdown(h: Harness) -> int:
    await configure_countdowns(h)
    return (await created(h, title="Premiere", when="in 3 days", make_role=True)).id


@scenario("countdown next")
async def _countdown_next(h: Harness) -> Reply:
    await a_countdown(h)
    async with slow(h):
        return await h.alice.slash("countdown next")


@scenario("countdown show")
async def _countdown_show(h: Harness) -> Reply:
    number = await a_countdown(h)
    async with slow(h):
        return await h.alice.slash("countdown show", countdown=str(number))


@scenario("countdown list")
async def _countdown_list(h: Harness) -> Reply:
    await a_countdown(h)
    async with slow(h):
        return await h.alice.slash("countdown list")


@scenario("countdown create")
async def _countdown_create(h: Harness) -> Reply:
    await configure_countdowns(h)
    async with slow(h):  # a new ping role and a Discord event, each a request
        return await finished(
            await h.owner.slash("countdown create", title="Premiere", when="in 3 days", make_role=True)
        )


@scenario("countdown edit")
async def _countdown_edit(h: Harness) -> Reply:
    number = await a_countdown(h)
    async with slow(h):
        return await finished(
            await h.owner.slash("countdown edit", countdown=str(number), title="Finale", when="in 4 days")
        )


@scenario("countdown delete")
async def _countdown_delete(h: Harness) -> Reply:
    number = await a_countdown(h)
    async with slow(h):
        ask = await h.owner.slash("countdown delete", countdown=str(number))
        assert ask.message is not None
        await h.owner.click(ask.message, "Delete")
        await until(lambda: "Deleted" in (ask.message.content if ask.message else ""), 30, "the delete")
    return ask


@scenario("countdown status")
async def _countdown_status(h: Harness) -> Reply:
    number = await a_countdown(h)
    async with slow(h):
        return await h.owner.slash("countdown status", countdown=str(number))


@scenario("countdown season")
async def _countdown_season(h: Harness) -> Reply:
    await configure_countdowns(h)
    async with slow(h):  # one event per episode
        return await finished(
            await h.owner.slash("countdown season", season=3, first="in 2 days", episodes=4)
        )


@scenario("countdown import")
async def _countdown_import(h: Harness) -> Reply:
    await configure_countdowns(h)
    async with slow(h):
        return await finished(await h.owner.slash("countdown import", pack="severance"))


# -- /spoilers ---------------------------------------------------------------------------------------
@scenario("spoilers channel add")
async def _spoilers_channel_add(h: Harness) -> Reply:
    await severance(h, spoiler_channel=False)
    async with slow(h):
        return await h.mod.slash("spoilers channel add", channel=h.world.spoilers)


@scenario("spoilers channel remove")
async def _spoilers_channel_remove(h: Harness) -> Reply:
    await severance(h)
    async with slow(h):
        return await h.mod.slash("spoilers channel remove", channel=h.world.spoilers)


@scenario("spoilers channel list")
async def _spoilers_channel_list(h: Harness) -> Reply:
    await severance(h)
    async with slow(h):
        return await h.mod.slash("spoilers channel list")


@scenario("spoilers window")
async def _spoilers_window(h: Harness) -> Reply:
    await severance(h)
    async with slow(h):
        return await h.mod.slash("spoilers window", length="36 hours")


@scenario("spoilers words add")
async def _spoilers_words_add(h: Harness) -> Reply:
    await severance(h)
    async with slow(h):
        return await h.mod.slash("spoilers words add", episode="S2E3", word="Reghabi")


@scenario("spoilers words remove")
async def _spoilers_words_remove(h: Harness) -> Reply:
    await severance(h)
    await h.mod.slash("spoilers words add", episode="S2E3", word="Reghabi")
    async with slow(h):
        return await h.mod.slash("spoilers words remove", episode="S2E3", word="Reghabi")


@scenario("spoilers words list")
async def _spoilers_words_list(h: Harness) -> Reply:
    await severance(h)
    await h.mod.slash("spoilers words add", episode="S2E3", word="Reghabi")
    async with slow(h):
        return await h.mod.slash("spoilers words list")


@scenario("spoilers guard on")
async def _spoilers_guard_on(h: Harness) -> Reply:
    await severance(h)
    async with slow(h):  # without the Message Content intent it says how to turn it on
        return await h.mod.slash("spoilers guard on")


@scenario("spoilers guard off")
async def _spoilers_guard_off(h: Harness) -> Reply:
    await severance(h)
    async with slow(h):
        return await h.mod.slash("spoilers guard off")


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


@scenario("spoilers roles set")
async def _spoilers_roles_set(h: Harness) -> Reply:
    await severance(h)
    role = h.lb.add_role(h.guild, "Watched S2E3")
    await h.settle()
    async with slow(h):
        return await h.mod.slash("spoilers roles set", episode="S2E3", role=role)


@scenario("spoilers roles remove")
async def _spoilers_roles_remove(h: Harness) -> Reply:
    await severance(h)
    role = h.lb.add_role(h.guild, "Watched S2E3")
    await h.settle()
    await h.mod.slash("spoilers roles set", episode="S2E3", role=role)
    async with slow(h):
        return await h.mod.slash("spoilers roles remove", episode="S2E3")


@scenario("spoilers roles list")
async def _spoilers_roles_list(h: Harness) -> Reply:
    await severance(h)
    role = h.lb.add_role(h.guild, "Watched S2E3")
    await h.settle()
    await h.mod.slash("spoilers roles set", episode="S2E3", role=role)
    async with slow(h):
        return await h.mod.slash("spoilers roles list")


# -- /recap ------------------------------------------------------------------------------------------
@scenario("recap write")
async def _recap_write(h: Harness) -> Reply:
    await severance(h)
    async with slow(h):
        modal = await h.mod.slash("recap write", episode="S2E3", thread=True)
        return await finished(await h.mod.submit(modal, text="Mark meets Reghabi. " * 150))


@scenario("recap read")
async def _recap_read(h: Harness) -> Reply:
    await severance(h)
    await write_recap(h, "S2E3", "Mark meets Reghabi. " * 150)
    async with slow(h):
        return await h.alice.slash("recap read", episode="S2E3")


@scenario("recap list")
async def _recap_list(h: Harness) -> Reply:
    await severance(h)
    await write_recap(h, "S2E3", "Mark meets Reghabi.")
    async with slow(h):
        return await h.alice.slash("recap list")


@scenario("recap edit")
async def _recap_edit(h: Harness) -> Reply:
    await severance(h)
    await write_recap(h, "S2E3", "Mark meets Reghabi. " * 150, thread=True)
    async with slow(h):
        modal = await h.mod.slash("recap edit", episode="S2E3")
        return await finished(await h.mod.submit(modal, text="Mark meets Reghabi again. " * 150))


@scenario("recap delete")
async def _recap_delete(h: Harness) -> Reply:
    await severance(h)
    await write_recap(h, "S2E3", "Mark meets Reghabi. " * 150)
    async with slow(h):
        return await finished(await h.mod.slash("recap delete", episode="S2E3"))


# -- /progress ---------------------------------------------------------------------------------------
@scenario("progress set")
async def _progress_set(h: Harness) -> Reply:
    await watched_up_to_roles(h)
    async with slow(h):  # twenty roles to hand out, one request each
        reply = await finished(await h.alice.slash("progress set", episode="S3E10"))
    await until(lambda: len(h.world.members["alice"].role_ids) == 20, what="alice's twenty roles")
    return reply


@scenario("progress show")
async def _progress_show(h: Harness) -> Reply:
    await severance(h)
    await h.alice.slash("progress set", episode="S2E3")
    async with slow(h):
        return await h.alice.slash("progress show")


@scenario("progress clear")
async def _progress_clear(h: Harness) -> Reply:
    await watched_up_to_roles(h)
    await finished(await h.alice.slash("progress set", episode="S3E10"))
    async with slow(h):  # and twenty roles to take back
        reply = await finished(await h.alice.slash("progress clear"))
    await until(lambda: h.world.members["alice"].role_ids == [], what="alice's roles taken back")
    return reply


# -- /theory -----------------------------------------------------------------------------------------
async def a_theory(h: Harness) -> None:
    await severance(h)
    await finished(await h.owner.slash("config theories", channel=h.world.theories))
    modal = await h.alice.slash("theory new", episode="S2E3")
    await finished(await h.alice.submit(modal, title="Helly is Helena", text="Look at the badge."))


@scenario("theory new")
async def _theory_new(h: Harness) -> Reply:
    await severance(h)
    await finished(await h.owner.slash("config theories", channel=h.world.theories))
    async with slow(h):  # a forum post with its tags, then the theory's messages
        modal = await h.alice.slash("theory new", episode="S2E3")
        return await finished(
            await h.alice.submit(modal, title="Helly is Helena", text="Look at the badge. " * 200)
        )


@scenario("theory show")
async def _theory_show(h: Harness) -> Reply:
    await a_theory(h)
    async with slow(h):
        return await h.bob.slash("theory show", theory="1")


@scenario("theory list")
async def _theory_list(h: Harness) -> Reply:
    await a_theory(h)
    async with slow(h):
        return await h.bob.slash("theory list")


@scenario("theory top")
async def _theory_top(h: Harness) -> Reply:
    await a_theory(h)
    async with slow(h):
        return await h.bob.slash("theory top")


@scenario("theory search")
async def _theory_search(h: Harness) -> Reply:
    await a_theory(h)
    async with slow(h):
        return await h.bob.slash("theory search", text="badge")


@scenario("theory leaderboard")
async def _theory_leaderboard(h: Harness) -> Reply:
    await a_theory(h)
    async with slow(h):
        return await h.bob.slash("theory leaderboard")


@scenario("theory resolve")
async def _theory_resolve(h: Harness) -> Reply:
    await a_theory(h)
    async with slow(h):  # retag, post the outcome, lock
        return await finished(
            await h.mod.slash("theory resolve", theory="1", outcome="Confirmed", episode="S2E7", lock=True)
        )


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
