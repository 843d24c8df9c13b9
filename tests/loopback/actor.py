"""Play a member against the loopback Discord: slash commands, autocomplete, buttons, selects, modals."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .interactions import Interaction
from .server import LoopbackDiscord
from .state import Channel, ChannelType, Guild, Member, Message, Role, User

OPTION_SUBCOMMAND = 1
OPTION_GROUP = 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER = 3, 4, 5, 6, 7, 8, 9, 10


class ClientRefused(ValueError):
    """Discord's own client would not let a member send this (a required option missing, a value
    outside min/max, not one of the choices). Fuzz tests skip these inputs."""


@dataclass
class Reply:
    """What the bot did with one interaction."""

    lb: LoopbackDiscord
    interaction: Interaction

    # -- waiting ---------------------------------------------------------------------------------
    async def wait(self, timeout: float | None = None) -> Reply:
        await asyncio.wait_for(self.interaction.answered.wait(), timeout or self.lb.interaction_deadline + 2)
        return self

    async def wait_for(self, predicate: Any, timeout: float = 20.0) -> Reply:
        """Wait until `predicate(self)` holds (after a deferral, an edit or a followup)."""

        async def loop() -> None:
            while not predicate(self):
                self.interaction.changed.clear()
                if predicate(self):
                    return
                await self.interaction.changed.wait()

        await asyncio.wait_for(loop(), timeout)
        return self

    async def wait_for_followup(self, count: int = 1, timeout: float = 20.0) -> Message:
        await self.wait_for(lambda r: len(r.followups) >= count, timeout)
        return self.followups[count - 1]

    async def wait_done(self, timeout: float = 20.0) -> Reply:
        """After a deferral: wait until the 'thinking' message was replaced or a followup came."""
        return await self.wait_for(lambda r: not r.thinking or r.followups, timeout)

    # -- reading -------------------------------------------------------------------------------
    @property
    def expired(self) -> bool:
        return self.interaction.expired

    @property
    def kind(self) -> str:
        return {
            None: "expired" if self.expired else "pending",
            4: "message",
            5: "deferred",
            6: "deferred_update",
            7: "update",
            8: "autocomplete",
            9: "modal",
        }[self.interaction.response_type]

    @property
    def message(self) -> Message | None:
        """The response message (the updated component message for type 7)."""
        if self.interaction.response_type == 7 and self.interaction.message_id:
            return self.lb.messages.get(self.interaction.message_id)
        return self.interaction.original

    @property
    def thinking(self) -> bool:
        message = self.interaction.original
        return message is not None and bool(message.flags & 128)

    @property
    def ephemeral(self) -> bool:
        message = self.message
        return message is not None and message.ephemeral

    @property
    def content(self) -> str:
        message = self.message
        return message.content if message else ""

    @property
    def embeds(self) -> list[dict[str, Any]]:
        message = self.message
        return message.embeds if message else []

    @property
    def text(self) -> str:
        """Everything the member can read in the response, followups included."""
        parts = [self.message.text] if self.message else []
        parts.extend(m.text for m in self.followups if not m.deleted and m is not self.message)
        return "\n".join(parts)

    @property
    def followups(self) -> list[Message]:
        return self.interaction.followups

    @property
    def modal(self) -> dict[str, Any]:
        assert self.interaction.response_type == 9, f"expected a modal, got {self.kind}: {self.text!r}"
        return self.interaction.response_data or {}

    @property
    def choices(self) -> list[dict[str, Any]]:
        assert self.interaction.response_type == 8, f"expected autocomplete choices, got {self.kind}"
        return list((self.interaction.response_data or {}).get("choices") or [])

    def __repr__(self) -> str:
        return f"<Reply {self.kind} ephemeral={self.ephemeral} text={self.text[:200]!r}>"


class Actor:
    """A member of a loopback guild who can use the bot."""

    def __init__(self, lb: LoopbackDiscord, guild: Guild, member: Member, channel: Channel) -> None:
        self.lb = lb
        self.guild = guild
        self.member = member
        self.channel = channel

    @property
    def user(self) -> User:
        return self.member.user

    @property
    def id(self) -> int:
        return self.member.user.id

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    @property
    def role_ids(self) -> list[int]:
        return list(self.member.role_ids)

    # -- slash commands ------------------------------------------------------------------------
    def find_command(self, path: str) -> tuple[dict[str, Any], list[str], list[dict[str, Any]]]:
        """The registered top-level command, the subcommand names, and the leaf's option definitions."""
        names = path.split()
        commands = self.lb.guild_commands.get(self.guild.id, []) + self.lb.global_commands
        top = next((c for c in commands if c["name"] == names[0]), None)
        if top is None:
            raise LookupError(
                f"/{names[0]} is not registered; registered: {sorted(c['name'] for c in commands)}"
            )
        options = top.get("options") or []
        for name in names[1:]:
            sub = next(
                (o for o in options if o["name"] == name and o["type"] in (OPTION_SUBCOMMAND, OPTION_GROUP)),
                None,
            )
            if sub is None:
                raise LookupError(f"/{path}: no subcommand {name!r}; have {[o['name'] for o in options]}")
            options = sub.get("options") or []
        return top, names[1:], options

    def _build(self, path: str, values: dict[str, Any], *, focused: str | None = None) -> dict[str, Any]:
        top, subs, defs = self.find_command(path)
        resolved: dict[str, dict[str, Any]] = {}
        leaf: list[dict[str, Any]] = []
        by_name = {d["name"]: d for d in defs}
        for name, value in values.items():
            if name not in by_name:
                raise TypeError(f"/{path} has no option {name!r}; it has {sorted(by_name)}")
            definition = by_name[name]
            if name == focused:
                leaf.append({"name": name, "type": definition["type"], "value": str(value), "focused": True})
                continue
            leaf.append(
                {
                    "name": name,
                    "type": definition["type"],
                    "value": self._convert(path, definition, value, resolved),
                }
            )
        if focused is not None and focused not in values:
            definition = by_name[focused]
            leaf.append({"name": focused, "type": definition["type"], "value": "", "focused": True})
        if focused is None:
            for definition in defs:
                if definition.get("required") and definition["name"] not in values:
                    raise ClientRefused(f"/{path}: option {definition['name']!r} is required")
        options: list[dict[str, Any]] = leaf
        for sub in reversed(subs):
            options = [
                {
                    "name": sub,
                    "type": OPTION_SUBCOMMAND if options is leaf else OPTION_GROUP,
                    "options": options,
                }
            ]
        data: dict[str, Any] = {"id": top["id"], "name": top["name"], "type": 1, "options": options}
        if "guild_id" in top:
            data["guild_id"] = top["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    def _convert(
        self, path: str, definition: dict[str, Any], value: Any, resolved: dict[str, dict[str, Any]]
    ) -> Any:
        kind = definition["type"]
        name = definition["name"]
        choices = definition.get("choices")
        if kind == STRING:
            value = str(value)
            low, high = definition.get("min_length", 0), definition.get("max_length", 6000)
            if not low <= len(value) <= high:
                raise ClientRefused(f"/{path} {name}: length {len(value)} outside {low}..{high}")
        elif kind in (INTEGER, NUMBER):
            value = int(value) if kind == INTEGER else float(value)
            low, high = definition.get("min_value", -(2**53)), definition.get("max_value", 2**53)
            if not low <= value <= high:
                raise ClientRefused(f"/{path} {name}: {value} outside {low}..{high}")
        elif kind == BOOLEAN:
            value = bool(value)
        elif kind in (USER, MENTIONABLE) and isinstance(value, Actor | Member | User):
            user = value.user if isinstance(value, Actor | Member) else value
            member = self.guild.members.get(user.id)
            resolved.setdefault("users", {})[str(user.id)] = user.to_dict()
            if member is not None:
                perms = self.guild.permissions_in(user.id, self.channel)
                resolved.setdefault("members", {})[str(user.id)] = {
                    **member.to_dict(with_user=False),
                    "permissions": str(perms),
                }
            value = str(user.id)
        elif kind in (ROLE, MENTIONABLE) and isinstance(value, Role):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_dict()
            value = str(value.id)
        elif kind == CHANNEL and isinstance(value, Channel):
            allowed_types = definition.get("channel_types")
            if allowed_types and value.type not in allowed_types:
                raise ClientRefused(f"/{path} {name}: channel type {value.type} not in {allowed_types}")
            perms = self.guild.permissions_in(self.id, value)
            entry: dict[str, Any] = {
                "id": str(value.id),
                "name": value.name,
                "type": value.type,
                "permissions": str(perms),
            }
            if value.parent_id:
                entry["parent_id"] = str(value.parent_id)
            if value.is_thread:
                entry["thread_metadata"] = value.to_dict()["thread_metadata"]
            resolved.setdefault("channels", {})[str(value.id)] = entry
            value = str(value.id)
        else:
            raise TypeError(f"/{path} {name}: cannot send {value!r} as option type {kind}")
        if choices and value not in [c["value"] for c in choices]:
            raise ClientRefused(f"/{path} {name}: {value!r} is not one of the choices")
        return value

    async def slash(
        self, path: str, *, where: Channel | None = None, allow_expired: bool = False, **options: Any
    ) -> Reply:
        """Run `/path` with options in channel `where` (default: the actor's channel), as Discord
        would deliver it; returns once the bot answered."""
        data = self._build(path, options)
        self._ensure_shown(path, where or self.channel)
        inter = self.lb.new_interaction(
            type=2, guild=self.guild, channel=where or self.channel, member=self.member, data=data
        )
        return await self._answered(inter, f"/{path}", allow_expired)

    def _ensure_shown(self, path: str, channel: Channel) -> None:
        """Discord neither shows nor delivers a command the member may not use (its default
        permissions, or the server's command permission overrides)."""
        top, _, _ = self.find_command(path)
        hidden = self.lb.command_hidden(self.guild, self.member, channel, top)
        if hidden is not None:
            raise ClientRefused(hidden)

    async def autocomplete(
        self, path: str, focused: str, *, where: Channel | None = None, **options: Any
    ) -> list[dict[str, Any]]:
        """The choices the bot offers while `focused` holds the typed text (pass it in options)."""
        data = self._build(path, options, focused=focused)
        self._ensure_shown(path, where or self.channel)
        data["type"] = 1
        inter = self.lb.new_interaction(
            type=4, guild=self.guild, channel=where or self.channel, member=self.member, data=data
        )
        reply = await self._answered(inter, f"autocomplete /{path} {focused}", False)
        return reply.choices

    # -- components ----------------------------------------------------------------------------
    def find_component(self, message: Message, label_or_id: str) -> dict[str, Any]:
        for comp in message.buttons():
            if label_or_id in (comp.get("custom_id"), comp.get("label")):
                return comp
        raise LookupError(
            f"no component {label_or_id!r} on message; have {[(c.get('label'), c.get('custom_id')) for c in message.buttons()]}"
        )

    async def click(self, message: Message, label_or_id: str, *, allow_expired: bool = False) -> Reply:
        comp = self.find_component(message, label_or_id)
        if comp.get("disabled"):
            raise ClientRefused(f"button {label_or_id!r} is disabled")
        if comp.get("type") != 2 or "custom_id" not in comp:
            raise TypeError(f"{label_or_id!r} is not a clickable button")
        return await self._component(
            message, {"custom_id": comp["custom_id"], "component_type": 2}, allow_expired
        )

    async def select(
        self, message: Message, custom_id: str, values: list[str], *, allow_expired: bool = False
    ) -> Reply:
        comp = self.find_component(message, custom_id)
        options = [o["value"] for o in comp.get("options") or []]
        if options and any(v not in options for v in values):
            raise ClientRefused(f"{values} not among the select's options {options}")
        data = {"custom_id": comp["custom_id"], "component_type": comp["type"], "values": values}
        return await self._component(message, data, allow_expired)

    async def _human_moment(self) -> None:
        """In latency mode, a member takes longer than a round trip to read a form or a message and
        act on it; the bot has had the answer to what it sent by then (discord.py registers a view or
        a modal only once Discord accepted it)."""
        if self.lb.latency is not None:
            await asyncio.sleep(self.lb.latency[1])

    async def _component(self, message: Message, data: dict[str, Any], allow_expired: bool) -> Reply:
        await self._human_moment()
        channel = self.lb.channels[message.channel_id]
        if message.ephemeral_for is not None and message.ephemeral_for != self.id:
            raise ClientRefused("members cannot click another member's ephemeral message")
        inter = self.lb.new_interaction(
            type=3, guild=self.guild, channel=channel, member=self.member, data=data, message=message
        )
        return await self._answered(inter, f"component {data['custom_id']}", allow_expired)

    async def submit(self, modal_reply: Reply, *, allow_expired: bool = False, **values: str) -> Reply:
        """Fill in and submit the modal the bot opened, field by custom_id (or label)."""
        modal = modal_reply.modal
        components: list[dict[str, Any]] = []
        used: set[str] = set()
        for row in modal.get("components") or []:
            inputs = row.get("components") or ([row["component"]] if "component" in row else [])
            filled = []
            for field in inputs:
                key = next(
                    (
                        k
                        for k in (field.get("custom_id"), field.get("label"), row.get("label"))
                        if k in values
                    ),
                    None,
                )
                value = values[key] if key is not None else ""
                if key is not None:
                    used.add(key)
                if field.get("required", True) and not value:
                    raise ClientRefused(f"modal field {field.get('custom_id')!r} is required")
                low, high = field.get("min_length", 0), field.get("max_length", 4000)
                if value and not low <= len(value) <= high:
                    raise ClientRefused(
                        f"modal field {field.get('custom_id')!r}: length {len(value)} outside {low}..{high}"
                    )
                filled.append({"type": field["type"], "custom_id": field["custom_id"], "value": value})
            if "component" in row:
                components.append({"type": row["type"], "component": filled[0]})
            else:
                components.append({"type": 1, "components": filled})
        unknown = set(values) - used
        if unknown:
            raise TypeError(f"the modal has no fields {sorted(unknown)}")
        source = modal_reply.interaction
        channel = self.lb.channels[source.channel_id]
        data = {"custom_id": modal["custom_id"], "components": components}
        await self._human_moment()
        message = self.lb.messages.get(source.message_id) if source.message_id else None
        inter = self.lb.new_interaction(
            type=5, guild=self.guild, channel=channel, member=self.member, data=data, message=message
        )
        return await self._answered(inter, f"modal {modal['custom_id']}", allow_expired)

    async def _answered(self, inter: Interaction, what: str, allow_expired: bool) -> Reply:
        reply = Reply(self.lb, inter)
        await reply.wait()
        if reply.expired and not allow_expired:
            raise AssertionError(f"the bot did not answer {what} within {self.lb.interaction_deadline} s")
        return reply

    def __repr__(self) -> str:
        return f"<Actor {self.user.username}>"


__all__ = ["Actor", "ChannelType", "ClientRefused", "Reply"]
