"""Messages and direct messages: posting, editing, deleting, history, pings and nonce de-duplication."""

from __future__ import annotations

import asyncio
import re
from collections import deque
from collections.abc import Callable
from typing import Any

from . import automod, components_v2
from . import permissions as P
from .core import (
    DiscordError,
    Request,
    route,
    thread_locked,
)
from .gateway import Gateway
from .state import (
    DISCORD_EPOCH_MS,
    Channel,
    ChannelType,
    Member,
    Message,
    User,
    iso,
)

# Editing a message older than an hour counts against a cap Discord enforces with error 30046,
# "Maximum number of edits to messages older than 1 hour reached. Try again later." Discord publishes
# neither the cap nor its window ("We don't put rate limit details in our documentation",
# discord-api-docs issue #4413). ASSUMED here: at most `old_edit_limit` (5) such edits per channel in
# any rolling hour, on Discord's clock (the test clock), a message's age read from its snowflake; the
# answer is a 429 carrying code 30046 and no Via header, as a discord.py traceback of the real error
# shows (aikaterna-cogs issue #302), so discord.py raises it at once instead of waiting it out.
OLD_MESSAGE_AGE = 3600.0
OLD_EDIT_WINDOW = 3600.0

P_USER = re.compile(r"<@!?(\d+)>")
P_ROLE = re.compile(r"<@&(\d+)>")
P_EVERYONE = re.compile(r"@(everyone|here)")


class Messages(Gateway):
    """Every message in the world, who it pinged, and what members post (for the spoiler guard)."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.messages: dict[int, Message] = {}
        # Direct messages: DM channel id -> recipient user id; users who don't accept DMs from the bot.
        self.dm_channels: dict[int, int] = {}
        self.dms_closed: set[int] = set()
        self.nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.nonce_hits = 0  # retries Discord answered with the message it already had
        self.old_edit_limit = 5
        self.old_edits: dict[int, deque[float]] = {}  # channel id -> when its old messages were edited
        self.old_edits_refused = 0
        self._message_waiters: list[tuple[Callable[[Message], bool], asyncio.Future[Message]]] = []

    def seed_bot_message(
        self, channel: Channel, body: dict[str, Any], *, message_id: int | None = None
    ) -> Message:
        """A message the bot posted before this run (benchmarks: the vote message of a theory in a
        prebuilt database). Nothing is dispatched."""
        return self._store_message(channel, self.bot_user, body, notify=False, message_id=message_id)

    def post_as(self, member: Member, channel: Channel, content: str) -> Message:
        """A member posts an ordinary message (what the spoiler guard reads)."""
        guild = self.guilds[channel.guild_id]
        have = guild.permissions_in(member.user.id, channel)
        need = P.SEND_IN_THREADS if channel.is_thread else P.SEND_MESSAGES
        if not have & need:
            raise PermissionError(f"{member.user.username} cannot send in #{channel.name}")
        automod.check_member_message(guild, member, channel, content)  # DiscordError 200000
        return self._store_message(channel, member.user, {"content": content}, notify=True)

    def edit_as(self, message: Message, content: str) -> Message:
        """The author edits their own message (MESSAGE_UPDATE, as the spoiler guard sees it)."""
        guild, channel = self.guilds[message.guild_id or 0], self.channels[message.channel_id]
        automod.check_member_message(guild, guild.members[message.author.id], channel, content)
        return self._edit_message(message, {"content": content})

    def _message(self, channel: Channel, message_id: str | int) -> Message:
        message = self.messages.get(int(message_id))
        if message is None or message.channel_id != channel.id or message.deleted or message.ephemeral_for:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    def _pings(
        self, channel: Channel | None, author: User, content: str, allowed: dict[str, Any] | None
    ) -> tuple[list[int], list[int], bool]:
        parse = ["users", "roles", "everyone"] if allowed is None else list(allowed.get("parse") or [])
        allowed_users = {int(u) for u in (allowed or {}).get("users") or []}
        allowed_roles = {int(r) for r in (allowed or {}).get("roles") or []}
        users = [
            int(u)
            for u in dict.fromkeys(P_USER.findall(content))
            if "users" in parse or int(u) in allowed_users
        ]
        roles: list[int] = []
        can_mention_all = False
        guild = self.guilds.get(channel.guild_id) if channel else None
        if guild is not None and channel is not None and author.id in guild.members:
            can_mention_all = bool(guild.permissions_in(author.id, channel) & P.MENTION_EVERYONE)
        for raw in dict.fromkeys(P_ROLE.findall(content)):
            rid = int(raw)
            if "roles" not in parse and rid not in allowed_roles:
                continue
            role = guild.roles.get(rid) if guild else None
            if role is not None and (role.mentionable or can_mention_all):
                roles.append(rid)
        everyone = bool(P_EVERYONE.search(content)) and "everyone" in parse and can_mention_all
        return users, roles, everyone

    def _store_message(
        self,
        channel: Channel | None,
        author: User,
        body: dict[str, Any],
        *,
        channel_id: int | None = None,
        webhook_id: int | None = None,
        ephemeral_for: int | None = None,
        interaction_metadata: dict[str, Any] | None = None,
        notify: bool = True,
        message_id: int | None = None,
        extra_flags: int = 0,
    ) -> Message:
        cid = channel.id if channel else int(channel_id or 0)
        content = body.get("content") or ""
        embeds = list(body.get("embeds") or [])
        bot_post = channel is not None and author.id == self.bot_user.id and webhook_id is None
        if bot_post and embeds and channel is not None and not self._bot_perms(channel) & P.EMBED_LINKS:
            embeds = []  # Discord drops rich embeds from a bot without Embed Links
        flags = int(body.get("flags") or 0) | extra_flags
        message = Message(
            id=message_id or self.ids.next(),
            channel_id=cid,
            guild_id=channel.guild_id if channel else None,
            author=author,
            content=content,
            embeds=embeds,
            components=_normalise_components(body.get("components") or []),
            flags=flags,
            nonce=body.get("nonce"),
            webhook_id=webhook_id,
            interaction_metadata=interaction_metadata,
            allowed_mentions=body.get("allowed_mentions"),
            message_reference=body.get("message_reference"),
            ephemeral_for=ephemeral_for,
        )
        if not message.ephemeral:
            message.pinged_users, message.pinged_roles, message.pinged_everyone = self._pings(
                channel,
                author,
                components_v2.mention_text(content, message.components),
                body.get("allowed_mentions"),
            )
        self.messages[message.id] = message
        if channel is not None and not message.ephemeral:
            channel.last_message_id = message.id
            if channel.is_thread:
                channel.message_count += 1
        if notify and not message.ephemeral and channel is not None:
            self.dispatch(
                "MESSAGE_CREATE",
                {**message.to_dict(), "member": _member_or_none(self, channel, author)},
                guild_id=channel.guild_id,
            )
        self._resolve_message_waiters(message)
        return message

    def _edit_message(self, message: Message, body: dict[str, Any], *, notify: bool = True) -> Message:
        problems = components_v2.edit_problems(message, body) if self.validate else []
        if problems:
            self.violations.extend(f"edit of message {message.id}: {p}" for p in problems)
            raise DiscordError(400, 50035, "Invalid Form Body", {"_errors": problems})
        message.history.append(
            {"content": message.content, "embeds": message.embeds, "components": message.components}
        )
        if "content" in body:
            message.content = body["content"] or ""
        if "embeds" in body:
            message.embeds = list(body["embeds"] or [])
        if "components" in body:
            message.components = _normalise_components(body["components"] or [])
        if "flags" in body and body["flags"] is not None:
            message.flags = (message.flags & 64) | int(body["flags"])
        if "allowed_mentions" in body:
            message.allowed_mentions = body["allowed_mentions"]
        message.flags &= ~128  # no longer "thinking"
        message.edited_timestamp = iso()
        channel = self.channels.get(message.channel_id)
        if not message.ephemeral:
            message.pinged_users, message.pinged_roles, message.pinged_everyone = self._pings(
                channel,
                message.author,
                components_v2.mention_text(message.content, message.components),
                message.allowed_mentions,
            )
        if notify and not message.ephemeral and channel is not None:
            self.dispatch("MESSAGE_UPDATE", message.to_dict(), guild_id=channel.guild_id)
        return message

    def _delete_message(self, message: Message) -> None:
        message.deleted = True
        channel = self.channels.get(message.channel_id)
        if channel is not None and not message.ephemeral:
            data = {"id": str(message.id), "channel_id": str(channel.id), "guild_id": str(channel.guild_id)}
            self.dispatch("MESSAGE_DELETE", data, guild_id=channel.guild_id)

    def _unarchive_for_send(self, channel: Channel) -> None:
        if channel.is_thread and channel.archived:
            if channel.locked and not self._bot_perms(channel) & P.MANAGE_THREADS:
                raise DiscordError(400, 50083, "Thread is archived")
            channel.archived = False
            self.dispatch("THREAD_UPDATE", channel.to_dict(), guild_id=channel.guild_id)

    def _resolve_message_waiters(self, message: Message) -> None:
        keep = []
        for predicate, fut in self._message_waiters:
            if fut.done():
                continue
            if predicate(message):
                fut.set_result(message)
            else:
                keep.append((predicate, fut))
        self._message_waiters = keep

    async def wait_for_message(self, predicate: Callable[[Message], bool], timeout: float = 20.0) -> Message:
        """Wait for a message (already stored or future) that matches."""
        for message in self.messages.values():
            if not message.deleted and predicate(message):
                return message
        fut: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._message_waiters.append((predicate, fut))
        return await asyncio.wait_for(fut, timeout)

    # -- assertions helpers ---------------------------------------------------------------------
    def channel_messages(self, channel: Channel | int, *, include_deleted: bool = False) -> list[Message]:
        """Messages visible in a channel (not ephemeral), oldest first."""
        cid = channel if isinstance(channel, int) else channel.id
        return [
            m
            for m in self.messages.values()
            if m.channel_id == cid and not m.ephemeral and (include_deleted or not m.deleted)
        ]

    def dms_to(self, user: User | int) -> list[Message]:
        """What the bot sent a user in direct messages, oldest first."""
        uid = user if isinstance(user, int) else user.id
        return [m for m in self.messages.values() if self.dm_channels.get(m.channel_id) == uid]

    def bot_messages(self, channel: Channel | int | None = None) -> list[Message]:
        cid = channel if isinstance(channel, int) or channel is None else channel.id
        return [
            m
            for m in self.messages.values()
            if m.author.id == self.bot_user.id
            and not m.ephemeral
            and not m.deleted
            and (cid is None or m.channel_id == cid)
        ]

    @route("GET", "/channels/{channel}/messages")
    async def handle_history(self, req: Request) -> Any:
        channel = self._channel(req.params["channel"])
        self._require(channel, P.READ_MESSAGE_HISTORY)
        limit = min(int(req.query.get("limit", 50)), 100)
        messages = self.channel_messages(channel)
        if "before" in req.query:
            messages = [m for m in messages if m.id < int(req.query["before"])]
        if "after" in req.query:
            messages = [m for m in messages if m.id > int(req.query["after"])][:limit]
            return [m.to_dict() for m in reversed(messages)]
        return [m.to_dict() for m in reversed(messages[-limit:])]

    @route("POST", "/users/@me/channels")
    async def handle_open_dm(self, req: Request) -> Any:
        recipient = self.users.get(int((req.body or {}).get("recipient_id") or 0))
        if recipient is None:
            raise DiscordError(400, 50033, "Invalid Recipient(s)")
        dm_id = next((c for c, u in self.dm_channels.items() if u == recipient.id), None)
        if dm_id is None:
            dm_id = self.ids.next()
            self.dm_channels[dm_id] = recipient.id
        return {
            "id": str(dm_id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [recipient.to_dict()],
        }

    @route("POST", "/channels/{channel}/messages")
    async def handle_create_message(self, req: Request) -> Any:
        body = req.body or {}
        dm_to = self.dm_channels.get(int(req.params["channel"]))
        if dm_to is not None:
            if dm_to in self.dms_closed:
                raise DiscordError(403, 50007, "Cannot send messages to this user")
            return self._store_message(
                None, self.bot_user, body, channel_id=int(req.params["channel"]), notify=False
            ).to_dict()
        channel = self._channel(req.params["channel"])
        if channel.type in (ChannelType.FORUM, ChannelType.CATEGORY):
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        self._require(channel, P.SEND_IN_THREADS if channel.is_thread else P.SEND_MESSAGES)
        if channel.locked and not self._bot_perms(channel) & P.MANAGE_THREADS:
            raise thread_locked()
        # Without Embed Links the embeds are dropped, and a message that was only embeds is empty.
        embeds = body.get("embeds") if self._bot_perms(channel) & P.EMBED_LINKS else None
        if not (body.get("content") or embeds or body.get("components") or body.get("sticker_ids")):
            raise DiscordError(400, 50006, "Cannot send an empty message")
        nonce = body.get("nonce")
        if nonce is not None and body.get("enforce_nonce"):
            key = (channel.id, self.bot_user.id, str(nonce))
            seen = self.nonces.get(key)
            if seen is not None and self.clock() - seen[1] < self.nonce_window:
                existing = self.messages.get(seen[0])
                if existing is not None:
                    self.nonce_hits += 1
                    return existing.to_dict()
        self._unarchive_for_send(channel)
        message = self._store_message(channel, self.bot_user, body)
        if nonce is not None and body.get("enforce_nonce"):
            self.nonces[(channel.id, self.bot_user.id, str(nonce))] = (message.id, self.clock())
        return message.to_dict()

    @route("GET", "/channels/{channel}/messages/{message}")
    async def handle_get_message(self, req: Request) -> Any:
        channel = self._channel(req.params["channel"])
        self._require(channel, P.READ_MESSAGE_HISTORY)
        return self._message(channel, req.params["message"]).to_dict()

    @route("PATCH", "/channels/{channel}/messages/{message}")
    async def handle_edit_message(self, req: Request) -> Any:
        channel = self._channel(req.params["channel"])
        self._require(channel)
        message = self._message(channel, req.params["message"])
        if message.author.id != self.bot_user.id or message.webhook_id is not None:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        if channel.locked and not self._bot_perms(channel) & P.MANAGE_THREADS:
            raise thread_locked()
        if channel.is_thread and channel.archived:
            raise DiscordError(400, 50083, "Thread is archived")
        self._count_old_edit(channel, message)
        return self._edit_message(message, req.body or {}).to_dict()

    def _count_old_edit(self, channel: Channel, message: Message) -> None:
        """Refuse with 30046 past the cap on edits of hour-old messages (see OLD_MESSAGE_AGE)."""
        now = self.clock()
        if now - created_at(message.id) <= OLD_MESSAGE_AGE:
            return
        recent = self.old_edits.setdefault(channel.id, deque())
        while recent and now - recent[0] >= OLD_EDIT_WINDOW:
            recent.popleft()
        if len(recent) >= self.old_edit_limit:
            self.old_edits_refused += 1
            raise DiscordError(
                429, 30046, "Maximum number of edits to messages older than 1 hour reached. Try again later."
            )
        recent.append(now)

    @route("DELETE", "/channels/{channel}/messages/{message}")
    async def handle_delete_message(self, req: Request) -> Any:
        channel = self._channel(req.params["channel"])
        message = self._message(channel, req.params["message"])
        if message.author.id != self.bot_user.id:
            self._require(channel, P.MANAGE_MESSAGES)
        self._delete_message(message)
        return None


def created_at(snowflake: int) -> float:
    """When Discord made an id (unix seconds)."""
    return ((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000


def _member_or_none(lb: Messages, channel: Channel, author: User) -> dict[str, Any] | None:
    guild = lb.guilds.get(channel.guild_id)
    member = guild.members.get(author.id) if guild else None
    return member.to_dict(with_user=False) if member else None


def _normalise_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Stored components as Discord returns them (ids on each)."""
    out = []
    for index, original in enumerate(components):
        comp = dict(original)
        comp.setdefault("id", index + 1)
        if "components" in comp:
            comp["components"] = _normalise_components(comp["components"])
        out.append(comp)
    return out
