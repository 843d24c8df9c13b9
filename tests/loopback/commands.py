"""The application and its slash commands: who the bot is, and the command sets it syncs."""

from __future__ import annotations

from typing import Any

from .core import (
    Request,
    route,
)
from .gateway import Gateway


class Commands(Gateway):
    """The application's identity and its global and guild command sets (counted: syncs are capped)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_puts = 0

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
