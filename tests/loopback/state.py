"""The loopback Discord's world: users, guilds, roles, channels, threads, messages and events.

Objects serialise to the JSON shapes Discord sends, so the real discord.py client can parse them.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import components_v2
from . import permissions as perms

if TYPE_CHECKING:
    from .automod import AutoModRule

DISCORD_EPOCH_MS = 1_420_070_400_000


class Snowflakes:
    """Time-ordered ids, as Discord makes them (discord.py derives created_at from them). `now` is
    Discord's clock: an id made after a test's jump in time says so (a message's age reads from it)."""

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._last = 0

    def next(self) -> int:
        with self._lock:
            ms = int(self._now() * 1000) - DISCORD_EPOCH_MS
            value = (ms << 22) | (next(self._counter) & 0x3FFFFF)
            self._last = value = max(value, self._last + 1)
            return value


def iso(ts: float | None = None) -> str:
    return dt.datetime.fromtimestamp(time.time() if ts is None else ts, dt.UTC).isoformat()


class ChannelType:
    TEXT = 0
    CATEGORY = 4
    NEWS = 5
    NEWS_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    FORUM = 15


@dataclass
class User:
    id: int
    username: str
    bot: bool = False
    global_name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "username": self.username,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "public_flags": 0,
        }
        if self.bot:
            data["bot"] = True
        return data


@dataclass
class Role:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    mentionable: bool = False
    bot_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "position": self.position,
            "permissions": str(self.permissions),
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass
class Member:
    user: User
    guild_id: int
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso)

    def to_dict(self, *, with_user: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r) for r in self.role_ids],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.to_dict()
        return data


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"id": str(self.id), "type": self.type, "allow": str(self.allow), "deny": str(self.deny)}


@dataclass
class Channel:
    id: int
    guild_id: int
    type: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    last_message_id: int | None = None
    # forum
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    # thread
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 10080
    archive_timestamp: str = field(default_factory=iso)
    applied_tags: list[int] = field(default_factory=list)
    message_count: int = 0
    member_ids: set[int] = field(default_factory=set)

    @property
    def is_thread(self) -> bool:
        return self.type in (ChannelType.PUBLIC_THREAD, ChannelType.PRIVATE_THREAD, ChannelType.NEWS_THREAD)

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "flags": 0,
            "last_message_id": str(self.last_message_id) if self.last_message_id else None,
        }
        if self.is_thread:
            data.update(
                {
                    "parent_id": str(self.parent_id),
                    "owner_id": str(self.owner_id) if self.owner_id else None,
                    "message_count": self.message_count,
                    "member_count": len(self.member_ids),
                    "total_message_sent": self.message_count,
                    "rate_limit_per_user": 0,
                    "thread_metadata": {
                        "archived": self.archived,
                        "locked": self.locked,
                        "auto_archive_duration": self.auto_archive_duration,
                        "archive_timestamp": self.archive_timestamp,
                        "create_timestamp": self.archive_timestamp,
                    },
                    "applied_tags": [str(t) for t in self.applied_tags],
                }
            )
            return data
        data.update(
            {
                "position": self.position,
                "permission_overwrites": [o.to_dict() for o in self.overwrites.values()],
                "parent_id": str(self.parent_id) if self.parent_id else None,
                "nsfw": False,
                "rate_limit_per_user": 0,
            }
        )
        if self.type in (ChannelType.TEXT, ChannelType.NEWS, ChannelType.FORUM):
            data["topic"] = self.topic
            data["default_auto_archive_duration"] = 10080
        if self.type == ChannelType.FORUM:
            data.update(
                {
                    "available_tags": self.available_tags,
                    "default_reaction_emoji": None,
                    "default_sort_order": None,
                    "default_forum_layout": 0,
                    "default_thread_rate_limit_per_user": 0,
                }
            )
        return data


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int | None
    author: User
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    nonce: str | int | None = None
    type: int = 0
    webhook_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    timestamp: str = field(default_factory=iso)
    edited_timestamp: str | None = None
    allowed_mentions: dict[str, Any] | None = None
    message_reference: dict[str, Any] | None = None
    # What actually pinged, after allowed_mentions: tests assert on these.
    pinged_users: list[int] = field(default_factory=list)
    pinged_roles: list[int] = field(default_factory=list)
    pinged_everyone: bool = False
    deleted: bool = False
    ephemeral_for: int | None = None  # a user id: only they can see it
    history: list[dict[str, Any]] = field(default_factory=list)  # earlier versions, for edit assertions

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & 64)

    def to_dict(self, guild: Any = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.to_dict(),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": False,
            "mention_everyone": self.pinged_everyone,
            "mentions": [
                {"id": str(u), "username": f"user{u}", "discriminator": "0", "avatar": None}
                for u in self.pinged_users
            ],
            "mention_roles": [str(r) for r in self.pinged_roles],
            "attachments": [],
            "embeds": self.embeds,
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
            "components": self.components,
        }
        if self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        if self.nonce is not None:
            data["nonce"] = self.nonce
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
            data["application_id"] = str(self.webhook_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.message_reference is not None:
            data["message_reference"] = self.message_reference
        return data

    # -- conveniences for assertions -----------------------------------------------------------
    @property
    def text(self) -> str:
        """Content, every Text Display and every embed's visible text, for searching in tests."""
        parts = [self.content, *components_v2.texts(self.components)]
        for embed in self.embeds:
            parts.extend(str(embed.get(k) or "") for k in ("title", "description"))
            parts.extend(f"{f.get('name')}\n{f.get('value')}" for f in embed.get("fields") or [])
            parts.append(str((embed.get("footer") or {}).get("text") or ""))
            parts.append(str((embed.get("author") or {}).get("name") or ""))
        return "\n".join(p for p in parts if p)

    def buttons(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        stack = list(self.components)
        while stack:
            comp = stack.pop(0)
            if comp.get("type") in (2, 3, 5, 6, 7, 8):
                out.append(comp)
            stack.extend(comp.get("components") or [])
            if isinstance(comp.get("accessory"), dict):
                stack.append(comp["accessory"])
        return out


@dataclass
class ScheduledEvent:
    id: int
    guild_id: int
    name: str
    scheduled_start_time: str
    scheduled_end_time: str | None
    entity_type: int
    privacy_level: int = 2
    status: int = 1
    description: str | None = None
    channel_id: int | None = None
    location: str | None = None
    creator_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "guild_id": str(self.guild_id),
            "channel_id": str(self.channel_id) if self.channel_id else None,
            "creator_id": str(self.creator_id) if self.creator_id else None,
            "name": self.name,
            "description": self.description,
            "scheduled_start_time": self.scheduled_start_time,
            "scheduled_end_time": self.scheduled_end_time,
            "privacy_level": self.privacy_level,
            "status": self.status,
            "entity_type": self.entity_type,
            "entity_id": None,
            "entity_metadata": {"location": self.location} if self.location else None,
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
        }


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)
    channels: dict[int, Channel] = field(default_factory=dict)
    events: dict[int, ScheduledEvent] = field(default_factory=dict)
    automod_rules: dict[int, AutoModRule] = field(default_factory=dict)

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def permissions_in(self, user_id: int, channel: Channel) -> int:
        return perms.channel_permissions(self, self.members[user_id], channel)

    def base_permissions(self, user_id: int) -> int:
        return perms.base_permissions(self, self.members[user_id])

    def top_role_position(self, user_id: int) -> int:
        if user_id == self.owner_id:
            return 1 << 30
        member = self.members[user_id]
        return max((self.roles[r].position for r in member.role_ids if r in self.roles), default=0)

    def channel_named(self, name: str) -> Channel:
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(f"no channel named {name!r}")

    def role_named(self, name: str) -> Role:
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"no role named {name!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "features": [],
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "roles": [r.to_dict() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
        }

    def create_payload(self, bot_user_id: int, *, with_members: bool) -> dict[str, Any]:
        """GUILD_CREATE: the guild, its channels and active threads, and (at least) the bot's member."""
        data = self.to_dict()
        members = list(self.members.values()) if with_members else [self.members[bot_user_id]]
        data.update(
            {
                "unavailable": False,
                "large": False,
                "joined_at": self.members[bot_user_id].joined_at,
                "member_count": len(self.members),
                "members": [m.to_dict() for m in members],
                "channels": [c.to_dict() for c in self.channels.values() if not c.is_thread],
                "threads": [c.to_dict() for c in self.channels.values() if c.is_thread and not c.archived],
                "voice_states": [],
                "presences": [],
                "stage_instances": [],
                "guild_scheduled_events": [e.to_dict() for e in self.events.values()],
                "soundboard_sounds": [],
            }
        )
        return data
