"""Threads and forum posts: creating them, listing the active ones, archiving, locking and tagging, and
who may.

A guild holds at most 1,000 active threads (Discord's 160006, "Maximum number of active threads
reached"); archived ones don't count.
"""

from __future__ import annotations

from typing import Any

from . import permissions as P
from .core import (
    DiscordError,
    Request,
    invalid_form,
    missing_access,
    missing_permissions,
    route,
    thread_locked,
)
from .messages import Messages
from .state import (
    Channel,
    ChannelType,
    Message,
    iso,
)

MAX_ACTIVE_THREADS = 1000


class Threads(Messages):
    """Public threads in text channels and posts in forums (with their starter message)."""

    def _sees_thread(self, thread: Channel) -> bool:
        have = self._bot_perms(thread)
        if not have & P.VIEW_CHANNEL:
            return False
        private = thread.type == ChannelType.PRIVATE_THREAD
        return not private or self.bot_user.id in thread.member_ids or bool(have & P.MANAGE_THREADS)

    @route("GET", "/guilds/{guild}/threads/active")
    async def handle_active_threads(self, req: Request) -> Any:
        """List Active Guild Threads: every unarchived thread the bot can see, newest first, with the
        bot's own thread memberships."""
        guild = self._guild(req.params["guild"])
        threads = sorted(
            (c for c in guild.channels.values() if c.is_thread and not c.archived and self._sees_thread(c)),
            key=lambda c: c.id,
            reverse=True,
        )
        members = [
            {"id": str(t.id), "user_id": str(self.bot_user.id), "join_timestamp": iso(), "flags": 0}
            for t in threads
            if self.bot_user.id in t.member_ids
        ]
        return {"threads": [t.to_dict() for t in threads], "members": members, "has_more": False}

    def archive_thread(self, thread: Channel, *, locked: bool = False) -> None:
        thread.archived = True
        thread.locked = locked
        thread.archive_timestamp = iso()
        self.dispatch("THREAD_UPDATE", thread.to_dict(), guild_id=thread.guild_id)

    @route("POST", "/channels/{channel}/threads")
    async def handle_create_thread(self, req: Request) -> Any:
        return self._create_thread(self._channel(req.params["channel"]), req.body or {}, None)

    @route("POST", "/channels/{channel}/messages/{message}/threads")
    async def handle_thread_from_message(self, req: Request) -> Any:
        channel = self._channel(req.params["channel"])
        message = self._message(channel, req.params["message"])
        if message.id in self.channels:  # a message starts one thread, ever (even an archived one)
            raise DiscordError(400, 160004, "A thread has already been created for this message")
        return self._create_thread(channel, req.body or {}, message)

    @route("PUT", "/channels/{channel}/thread-members/@me")
    async def handle_join_thread(self, req: Request) -> Any:
        thread = self._channel(req.params["channel"])
        self._require(thread)
        thread.member_ids.add(self.bot_user.id)
        return None

    def _create_thread(self, parent: Channel, body: dict[str, Any], message: Message | None) -> Any:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise invalid_form("name", "Must be between 1 and 100 in length.")
        guild = self.guilds[parent.guild_id]
        active = sum(1 for c in guild.channels.values() if c.is_thread and not c.archived)
        if active >= MAX_ACTIVE_THREADS:
            raise DiscordError(400, 160006, "Maximum number of active threads reached")
        if parent.type == ChannelType.FORUM:
            self._require(parent, P.SEND_MESSAGES)
            first = body.get("message") or {}
            if not (first.get("content") or first.get("embeds") or first.get("components")):
                raise DiscordError(400, 50006, "Cannot send an empty message")
            tag_ids = [int(t) for t in body.get("applied_tags") or []]
            known = {int(t["id"]) for t in parent.available_tags}
            if len(tag_ids) > 5 or any(t not in known for t in tag_ids):
                raise invalid_form("applied_tags", "Tags must exist on the forum, at most 5.")
            thread = Channel(self.ids.next(), guild.id, ChannelType.PUBLIC_THREAD, name, parent_id=parent.id)
            thread.owner_id = self.bot_user.id
            thread.applied_tags = tag_ids
        elif parent.type in (ChannelType.TEXT, ChannelType.NEWS):
            thread_type = (
                int(body.get("type") or ChannelType.PUBLIC_THREAD)
                if message is None
                else ChannelType.PUBLIC_THREAD
            )
            if parent.type == ChannelType.NEWS:
                thread_type = ChannelType.NEWS_THREAD
            private = thread_type == ChannelType.PRIVATE_THREAD
            self._require(parent, P.CREATE_PRIVATE_THREADS if private else P.CREATE_PUBLIC_THREADS)
            thread = Channel(
                message.id if message else self.ids.next(), guild.id, thread_type, name, parent_id=parent.id
            )
            thread.owner_id = self.bot_user.id
            first = None
        else:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        thread.auto_archive_duration = int(body.get("auto_archive_duration") or 10080)
        thread.member_ids.add(self.bot_user.id)
        guild.channels[thread.id] = thread
        self.channels[thread.id] = thread
        self.dispatch("THREAD_CREATE", {**thread.to_dict(), "newly_created": True}, guild_id=guild.id)
        data = thread.to_dict()
        if parent.type == ChannelType.FORUM and first is not None:
            starter = self._store_message(thread, self.bot_user, first, message_id=thread.id)
            data["message"] = starter.to_dict()
        if message is not None:
            message_data = self.messages[message.id]
            self.dispatch("MESSAGE_UPDATE", {**message_data.to_dict(), "thread": data}, guild_id=guild.id)
        return data

    def _edit_thread(self, channel: Channel, body: dict[str, Any]) -> Any:
        """PATCH /channels/{id} on a thread: rename, archive, lock, tag; owners and Manage Threads.

        An archived thread takes nothing but archiving and locking unless the same request sets
        `archived: false` (Modify Channel: "Requires the thread to have archived set to false or be
        set to false in the request"); a locked one takes nothing without Manage Threads (160005)."""
        have = self._bot_perms(channel)
        if not have & P.VIEW_CHANNEL:
            raise missing_access()
        if channel.locked and not have & P.MANAGE_THREADS:
            raise thread_locked()
        if channel.archived and body.get("archived") is not False and set(body) - {"archived", "locked"}:
            raise DiscordError(400, 50083, "Thread is archived")
        is_owner = channel.owner_id == self.bot_user.id
        needs_manage = "locked" in body or "invitable" in body or not is_owner
        if needs_manage and not have & P.MANAGE_THREADS:
            # Unarchiving an unlocked thread is allowed to anyone who can send there.
            if (
                set(body) <= {"archived"}
                and body.get("archived") is False
                and not channel.locked
                and have & P.SEND_IN_THREADS
            ):
                pass
            else:
                raise missing_permissions()
        if "name" in body:
            name = body["name"]
            if not isinstance(name, str) or not 1 <= len(name) <= 100:
                raise invalid_form("name", "Must be between 1 and 100 in length.")
            channel.name = name
        if "archived" in body:
            channel.archived = bool(body["archived"])
            channel.archive_timestamp = iso()
        if "locked" in body:
            channel.locked = bool(body["locked"])
        if "applied_tags" in body:
            parent = self.channels[channel.parent_id] if channel.parent_id else None
            tag_ids = [int(t) for t in body["applied_tags"] or []]
            known = {int(t["id"]) for t in (parent.available_tags if parent else [])}
            if len(tag_ids) > 5 or any(t not in known for t in tag_ids):
                raise invalid_form("applied_tags", "Tags must exist on the forum, at most 5.")
            channel.applied_tags = tag_ids
        if "auto_archive_duration" in body:
            channel.auto_archive_duration = int(body["auto_archive_duration"])
        self.dispatch("THREAD_UPDATE", channel.to_dict(), guild_id=channel.guild_id)
        return channel.to_dict()
