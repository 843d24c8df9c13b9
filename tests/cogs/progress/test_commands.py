"""/progress end to end through the loopback: setting it, what it hides, and the roles that follow it."""

from __future__ import annotations

import discord

from tests.cogs.support import severance
from tests.harness import Harness


async def test_progress_set_show_clear(harness: Harness) -> None:
    h = harness
    await severance(h)
    reply = await h.alice.slash("progress show")
    assert "haven't set" in reply.text
    reply = await h.alice.slash("progress set", episode="s02e02")
    assert "**S2E2**" in reply.text
    reply = await h.alice.slash("progress show")
    assert "**S2E2**" in reply.text
    reply = await h.alice.slash("progress clear")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text
    reply = await h.alice.slash("progress clear")
    assert "nothing to clear" in reply.text


async def test_progress_roles_follow_progress(harness: Harness) -> None:
    h = harness
    await severance(h)
    watched = h.lb.add_role(h.guild, "Watched S2E3")
    await h.settle()
    reply = await h.mod.slash("spoilers roles set", episode="S2E3", role=watched)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text
    reply = await h.mod.slash("spoilers roles list")
    assert f"<@&{watched.id}>" in reply.text
    await h.alice.slash("progress set", episode="S2E4")
    await h.settle()
    assert watched.id in h.alice.role_ids
    await h.alice.slash("progress set", episode="S2E2")
    await h.settle()
    assert watched.id not in h.alice.role_ids
    reply = await h.mod.slash("spoilers roles remove", episode="S2E3")
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text


async def test_progress_autocomplete_offers_every_episode(harness: Harness) -> None:
    h = harness
    await severance(h)
    await h.alice.slash("progress set", episode="S2E2")
    choices = await h.alice.autocomplete("progress set", "episode", episode="s2e1")
    assert [c["value"] for c in choices] == ["S2E1", "S2E10"]
    choices = await h.alice.autocomplete("progress set", "episode", episode="")
    assert len(choices) == 10


async def test_a_moderator_cannot_make_a_powerful_or_moderator_role_self_assignable(harness: Harness) -> None:
    """The serious hole: a moderator-role member without Manage Roles set an Administrator role as a
    progress role, and every member then got Administrator through /progress set."""
    h = harness
    await severance(h)
    admin = h.lb.add_role(h.guild, "Admins", discord.Permissions(administrator=True))
    timeout = h.lb.add_role(h.guild, "Helpers", discord.Permissions(moderate_members=True))
    above_mod = h.lb.add_role(h.guild, "Veterans", position=7)  # above the Moderators role, below the bot
    await h.settle()
    for role, why in (
        (admin, "carries Administrator"),
        (timeout, "carries Moderate Members"),
        (h.world.mod_role, "it is this server's moderator role"),
        (h.guild.everyone, "every member of the server"),
        (h.lb.bot_role(h.guild), "belongs to a bot or integration"),
        (above_mod, "not below your highest role"),
    ):
        reply = await h.mod.slash("spoilers roles set", episode="S2E3", role=role)
        assert reply.ephemeral and why in reply.text and "Example" in reply.text, (role.name, reply.text)
    assert await h.bot.progress.roles(h.guild.id) == []
    reply = await h.owner.slash("spoilers roles set", episode="S2E3", role=above_mod)  # the owner may
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text
    await h.alice.slash("progress set", episode="S2E4")
    await h.settle()
    assert h.world.members["alice"].role_ids == [above_mod.id]


async def test_a_role_that_gains_power_after_it_was_picked_is_not_handed_out(harness: Harness) -> None:
    h = harness
    await severance(h)
    await h.owner.slash("config announcements", channel=h.world.announcements)
    watched = h.lb.add_role(h.guild, "Watched S2E3")
    await h.settle()
    reply = await h.mod.slash("spoilers roles set", episode="S2E3", role=watched)
    assert "\N{WHITE HEAVY CHECK MARK}" in reply.text, reply.text
    h.lb.set_role_permissions(watched, discord.Permissions(administrator=True))
    await h.settle()

    reply = await (await h.alice.slash("progress set", episode="S2E4")).wait_done()
    assert "**S2E4**" in reply.text  # the progress itself is kept
    assert f"I won't hand out <@&{watched.id}>: it carries Administrator" in reply.text
    assert "the moderators have been told" in reply.text
    reply = await (await h.bob.slash("progress set", episode="S2E5")).wait_done()
    assert "I won't hand out" in reply.text
    await h.settle()
    assert watched.id not in h.world.members["alice"].role_ids + h.world.members["bob"].role_ids
    notices = [m for m in h.lb.channel_messages(h.world.announcements) if "I won't hand out" in m.content]
    assert len(notices) == 1 and "/config show" in notices[0].content  # told once, not per member
    shown = await h.mod.slash("config show")
    assert any(f"<@&{watched.id}>: it carries Administrator" in f["value"] for f in shown.embeds[0]["fields"])

    # Made the moderator role instead: still refused. Fixed: handed out, and the record goes.
    h.lb.set_role_permissions(watched, discord.Permissions.none())
    await h.owner.slash("config moderator-role", role=watched)
    await h.settle()
    reply = await (await h.alice.slash("progress set", episode="S2E4")).wait_done()
    assert "it is this server's moderator role" in reply.text
    await h.owner.slash("config moderator-role", role=h.world.mod_role)
    await h.settle()
    reply = await (await h.alice.slash("progress set", episode="S2E4")).wait_done()
    assert "I won't" not in reply.text, reply.text
    await h.settle()
    assert watched.id in h.world.members["alice"].role_ids
    shown = await h.mod.slash("config show")
    assert not any(f"<@&{watched.id}>" in f["value"] for f in shown.embeds[0]["fields"])
