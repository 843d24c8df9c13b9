"""Interactions: what a member's slash command, button or modal sends the bot, the 3-second
deadline, the bot's callback, and its followups and edits through the interaction webhook."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .core import (
    DiscordError,
    Request,
    route,
)
from .messages import Messages
from .state import (
    Channel,
    Guild,
    Member,
    Message,
)


@dataclass
class Interaction:
    """One interaction sent to the bot, and everything the bot answered."""

    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    user_id: int
    payload: dict[str, Any]
    created: float
    message_id: int | None = None  # the message a component was on
    answered_at: float | None = None  # when the callback arrived (monotonic, like `created`)
    response_type: int | None = None
    response_data: dict[str, Any] | None = None
    original: Message | None = None
    followups: list[Message] = field(default_factory=list)
    expired: bool = False
    late_response: bool = False
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    errors: list[str] = field(default_factory=list)


class Interactions(Messages):
    """INTERACTION_CREATE for members' actions, and every response route the bot answers through."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.interactions: dict[str, Interaction] = {}

    def new_interaction(
        self,
        *,
        type: int,
        guild: Guild,
        channel: Channel,
        member: Member,
        data: dict[str, Any],
        message: Message | None = None,
    ) -> Interaction:
        """Send INTERACTION_CREATE as Discord would when `member` acts in `channel`."""
        interaction_id = self.ids.next()
        token = "aW50ZXJhY3Rpb246" + secrets.token_urlsafe(48)
        member_perms = guild.permissions_in(member.user.id, channel)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": type,
            "token": token,
            "version": 1,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(channel.id),
            "channel": {**channel.to_dict(), "permissions": str(member_perms)},
            "member": {**member.to_dict(), "permissions": str(member_perms)},
            "app_permissions": str(self._bot_perms(channel)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": 10 * 1024 * 1024,
            "data": data,
        }
        if message is not None:
            payload["message"] = message.to_dict()
        inter = Interaction(
            interaction_id,
            token,
            type,
            guild.id,
            channel.id,
            member.user.id,
            payload,
            time.monotonic(),
            message_id=message.id if message else None,
        )
        self.interactions[token] = inter
        loop = asyncio.get_running_loop()
        delay = self.one_way()
        if delay:  # on its way to the bot; the deadline runs from now all the same
            loop.call_later(delay, lambda: self.dispatch("INTERACTION_CREATE", payload, guild_id=guild.id))
        else:
            self.dispatch("INTERACTION_CREATE", payload, guild_id=guild.id)
        loop.call_later(self.interaction_deadline, self._expire, inter)
        return inter

    def _expire(self, inter: Interaction) -> None:
        if inter.response_type is None:
            inter.expired = True
            inter.errors.append(
                "the bot did not answer within the deadline: Discord shows 'This interaction failed'"
            )
            inter.answered.set()
            inter.changed.set()

    async def _interaction_callback(self, req: Request) -> Any:
        inter = self.interactions.get(req.params["token"])
        if inter is None or str(inter.id) != req.params["id"]:
            raise DiscordError(404, 10062, "Unknown interaction")
        if inter.expired:
            inter.late_response = True
            raise DiscordError(404, 10062, "Unknown interaction")
        if inter.response_type is not None:
            inter.errors.append("a second response to one interaction")
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        body = req.body or {}
        cb_type = int(body.get("type", 0))
        data = body.get("data") or {}
        allowed = {2: {4, 5, 9}, 3: {4, 5, 6, 7, 9}, 4: {8}, 5: {4, 5, 6, 7}}[inter.type]
        if cb_type not in allowed:
            raise DiscordError(
                400, 50035, "Invalid Form Body", {"type": {"_errors": [{"message": "bad callback type"}]}}
            )
        inter.response_type = cb_type
        inter.answered_at = time.monotonic()
        inter.response_data = data
        channel = self.channels.get(inter.channel_id)
        resource: dict[str, Any] | None = None
        response_message_id: int | None = None
        if cb_type in (4, 5):
            ephemeral = bool(int(data.get("flags") or 0) & 64)
            if channel is not None and not ephemeral:
                self._unarchive_for_send(channel)
            message = self._store_message(
                channel,
                self.bot_user,
                data if cb_type == 4 else {"flags": data.get("flags")},
                channel_id=inter.channel_id,
                webhook_id=self.app_id,
                ephemeral_for=inter.user_id if ephemeral else None,
                interaction_metadata=_metadata(inter),
                extra_flags=128 if cb_type == 5 else 0,
            )
            inter.original = message
            response_message_id = message.id
            resource = {"type": cb_type, "message": message.to_dict()}
        elif cb_type == 7:
            target = self.messages.get(inter.message_id or 0)
            if target is None:
                raise DiscordError(404, 10008, "Unknown Message")
            self._edit_message(target, data)
            response_message_id = target.id
            resource = {"type": cb_type, "message": target.to_dict()}
        inter.answered.set()
        inter.changed.set()
        result: dict[str, Any] = {
            "interaction": {
                "id": str(inter.id),
                "type": inter.type,
                "activity_instance_id": None,
                "response_message_id": str(response_message_id) if response_message_id else None,
                "response_message_loading": cb_type == 5,
                "response_message_ephemeral": bool(int(data.get("flags") or 0) & 64),
            }
        }
        if resource is not None:
            result["resource"] = resource
        return result

    @route("POST", "/interactions/{id}/{token}/callback")
    async def handle_callback(self, req: Request) -> Any:
        return await self._interaction_callback(req)

    def _interaction_for(self, token: str, app: str) -> Interaction:
        inter = self.interactions.get(token)
        if inter is None or int(app) != self.app_id:
            raise DiscordError(404, 10015, "Unknown Webhook")
        if time.monotonic() - inter.created > 15 * 60:
            raise DiscordError(401, 50027, "Invalid Webhook Token")
        return inter

    def _original_of(self, inter: Interaction) -> Message:
        if inter.response_type in (6, 7) and inter.message_id:
            message = self.messages.get(inter.message_id)
            if message is not None:
                return message
        if inter.original is None:
            raise DiscordError(404, 10008, "Unknown Message")
        return inter.original

    @route("POST", "/webhooks/{app}/{token}")
    async def handle_followup(self, req: Request) -> Any:
        inter = self._interaction_for(req.params["token"], req.params["app"])
        if inter.response_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        body = req.body or {}
        original = inter.original
        if (
            inter.response_type == 5
            and original is not None
            and original.flags & 128
            and not original.deleted
        ):
            # After a deferral, the first followup replaces the "thinking" message: it is the response,
            # public or ephemeral as the deferral was, whatever this request's flags say.
            flags = int(body.get("flags") or 0) & ~64
            self._edit_message(original, {**body, "flags": flags})
            inter.followups.append(original)
            inter.changed.set()
            return original.to_dict()
        ephemeral = bool(int(body.get("flags") or 0) & 64)
        channel = self.channels.get(inter.channel_id)
        if channel is not None and not ephemeral:
            self._unarchive_for_send(channel)
        message = self._store_message(
            channel,
            self.bot_user,
            body,
            channel_id=inter.channel_id,
            webhook_id=self.app_id,
            ephemeral_for=inter.user_id if ephemeral else None,
            interaction_metadata=_metadata(inter),
        )
        inter.followups.append(message)
        inter.changed.set()
        return message.to_dict()

    @route("GET", "/webhooks/{app}/{token}/messages/{message}")
    async def handle_get_webhook_message(self, req: Request) -> Any:
        inter = self._interaction_for(req.params["token"], req.params["app"])
        return self._webhook_message(inter, req.params["message"], self._original_of).to_dict()

    @route("PATCH", "/webhooks/{app}/{token}/messages/{message}")
    async def handle_edit_webhook_message(self, req: Request) -> Any:
        inter = self._interaction_for(req.params["token"], req.params["app"])
        message = self._webhook_message(inter, req.params["message"], self._original_of)
        self._edit_message(message, req.body or {})
        inter.changed.set()
        return message.to_dict()

    @route("DELETE", "/webhooks/{app}/{token}/messages/{message}")
    async def handle_delete_webhook_message(self, req: Request) -> Any:
        inter = self._interaction_for(req.params["token"], req.params["app"])
        message = self._webhook_message(inter, req.params["message"], self._original_of)
        self._delete_message(message)
        inter.changed.set()
        return None

    def _webhook_message(
        self, inter: Interaction, ref: str, original_of: Callable[[Interaction], Message]
    ) -> Message:
        if ref == "@original":
            message = original_of(inter)
        else:
            found = self.messages.get(int(ref)) if ref.isdigit() else None
            if found is None or (found not in inter.followups and found is not inter.original):
                raise DiscordError(404, 10008, "Unknown Message")
            message = found
        if message.deleted:
            raise DiscordError(404, 10008, "Unknown Message")
        return message


def _metadata(inter: Interaction) -> dict[str, Any]:
    return {
        "id": str(inter.id),
        "type": inter.type,
        "user": {
            "id": str(inter.user_id),
            "username": f"user{inter.user_id}",
            "discriminator": "0",
            "avatar": None,
        },
        "authorizing_integration_owners": {"0": str(inter.guild_id)},
    }
