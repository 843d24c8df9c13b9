"""The application and its slash commands: who the bot is, the command sets it syncs, and who sees them.

Who sees a command (Discord's application command permissions): a member is shown, and can run, a
command only if it is allowed in the channel and to them. In order, the first that says anything wins:

- channel: an override for the channel (a thread: its parent) or for "all channels" (id guild_id - 1),
  on the command first, then on the whole application (id = the application id);
- member: an override for the member, else for their roles (allowed if any of their roles is allowed),
  else for @everyone (id = guild_id), on the command first, then on the application;
- otherwise the command's `default_member_permissions`: none means everyone; else the member must hold
  every one of those permissions in the channel. The owner and administrators always pass this one.

Overrides are set in Server Settings > Integrations by people; a bot token may read them (GET) but not
write them, so tests set them with `set_command_permission`.
"""

from __future__ import annotations

from typing import Any

from . import permissions as P
from .core import (
    DiscordError,
    Request,
    route,
)
from .gateway import Gateway
from .state import Channel, Guild, Member, Role, User

ROLE, USER, CHANNEL = 1, 2, 3


class Commands(Gateway):
    """The application's identity and its global and guild command sets (counted: syncs are capped)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_puts = 0
        # guild id -> command id (or the application id: every command) -> its overrides
        self.command_permissions: dict[int, dict[int, list[dict[str, Any]]]] = {}

    # -- who sees a command ------------------------------------------------------------------------
    def command_named(self, guild: Guild, name: str) -> dict[str, Any]:
        commands = self.guild_commands.get(guild.id, []) + self.global_commands
        found = next((c for c in commands if c["name"] == name), None)
        if found is None:
            raise LookupError(f"/{name} is not registered")
        return found

    def set_command_permission(
        self,
        guild: Guild,
        command: str | None,
        target: Role | Member | User | Channel,
        allowed: bool,
    ) -> None:
        """An override a server admin adds in Server Settings > Integrations: on one top-level
        command (by name) or, with `command=None`, on every command of the application."""
        key = int(self.command_named(guild, command)["id"]) if command is not None else self.app_id
        if isinstance(target, Role):
            entry = {"id": str(target.id), "type": ROLE}
        elif isinstance(target, Channel):
            entry = {"id": str(target.id), "type": CHANNEL}
        else:
            user = target.user if isinstance(target, Member) else target
            entry = {"id": str(user.id), "type": USER}
        entries = self.command_permissions.setdefault(guild.id, {}).setdefault(key, [])
        entries[:] = [e for e in entries if (e["id"], e["type"]) != (entry["id"], entry["type"])]
        entries.append({**entry, "permission": allowed})

    def command_hidden(
        self, guild: Guild, member: Member, channel: Channel, command: dict[str, Any]
    ) -> str | None:
        """Why Discord would not show `command` to `member` in `channel`, or None when it would."""
        overrides = self.command_permissions.get(guild.id, {})
        levels = [overrides.get(int(command["id"])), overrides.get(self.app_id)]
        where = self.channels.get(channel.parent_id or 0) if channel.is_thread else channel
        for entries in levels:
            said = _channel_says(entries or [], where or channel, guild)
            if said is not None:
                if not said:
                    return f"/{command['name']} is switched off in #{channel.name} for this server"
                break
        for entries in levels:
            said = _member_says(entries or [], member, guild)
            if said is not None:
                return (
                    None
                    if said
                    else f"this server's overrides hide /{command['name']} from {member.user.username}"
                )
        required = command.get("default_member_permissions")
        if required is None:
            return None
        have = guild.permissions_in(member.user.id, channel)
        if (
            guild.owner_id == member.user.id
            or have & P.ADMINISTRATOR
            or have & int(required) == int(required)
        ):
            return None
        missing = ", ".join(P.names(int(required) & ~have)) or "administrator"
        return (
            f"Discord does not show /{command['name']} to {member.user.username}: it needs {missing} "
            "and no command permission override allows them"
        )

    @route("GET", "/users/@me")
    async def handle_me(self, req: Request) -> Any:
        return {
            **self.bot_user.to_dict(),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "bot": True,
        }

    @route("GET", "/oauth2/applications/@me")
    async def handle_application(self, req: Request) -> Any:
        return {
            "id": str(self.app_id),
            "name": "Cliffhanger",
            "icon": None,
            "description": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "owner": self.owner_user.to_dict(),
            "team": None,
            "flags": self.app_flags,
            "bot": self.bot_user.to_dict(),
            "summary": "",
            "redirect_uris": [],
            "interactions_endpoint_url": None,
        }

    def _store_commands(self, body: list[dict[str, Any]], guild_id: int | None) -> list[dict[str, Any]]:
        self.command_puts += 1
        existing = {
            c["name"]: c
            for c in (self.guild_commands.get(guild_id, []) if guild_id else self.global_commands)
        }
        out = []
        for cmd in body:
            old = existing.get(cmd["name"])
            stored = {
                **cmd,
                "id": old["id"] if old else str(self.ids.next()),
                "application_id": str(self.app_id),
                "version": str(self.ids.next()),
                "type": cmd.get("type", 1),
                "default_member_permissions": None
                if cmd.get("default_member_permissions") is None
                else str(cmd["default_member_permissions"]),
                "dm_permission": cmd.get("dm_permission", True),
                "nsfw": cmd.get("nsfw", False),
            }
            if guild_id:
                stored["guild_id"] = str(guild_id)
            out.append(stored)
        if guild_id:
            self.guild_commands[guild_id] = out
        else:
            self.global_commands = out
        return out

    @route("PUT", "/applications/{app}/commands")
    async def handle_put_global(self, req: Request) -> Any:
        return self._store_commands(req.body or [], None)

    @route("GET", "/applications/{app}/commands")
    async def handle_get_global(self, req: Request) -> Any:
        return self.global_commands

    @route("PUT", "/applications/{app}/guilds/{guild}/commands")
    async def handle_put_guild(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        return self._store_commands(req.body or [], guild.id)

    @route("GET", "/applications/{app}/guilds/{guild}/commands")
    async def handle_get_guild_cmds(self, req: Request) -> Any:
        return self.guild_commands.get(int(req.params["guild"]), [])

    def _permissions_payload(self, guild: Guild, key: int) -> dict[str, Any]:
        return {
            "id": str(key),
            "application_id": str(self.app_id),
            "guild_id": str(guild.id),
            "permissions": list(self.command_permissions.get(guild.id, {}).get(key, [])),
        }

    @route("GET", "/applications/{app}/guilds/{guild}/commands/permissions")
    async def handle_get_command_permissions(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        return [
            self._permissions_payload(guild, key)
            for key, entries in self.command_permissions.get(guild.id, {}).items()
            if entries
        ]

    @route("GET", "/applications/{app}/guilds/{guild}/commands/{command}/permissions")
    async def handle_get_one_command_permissions(self, req: Request) -> Any:
        guild = self._guild(req.params["guild"])
        key = int(req.params["command"])
        if not self.command_permissions.get(guild.id, {}).get(key):
            raise DiscordError(404, 10066, "Unknown application command permissions")
        return self._permissions_payload(guild, key)


def _channel_says(entries: list[dict[str, Any]], channel: Channel, guild: Guild) -> bool | None:
    for target in (channel.id, guild.id - 1):  # the channel, then "all channels"
        for entry in entries:
            if entry["type"] == CHANNEL and int(entry["id"]) == target:
                return bool(entry["permission"])
    return None


def _member_says(entries: list[dict[str, Any]], member: Member, guild: Guild) -> bool | None:
    for entry in entries:
        if entry["type"] == USER and int(entry["id"]) == member.user.id:
            return bool(entry["permission"])
    roles = [e for e in entries if e["type"] == ROLE and int(e["id"]) in member.role_ids]
    if roles:
        return any(e["permission"] for e in roles)
    for entry in entries:
        if entry["type"] == ROLE and int(entry["id"]) == guild.id:
            return bool(entry["permission"])
    return None
