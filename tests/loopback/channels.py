"""Guild channels: creating, overwriting, editing and deleting them (threads are edited in threads.py)."""

from __future__ import annotations

from typing import Any

import discord
import discord.gateway
import discord.http

from . import permissions as P
from .core import (
    Request,
    invalid_form,
    route,
)
from .state import (
    Channel,
    ChannelType,
    Guild,
    Member,
    Overwrite,
    Role,
    User,
)
from .threads import Threads


class Channels(Threads):
    """Text, announcement and forum channels with their permission overwrites and forum tags."""

    def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = ChannelType.TEXT,
        parent: Channel | None = None,
        overwrites: list[Overwrite] | None = None,
        id: int | None = None,
    ) -> Channel:
        channel = Channel(
            id or self.ids.next(),
            guild.id,
            type,
            name,
            position=len(guild.channels),
            parent_id=parent.id if parent else None,
            overwrites={o.id: o for o in overwrites or []},
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        self.dispatch("CHANNEL_CREATE", channel.to_dict(), guild_id=guild.id)
        return channel

    def set_overwrite(
        self,
        channel: Channel,
        target: Role | Member | User,
        *,
        allow: discord.Permissions | None = None,
        deny: discord.Permissions | None = None,
    ) -> None:
        """Set (replace) a permission overwrite on a channel, as a moderator would in the UI."""
        if isinstance(target, Role):
            ow = Overwrite(target.id, 0)
        else:
            user_id = target.user.id if isinstance(target, Member) else target.id
            ow = Overwrite(user_id, 1)
        ow.allow = allow.value if allow else 0
        ow.deny = deny.value if deny else 0
        channel.overwrites[ow.id] = ow
        self.dispatch("CHANNEL_UPDATE", channel.to_dict(), guild_id=channel.guild_id)

    def delete_channel(self, channel: Channel) -> None:
        """Delete a channel or thread as a moderator would."""
        guild = self.guilds[channel.guild_id]
        guild.channels.pop(channel.id, None)
        self.channels.pop(channel.id, None)
        if channel.is_thread:
            self.dispatch(
                "THREAD_DELETE",
                {
                    "id": str(channel.id),
                    "guild_id": str(guild.id),
                    "parent_id": str(channel.parent_id),
                    "type": channel.type,
                },
                guild_id=guild.id,
            )
        else:
            self.dispatch("CHANNEL_DELETE", channel.to_dict(), guild_id=guild.id)

    @route("GET", "/channels/{channel}")
    async def handle_get_channel(self, req: Request) -> Any:
        channel = self._channel(req.params["channel"])
        self._require(channel)
        return channel.to_dict()

    @route("PATCH", "/channels/{channel}")
    async def handle_edit_channel(self, req: Request) -> Any:
        return self._edit_channel(self._channel(req.params["channel"]), req.body or {})

    @route("DELETE", "/channels/{channel}")
    async def handle_delete_channel(self, req: Request) -> Any:
        channel = self._channel(req.params["channel"])
        self._require(channel, P.MANAGE_THREADS if channel.is_thread else P.MANAGE_CHANNELS)
        data = channel.to_dict()
        self.delete_channel(channel)
        return data

    def _edit_channel(self, channel: Channel, body: dict[str, Any]) -> Any:
        if channel.is_thread:
            return self._edit_thread(channel, body)
        self._require(channel, P.MANAGE_CHANNELS)
        if "name" in body:
            channel.name = body["name"]
        if "topic" in body:
            channel.topic = body["topic"]
        if "available_tags" in body:
            tags = []
            for tag in body["available_tags"] or []:
                tag_id = tag.get("id")
                tags.append(
                    {
                        "id": str(tag_id) if tag_id else str(self.ids.next()),
                        "name": tag["name"],
                        "moderated": bool(tag.get("moderated")),
                        "emoji_id": tag.get("emoji_id"),
                        "emoji_name": tag.get("emoji_name"),
                    }
                )
            if len(tags) > 20:
                raise invalid_form("available_tags", "Must be 20 or fewer in length.")
            channel.available_tags = tags
        if "permission_overwrites" in body:
            channel.overwrites = {
                int(o["id"]): Overwrite(
                    int(o["id"]), int(o["type"]), int(o.get("allow") or 0), int(o.get("deny") or 0)
                )
                for o in body["permission_overwrites"]
            }
        self.dispatch("CHANNEL_UPDATE", channel.to_dict(), guild_id=channel.guild_id)
        return channel.to_dict()
