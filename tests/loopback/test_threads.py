"""The loopback's threads refuse what Discord refuses: locked and archived threads, private threads,
and permissions inside threads."""

from __future__ import annotations

from typing import Any

import discord

from tests.harness import World
from tests.loopback import LoopbackDiscord
from tests.loopback.permissions import EMBED_LINKS, SEND_IN_THREADS
from tests.loopback.state import ChannelType


def bot_overwrite(lb: LoopbackDiscord, world: World, channel: Any, **deny: bool) -> None:
    lb.set_overwrite(channel, lb.bot_role(world.guild), deny=discord.Permissions(**deny))


async def test_a_locked_thread_refuses_sends_edits_renames_and_retags_without_manage_threads(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    status, thread = await http(
        "POST", f"/channels/{world.general.id}/threads", {"name": "Recap of S2E3", "type": 11}
    )
    assert status == 200
    messages = f"/channels/{thread['id']}/messages"
    posted = (await http("POST", messages, {"content": "part 1"}))[1]
    channel = loopback.channels[int(thread["id"])]
    channel.locked = True  # a moderator locked it (not archived)
    bot_overwrite(loopback, world, world.general, manage_threads=True)
    for method, path, body in (
        ("POST", messages, {"content": "part 2"}),
        ("PATCH", f"{messages}/{posted['id']}", {"content": "part 1, edited"}),
        ("PATCH", f"/channels/{thread['id']}", {"name": "Renamed"}),
    ):
        status, data = await http(method, path, body)
        assert (status, data["code"]) == (400, 160005), (method, path)
    assert channel.name == "Recap of S2E3" and loopback.messages[int(posted["id"])].content == "part 1"
    loopback.set_overwrite(world.general, loopback.bot_role(world.guild))  # Manage Threads back
    assert (await http("PATCH", f"{messages}/{posted['id']}", {"content": "part 1, edited"}))[0] == 200


async def test_an_archived_thread_is_edited_only_with_archived_false_in_the_same_request(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    thread = (await http("POST", f"/channels/{world.general.id}/threads", {"name": "Theory #1", "type": 11}))[
        1
    ]
    channel = loopback.channels[int(thread["id"])]
    loopback.archive_thread(channel)
    status, data = await http("PATCH", f"/channels/{thread['id']}", {"name": "Theory #1 (confirmed)"})
    assert (status, data["code"]) == (400, 50083)
    assert (await http("PATCH", f"/channels/{thread['id']}", {"archived": True, "locked": True}))[0] == 200
    body = {"archived": False, "name": "Theory #1 (confirmed)"}
    assert (await http("PATCH", f"/channels/{thread['id']}", body))[0] == 200
    assert (channel.name, channel.archived) == ("Theory #1 (confirmed)", False)


async def test_private_threads_need_create_private_threads(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    path = f"/channels/{world.general.id}/threads"
    status, data = await http("POST", path, {"name": "Mods only", "type": ChannelType.PRIVATE_THREAD})
    assert (status, data["code"]) == (403, 50013)  # the invite does not ask for it
    loopback.set_overwrite(
        world.general, loopback.bot_role(world.guild), allow=discord.Permissions(create_private_threads=True)
    )
    status, data = await http("POST", path, {"name": "Mods only", "type": ChannelType.PRIVATE_THREAD})
    assert status == 200 and data["type"] == ChannelType.PRIVATE_THREAD


async def test_in_a_thread_send_messages_in_threads_decides_the_implicit_denials(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    thread = (await http("POST", f"/channels/{world.general.id}/threads", {"name": "Theory #2", "type": 11}))[
        1
    ]
    channel = loopback.channels[int(thread["id"])]
    bot = loopback.bot_user.id
    bot_overwrite(loopback, world, world.general, send_messages=True)  # not allowed in the parent...
    have = world.guild.permissions_in(bot, channel)
    assert have & SEND_IN_THREADS and have & EMBED_LINKS  # ...but in its threads, embeds still work
    embed = {"embeds": [{"title": "Votes"}]}
    assert (await http("POST", f"/channels/{thread['id']}/messages", embed))[0] == 200
    bot_overwrite(loopback, world, world.general, send_messages_in_threads=True)
    assert not world.guild.permissions_in(bot, channel) & EMBED_LINKS
