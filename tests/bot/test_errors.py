"""bot.errors end to end: every error reaches only the member who caused it, whatever answered first."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.errors import UserError
from tests.harness import Harness
from tests.support import until


async def test_an_error_after_a_public_deferral_is_never_shown_to_the_channel(harness: Harness) -> None:
    """Discord turns the first followup after a deferral into the response, public when the deferral
    was, whatever the followup's flags. The error must still reach only the member."""
    h = harness

    @app_commands.command(name="probe", description="Defers publicly, then fails")
    async def probe(interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)
        raise UserError("Only you should read this.", example="/probe")

    h.bot.tree.add_command(probe)
    await h.bot.tree.sync()
    reply = await h.alice.slash("probe")
    await reply.wait_done()
    await until(
        lambda: any("Only you should read this" in m.text for m in h.lb.messages.values()),
        what="the error to be delivered",
    )
    public = [m.text for m in h.lb.channel_messages(h.world.general)]
    assert public and not any("Only you should read this" in text for text in public), public
    private = [m for m in reply.followups if m.ephemeral]
    assert private and "Only you should read this." in private[0].text
    assert private[0].ephemeral_for == h.alice.id
