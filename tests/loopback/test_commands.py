"""The loopback shows a command only to members Discord would show it to: default permissions and the
server's command permission overrides."""

from __future__ import annotations

from typing import Any

import discord
import pytest

from tests.harness import World
from tests.loopback import Actor, ClientRefused, LoopbackDiscord

MANAGE_GUILD = str(discord.Permissions(manage_guild=True).value)


async def register(loopback: LoopbackDiscord, world: World, http: Any) -> None:
    status, _ = await http(
        "PUT",
        f"/applications/{loopback.app_id}/guilds/{world.guild.id}/commands",
        [
            {"name": "modtools", "description": "For moderators", "default_member_permissions": MANAGE_GUILD},
            {"name": "everyone", "description": "For all"},
        ],
    )
    assert status == 200


def shown(lb: LoopbackDiscord, world: World, who: str, command: str, channel: Any = None) -> bool:
    member = world.members[who]
    found = lb.command_named(world.guild, command)
    return lb.command_hidden(world.guild, member, channel or world.general, found) is None


async def test_a_command_with_default_permissions_reaches_only_members_who_hold_them(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    await register(loopback, world, http)
    admin_role = loopback.add_role(world.guild, "Admins", discord.Permissions(administrator=True))
    world.members["admin"] = loopback.add_member(world.guild, "cobel", roles=[admin_role])
    assert shown(loopback, world, "owner", "modtools")
    assert shown(loopback, world, "admin", "modtools")
    # The Moderators role has Manage Messages, not Manage Server: Discord hides the command.
    assert not shown(loopback, world, "mod", "modtools")
    assert not shown(loopback, world, "alice", "modtools")
    assert shown(loopback, world, "alice", "everyone")
    mod = Actor(loopback, world.guild, world.members["mod"], world.general)
    with pytest.raises(ClientRefused, match="needs manage_guild"):
        await mod.slash("modtools")
    assert loopback.interactions == {}  # nothing was delivered to the bot


async def test_overrides_beat_default_permissions_command_first_then_the_application(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    await register(loopback, world, http)
    loopback.set_command_permission(world.guild, "modtools", world.mod_role, True)
    assert shown(loopback, world, "mod", "modtools")
    assert not shown(loopback, world, "alice", "modtools")
    # Every command switched off for @everyone, app-wide: the command's own role override still wins.
    loopback.set_command_permission(world.guild, None, world.guild.everyone, False)
    assert not shown(loopback, world, "alice", "everyone")
    assert shown(loopback, world, "mod", "modtools")
    # A member override beats the role's.
    loopback.set_command_permission(world.guild, "modtools", world.members["mod"], False)
    assert not shown(loopback, world, "mod", "modtools")
    loopback.set_command_permission(world.guild, "modtools", world.members["mod"], True)
    # A channel switched off hides the command there, whoever asks; threads follow their parent.
    loopback.set_command_permission(world.guild, "modtools", world.general, False)
    assert not shown(loopback, world, "mod", "modtools")
    assert not shown(loopback, world, "owner", "modtools")
    assert shown(loopback, world, "mod", "modtools", world.spoilers)


async def test_a_bot_token_reads_the_servers_overrides(
    loopback: LoopbackDiscord, world: World, http: Any
) -> None:
    await register(loopback, world, http)
    base = f"/applications/{loopback.app_id}/guilds/{world.guild.id}/commands"
    assert await http("GET", f"{base}/permissions") == (200, [])
    command_id = loopback.command_named(world.guild, "modtools")["id"]
    status, data = await http("GET", f"{base}/{command_id}/permissions")
    assert (status, data["code"]) == (404, 10066)
    loopback.set_command_permission(world.guild, "modtools", world.mod_role, True)
    status, data = await http("GET", f"{base}/permissions")
    assert status == 200
    assert data == [
        {
            "id": command_id,
            "application_id": str(loopback.app_id),
            "guild_id": str(world.guild.id),
            "permissions": [{"id": str(world.mod_role.id), "type": 1, "permission": True}],
        }
    ]
    assert (await http("GET", f"{base}/{command_id}/permissions"))[1] == data[0]
