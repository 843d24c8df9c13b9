"""The loopback's guild events reach the bot as Discord's do: other members' updates need the intent."""

from __future__ import annotations

from tests.harness import Harness


async def test_member_updates_of_other_members_need_the_members_intent(harness: Harness) -> None:
    lb, guild = harness.lb, harness.guild
    (session,) = lb.sessions.values()
    before = len(session.buffer)
    lb._member_updated(guild, harness.world.members["alice"])  # someone gave alice a role
    lb._member_updated(guild, guild.members[lb.bot_user.id])  # and the bot one
    sent = [(f["t"], f["d"]["user"]["id"]) for f in session.buffer[before:]]
    assert sent == [("GUILD_MEMBER_UPDATE", str(lb.bot_user.id))]  # its own, never alice's
