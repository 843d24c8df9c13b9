"""/progress end to end through the loopback: setting it, what it hides, and the roles that follow it."""

from __future__ import annotations

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
