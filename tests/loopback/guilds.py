"""Guilds, roles and members: building them in tests, and the REST routes the bot uses on them."""

from __future__ import annotations

from typing import Any

import discord
import discord.gateway
import discord.http

from bot.checks import INVITE_PERMISSIONS

from . import permissions as P
from .core import (
    DiscordError,
    Request,
    missing_permissions,
    route,
)
from .gateway import Gateway
from .state import (
    Guild,
    Member,
    Role,
    User,
)

BOT_DEFAULT_PERMISSIONS = INVITE_PERMISSIONS.value  # the bot joined through the README's invite link


class Guilds(Gateway):
    """Guilds the bot is in, their roles and members; Manage Roles and the role hierarchy enforced."""

    def create_guild(
        self,
        name: str,
        *,
        owner: User | None = None,
        bot_permissions: discord.Permissions | None = None,
        id: int | None = None,
    ) -> Guild:
        """A guild the bot is in, with @everyone, an owner and the bot's managed role. `id` fixes the
        snowflake (benchmarks match a prebuilt database); by default a new one is made."""
        owner = owner or self.add_user(f"{name.lower().replace(' ', '-')}-owner")
        guild = Guild(id or self.ids.next(), name, owner.id)
        everyone = discord.Permissions(
            view_channel=True,
            send_messages=True,
            send_messages_in_threads=True,
            create_public_threads=True,
            embed_links=True,
            attach_files=True,
            add_reactions=True,
            read_message_history=True,
            use_external_emojis=True,
            use_application_commands=True,
            change_nickname=True,
            create_instant_invite=True,
        )
        guild.roles[guild.id] = Role(guild.id, guild.id, "@everyone", everyone.value, position=0)
        self.guilds[guild.id] = guild
        guild.members[owner.id] = Member(owner, guild.id)
        bot_role = Role(
            self.ids.next(),
            guild.id,
            "Cliffhanger",
            (bot_permissions or discord.Permissions(BOT_DEFAULT_PERMISSIONS)).value,
            position=10,
            managed=True,
            bot_id=self.bot_user.id,
        )
        guild.roles[bot_role.id] = bot_role
        guild.members[self.bot_user.id] = Member(self.bot_user, guild.id, [bot_role.id])
        if self.connections:
            self.dispatch(
                "GUILD_CREATE", guild.create_payload(self.bot_user.id, with_members=False), guild_id=guild.id
            )
        return guild

    def bot_role(self, guild: Guild) -> Role:
        return next(r for r in guild.roles.values() if r.bot_id == self.bot_user.id)

    def add_role(
        self,
        guild: Guild,
        name: str,
        permissions: discord.Permissions | None = None,
        *,
        position: int = 1,
        mentionable: bool = False,
    ) -> Role:
        role = Role(
            self.ids.next(),
            guild.id,
            name,
            (permissions or discord.Permissions.none()).value,
            position,
            mentionable=mentionable,
        )
        guild.roles[role.id] = role
        self.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_dict()}, guild_id=guild.id
        )
        return role

    def set_role_permissions(self, role: Role, permissions: discord.Permissions) -> None:
        role.permissions = permissions.value
        self.dispatch(
            "GUILD_ROLE_UPDATE",
            {"guild_id": str(role.guild_id), "role": role.to_dict()},
            guild_id=role.guild_id,
        )

    def add_member(
        self, guild: Guild, name: str, *, roles: list[Role] | None = None, id: int | None = None
    ) -> Member:
        user = self.add_user(name, id=id)
        member = Member(user, guild.id, [r.id for r in roles or []])
        guild.members[user.id] = member
        self.dispatch("GUILD_MEMBER_ADD", {**member.to_dict(), "guild_id": str(guild.id)}, guild_id=guild.id)
        return member

    @route("GET", "/guilds/{guild}")
    async def handle_get_guild(self, req: Request) -> Any:
        return self._guild(req.params["guild"]).to_dict()

    @route("GET", "/guilds/{guild}/channels")
    async def handle_get_channels(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        return [c.to_dict() for c in guild.channels.values() if not c.is_thread]

    @route("GET", "/guilds/{guild}/roles")
    async def handle_get_roles(self, req: Request) -> Any:
        return [role.to_dict() for role in self._guild(req.params["guild"]).roles.values()]

    @route("GET", "/guilds/{guild}/members/{user}")
    async def handle_get_member(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        member = guild.members.get(int(req.params["user"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return member.to_dict()

    @route("POST", "/guilds/{guild}/roles")
    async def handle_create_role(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        self._require_guild(guild, P.MANAGE_ROLES)
        body = req.body or {}
        role = Role(
            self.ids.next(),
            guild.id,
            body.get("name") or "new role",
            int(body.get("permissions") or 0),
            position=1,
            mentionable=bool(body.get("mentionable")),
        )
        if role.permissions & ~guild.base_permissions(self.bot_user.id):
            raise missing_permissions()
        guild.roles[role.id] = role
        self.dispatch(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild.id), "role": role.to_dict()}, guild_id=guild.id
        )
        return role.to_dict()

    @route("DELETE", "/guilds/{guild}/roles/{role}")
    async def handle_delete_role(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        role = self._role_for_change(guild, req.params["role"])
        del guild.roles[role.id]
        for member in guild.members.values():
            if role.id in member.role_ids:
                member.role_ids.remove(role.id)
        self.dispatch(
            "GUILD_ROLE_DELETE", {"guild_id": str(guild.id), "role_id": str(role.id)}, guild_id=guild.id
        )
        return None

    @route("PUT", "/guilds/{guild}/members/{user}/roles/{role}")
    async def handle_add_member_role(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        role = self._role_for_change(guild, req.params["role"])
        member = guild.members.get(int(req.params["user"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        if role.id not in member.role_ids:
            member.role_ids.append(role.id)
            self._member_updated(guild, member)
        return None

    @route("DELETE", "/guilds/{guild}/members/{user}/roles/{role}")
    async def handle_remove_member_role(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        role = self._role_for_change(guild, req.params["role"])
        member = guild.members.get(int(req.params["user"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        if role.id in member.role_ids:
            member.role_ids.remove(role.id)
            self._member_updated(guild, member)
        return None

    def _role_for_change(self, guild: Guild, role_id: str) -> Role:
        role = guild.roles.get(int(role_id))
        if role is None:
            raise DiscordError(404, 10011, "Unknown Role")
        self._require_guild(guild, P.MANAGE_ROLES)
        if role.managed or role.id == guild.id:
            raise DiscordError(400, 50028, "Invalid Role")
        if role.position >= guild.top_role_position(self.bot_user.id):
            raise missing_permissions()
        return role

    def _member_updated(self, guild: Guild, member: Member) -> None:
        self.dispatch(
            "GUILD_MEMBER_UPDATE", {**member.to_dict(), "guild_id": str(guild.id)}, guild_id=guild.id
        )
