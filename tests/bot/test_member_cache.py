"""What the bot keeps per server: no member cache beyond itself, and no chunking. Without the
members intent Discord sends only the bot's own member, and at 50,000 servers every cached member
and every chunk request would cost memory and gateway traffic the bot never uses."""

from __future__ import annotations

from tests.harness import Harness


async def test_the_bot_keeps_no_member_but_itself_and_never_requests_members(harness: Harness) -> None:
    h = harness
    guild = h.bot.get_guild(h.guild.id)
    assert guild is not None
    assert [m.id for m in guild.members] == [h.lb.bot_user.id]
    for actor in (h.alice, h.bob, h.owner):
        reply = await actor.slash("about")
        assert reply.embeds
    await h.settle()
    # Members who ran a command came with their interaction and were not kept.
    assert [m.id for m in guild.members] == [h.lb.bot_user.id]
    assert h.lb.member_requests == []
