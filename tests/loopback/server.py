"""A loopback Discord: REST under /api/v10 and a gateway websocket on 127.0.0.1.

The unmodified discord.py client connects to it. It keeps a small world (guilds, roles, members,
channels, threads, messages, scheduled events), enforces permissions the way Discord does, checks
every JSON body against Discord's OpenAPI spec and documented limits, and can inject faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import WSMsgType, web

from bot.checks import INVITE_PERMISSIONS

from . import automod, components_v2
from . import permissions as P
from .limits import DiscordLimits
from .spec import validate_body
from .state import (
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    ScheduledEvent,
    Snowflakes,
    User,
    iso,
)

log = logging.getLogger(__name__)

JSON = "application/json"
BOT_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.GabcDE.loopback-token-abcdefghijklmnopqrstuvwxyz0123"

# Gateway intents (bit positions from Discord's documentation).
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16
INTENT_GUILD_PRESENCES = 1 << 8
INTENT_AUTO_MODERATION_CONFIGURATION = 1 << 20
PRIVILEGED = {INTENT_GUILD_MEMBERS: 1 << 15, INTENT_GUILD_PRESENCES: 1 << 13, INTENT_MESSAGE_CONTENT: 1 << 19}
APP_FLAG_MESSAGE_CONTENT_LIMITED = 1 << 19

EVENT_INTENTS: dict[str, int] = {
    "MESSAGE_CREATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_UPDATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_DELETE": INTENT_GUILD_MESSAGES,
    "GUILD_MEMBER_ADD": INTENT_GUILD_MEMBERS,
    "GUILD_MEMBER_REMOVE": INTENT_GUILD_MEMBERS,
    "GUILD_SCHEDULED_EVENT_CREATE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": INTENT_GUILD_SCHEDULED_EVENTS,
    **dict.fromkeys(
        ("AUTO_MODERATION_RULE_CREATE", "AUTO_MODERATION_RULE_UPDATE", "AUTO_MODERATION_RULE_DELETE"),
        INTENT_AUTO_MODERATION_CONFIGURATION,
    ),
}


class DiscordError(Exception):
    """An error response, in Discord's JSON shape."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors


def missing_access() -> DiscordError:
    return DiscordError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def invalid_form(field_name: str, message: str) -> DiscordError:
    return DiscordError(
        400,
        50035,
        "Invalid Form Body",
        {field_name: {"_errors": [{"code": "BASE_TYPE_INVALID", "message": message}]}},
    )


@dataclass
class Fault:
    """An injected failure for requests matching `method` and `path` (a regex on the API path)."""

    status: int
    times: int = 1
    method: str | None = None
    path: str | None = None
    retry_after: float = 0.05
    is_global: bool = False
    after: bool = False  # process the request first, then answer with the error (a lost reply)
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.times > 0
            and (self.method is None or self.method == method)
            and (self.path is None or re.search(self.path, path) is not None)
        )


@dataclass
class RequestRecord:
    method: str
    path: str
    body: Any
    at: float
    status: int = 0
    query: dict[str, str] = field(default_factory=dict)


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


class Connection:
    """One websocket, with an ordered writer so events arrive in sequence."""

    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.heartbeat_waiters: list[asyncio.Future[None]] = []
        self.session: Session | None = None
        self.writer = asyncio.create_task(self._write())

    async def _write(self) -> None:
        while True:
            item = await self.queue.get()
            if item is None:
                return
            if self.ws.closed:
                continue
            try:
                await self.ws.send_str(json.dumps(item))
            except (ConnectionError, RuntimeError):
                return

    def send(self, payload: dict[str, Any]) -> None:
        self.queue.put_nowait(payload)


@dataclass
class Session:
    id: str
    intents: int
    seq: int = 0
    buffer: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None
    identifies: int = 1
    resumes: int = 0
    shard: tuple[int, int] = (0, 1)  # [shard_id, num_shards] from IDENTIFY; RESUME keeps it

    def holds(self, guild_id: int | None) -> bool:
        """Whether Discord routes this guild's events to this session: `(guild_id >> 22) % num_shards`;
        events without a guild (and DMs) go to shard 0."""
        shard_id, count = self.shard
        return shard_of(guild_id, count) == shard_id


def shard_of(guild_id: int | None, num_shards: int) -> int:
    """The shard a guild lives on (Discord's formula); shard 0 for events without a guild."""
    return 0 if guild_id is None else (guild_id >> 22) % num_shards


Handler = Callable[["Request"], Awaitable[Any]]


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    authorized: bool


class LoopbackDiscord:
    """The fake Discord. Build the world with the helpers, then `await start()`."""

    def __init__(
        self,
        *,
        token: str = BOT_TOKEN,
        app_flags: int = 0,
        validate: bool = True,
        interaction_deadline: float = 3.0,
        nonce_window: float = 600.0,
        realistic_limits: bool = False,
        max_concurrency: int = 1,
        guilds_per_shard: int = 1000,
        max_guilds_per_shard: int = 2500,
    ) -> None:
        self.ids = Snowflakes()
        # Sharding, as Discord does it: GET /gateway/bot recommends one shard per `guilds_per_shard`
        # guilds, an IDENTIFY whose shard would hold more than `max_guilds_per_shard` is closed with
        # 4011, and bots below large-bot sharding get `max_concurrency` 1. Tests lower the first two
        # to spread a few guilds over several shards.
        self.max_concurrency = max_concurrency
        self.guilds_per_shard = guilds_per_shard
        self.max_guilds_per_shard = max_guilds_per_shard
        self.identifies: list[tuple[int, int]] = []  # [shard_id, num_shards] of each accepted IDENTIFY
        self.token = token
        self.app_flags = app_flags
        self.validate = validate
        self.interaction_deadline = interaction_deadline
        self.nonce_window = nonce_window
        # Discord's idea of "now" for time rules (events may not start in the past). The harness
        # points it at the bot's clock, so a test that travels in time moves Discord with it.
        self.clock: Callable[[], float] = time.time
        self.app_id = self.ids.next()
        self.bot_user = User(self.app_id, "Cliffhanger", bot=True)
        self.owner_user = User(self.ids.next(), "app-owner")
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        # Direct messages: DM channel id -> recipient user id; users who don't accept DMs from the bot.
        self.dm_channels: dict[int, int] = {}
        self.dms_closed: set[int] = set()
        self.global_commands: list[dict[str, Any]] = []
        self.guild_commands: dict[int, list[dict[str, Any]]] = {}
        self.command_puts = 0
        self.interactions: dict[str, Interaction] = {}
        self.requests: list[RequestRecord] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self.identify_count = 0
        self.nonce_hits = 0  # retries Discord answered with the message it already had
        self.resume_count = 0
        self.limits: DiscordLimits | None = DiscordLimits() if realistic_limits else None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []
        self._register_routes()
        automod.register(self)
        self._saved: tuple[str, yarl.URL] | None = None
        self._message_waiters: list[tuple[Callable[[Message], bool], asyncio.Future[Message]]] = []

    # ==========================================================================================
    # lifecycle
    # ==========================================================================================
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        for conn in list(self.connections):
            conn.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await conn.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def install(self) -> None:
        """Point discord.py at this loopback (class attributes, restored by `uninstall`)."""
        if self._saved is None:
            self._saved = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.base_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    def uninstall(self) -> None:
        if self._saved is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved
            self._saved = None

    # ==========================================================================================
    # building the world (test side); changes after connect are announced over the gateway
    # ==========================================================================================
    def add_user(self, name: str, *, bot: bool = False, id: int | None = None) -> User:
        user = User(id or self.ids.next(), name, bot=bot)
        self.users[user.id] = user
        return user

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

    def archive_thread(self, thread: Channel, *, locked: bool = False) -> None:
        thread.archived = True
        thread.locked = locked
        thread.archive_timestamp = iso()
        self.dispatch("THREAD_UPDATE", thread.to_dict(), guild_id=thread.guild_id)

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
        automod.check_member_message(self, guild, member, channel, content)  # DiscordError 200000
        return self._store_message(channel, member.user, {"content": content}, notify=True)

    def edit_as(self, message: Message, content: str) -> Message:
        """The author edits their own message (MESSAGE_UPDATE, as the spoiler guard sees it)."""
        guild, channel = self.guilds[message.guild_id or 0], self.channels[message.channel_id]
        automod.check_member_message(self, guild, guild.members[message.author.id], channel, content)
        return self._edit_message(message, {"content": content})

    # ==========================================================================================
    # gateway
    # ==========================================================================================
    def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None, only: Session | None = None
    ) -> None:
        """Send an event to every session of the shard holding `guild_id` (shard 0 for events
        without a guild, and DMs) whose intents cover it (buffered while disconnected). `only`
        limits it to one session (a new session streaming its own guilds)."""
        for session in [only] if only is not None else list(self.sessions.values()):
            if not session.holds(guild_id):
                continue
            needed = EVENT_INTENTS.get(
                event, INTENT_GUILDS if event not in ("INTERACTION_CREATE", "RESUMED") else 0
            )
            # Discord still tells the bot about its own member changes.
            own_member = event == "GUILD_MEMBER_UPDATE" and data.get("user", {}).get("id") == str(
                self.bot_user.id
            )
            if needed and not session.intents & needed and not own_member:
                continue
            payload = data
            if event in ("MESSAGE_CREATE", "MESSAGE_UPDATE") and not session.intents & INTENT_MESSAGE_CONTENT:
                payload = _strip_content(data, self.bot_user.id)
            session.seq += 1
            frame = {"op": 0, "t": event, "s": session.seq, "d": payload}
            session.buffer.append(frame)
            if len(session.buffer) > 10_000:
                del session.buffer[: len(session.buffer) - 10_000]
            if session.connection is not None:
                session.connection.send(frame)

    async def flush(self, timeout: float = 5.0) -> None:
        """Wait until the bot has read every event sent so far (a server-requested heartbeat
        is answered only after the events before it were processed)."""
        waiters = []
        for conn in self.connections:
            if conn.session is None or conn.ws.closed:
                continue
            fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            conn.heartbeat_waiters.append(fut)
            conn.send({"op": 1, "d": conn.session.seq})
            waiters.append(fut)
        if waiters:
            await asyncio.wait_for(asyncio.gather(*waiters), timeout)

    async def disconnect(self, *, code: int = 4000, shard_id: int | None = None) -> None:
        """Drop every gateway connection (or only those of shard `shard_id`); discord.py reconnects
        and RESUMEs."""
        for conn in list(self.connections):
            if shard_id is not None and (conn.session is None or conn.session.shard[0] != shard_id):
                continue
            with contextlib.suppress(Exception):
                await conn.ws.close(code=code, message=b"loopback disconnect")

    async def invalidate_sessions(self) -> None:
        """Forget every session and drop the connections; discord.py's RESUME fails and it re-IDENTIFYs."""
        self.sessions.clear()
        await self.disconnect(code=4000)

    def guild_id_on_shard(self, shard_id: int, num_shards: int) -> int:
        """A fresh guild snowflake that lands on `shard_id` of `num_shards` (ids are time-ordered, so
        this waits at most `num_shards` milliseconds)."""
        while True:
            guild_id = self.ids.next()
            if shard_of(guild_id, num_shards) == shard_id:
                return guild_id

    def connected(self) -> bool:
        return any(c.session is not None and not c.ws.closed for c in self.connections)

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=None, autoping=True, max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws)
        self.connections.append(conn)
        conn.send({"op": 10, "d": {"heartbeat_interval": 41250}, "s": None, "t": None})
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    continue
                payload = json.loads(msg.data)
                await self._gateway_op(conn, payload)
                if ws.closed:
                    break
        finally:
            if conn.session is not None and conn.session.connection is conn:
                conn.session.connection = None
            for fut in conn.heartbeat_waiters:
                if not fut.done():
                    fut.set_result(None)
            conn.queue.put_nowait(None)
            with contextlib.suppress(ValueError):
                self.connections.remove(conn)
        return ws

    async def _gateway_op(self, conn: Connection, payload: dict[str, Any]) -> None:
        op = payload.get("op")
        data = payload.get("d")
        if op == 1:  # heartbeat
            conn.send({"op": 11, "d": None, "s": None, "t": None})
            waiters, conn.heartbeat_waiters = conn.heartbeat_waiters, []
            for fut in waiters:
                if not fut.done():
                    fut.set_result(None)
        elif op == 2:  # identify
            await self._identify(conn, data or {})
        elif op == 6:  # resume
            await self._resume(conn, data or {})
        elif op in (3, 4, 8):  # presence, voice, request members: accepted, ignored
            return
        else:
            await conn.ws.close(code=4001, message=b"Unknown opcode")

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        if data.get("token") != self.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        for intent, flag in PRIVILEGED.items():
            limited = flag << 1 if intent != INTENT_MESSAGE_CONTENT else APP_FLAG_MESSAGE_CONTENT_LIMITED
            if intents & intent and not self.app_flags & (flag | limited):
                await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
                return
        shard = self._shard_of_identify(data.get("shard"))
        if shard is None:
            await conn.ws.close(code=4010, message=b"Invalid shard.")
            return
        held = [g for g in self.guilds if shard_of(g, shard[1]) == shard[0]]
        if len(held) > self.max_guilds_per_shard:
            await conn.ws.close(code=4011, message=b"Sharding required.")
            return
        self.identify_count += 1
        self.identifies.append(shard)
        session = Session(secrets.token_hex(16), intents, shard=shard)
        self.sessions[session.id] = session
        session.connection = conn
        conn.session = session
        session.seq += 1
        ready = {
            "v": 10,
            "user": {
                **self.bot_user.to_dict(),
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
                "bot": True,
            },
            "guilds": [{"id": str(g), "unavailable": True} for g in held],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": self.gateway_url,
            "shard": list(shard),
            "application": {"id": str(self.app_id), "flags": self.app_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
        }
        frame = {"op": 0, "t": "READY", "s": session.seq, "d": ready}
        session.buffer.append(frame)
        conn.send(frame)
        # Only this session streams its shard's guilds; other sessions already had theirs.
        with_members = bool(intents & INTENT_GUILD_MEMBERS)
        for guild_id in held:
            guild = self.guilds[guild_id]
            self.dispatch(
                "GUILD_CREATE",
                guild.create_payload(self.bot_user.id, with_members=with_members),
                guild_id=guild.id,
                only=session,
            )

    @staticmethod
    def _shard_of_identify(value: Any) -> tuple[int, int] | None:
        """IDENTIFY's `shard: [shard_id, num_shards]` ([0, 1] when absent), or None when invalid."""
        if value is None:
            return (0, 1)
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        ):
            return None
        shard_id, count = value
        if count < 1 or not 0 <= shard_id < count:
            return None
        return (shard_id, count)

    def recommended_shards(self) -> int:
        """GET /gateway/bot's `shards`: about one per `guilds_per_shard` guilds, at least one."""
        return max(1, math.ceil(len(self.guilds) / self.guilds_per_shard))

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(str(data.get("session_id")))
        if session is None or data.get("token") != self.token:
            conn.send({"op": 9, "d": False, "s": None, "t": None})
            return
        self.resume_count += 1
        session.resumes += 1
        if session.connection is not None and session.connection is not conn:
            with contextlib.suppress(Exception):
                await session.connection.ws.close(code=4000)
        session.connection = conn
        conn.session = session
        last = int(data.get("seq") or 0)
        for frame in session.buffer:
            if frame["s"] > last:
                conn.send(frame)
        session.seq += 1
        frame = {"op": 0, "t": "RESUMED", "s": session.seq, "d": {}}
        session.buffer.append(frame)
        conn.send(frame)

    # ==========================================================================================
    # REST plumbing
    # ==========================================================================================
    def route(self, method: str, template: str) -> Callable[[Handler], Handler]:
        pattern = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$")

        def decorator(func: Handler) -> Handler:
            self._routes.append((method, pattern, func))
            return func

        return decorator

    def inject(
        self,
        status: int,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        retry_after: float = 0.05,
        is_global: bool = False,
        after: bool = False,
    ) -> Fault:
        """Make the next `times` matching requests fail with `status`."""
        fault = Fault(status, times, method, path, retry_after, is_global, after)
        self.faults.append(fault)
        return fault

    def _take_fault(self, method: str, path: str, *, after: bool) -> Fault | None:
        for fault in self.faults:
            if fault.after == after and fault.matches(method, path):
                fault.times -= 1
                fault.hits += 1
                return fault
        return None

    async def _rest(self, request: web.Request) -> web.Response:
        path = "/" + request.match_info["tail"]
        method = request.method
        body: Any = None
        raw = await request.read()
        if raw:
            if request.content_type == "multipart/form-data":
                form = await request.post()
                payload_json = form.get("payload_json")
                body = json.loads(str(payload_json)) if payload_json is not None else None
            else:
                try:
                    body = json.loads(raw)
                except ValueError:
                    return self._error(DiscordError(400, 50109, "The request body contains invalid JSON."))
        record = RequestRecord(method, path, body, time.monotonic(), query=dict(request.query))
        self.requests.append(record)
        response = await self._handle(request, method, path, body)
        record.status = response.status
        return response

    async def _handle(self, request: web.Request, method: str, path: str, body: Any) -> web.Response:
        webhook_like = path.startswith(("/interactions/", "/webhooks/"))
        authorized = request.headers.get("Authorization") == f"Bot {self.token}"
        if not authorized and not webhook_like:
            return self._error(DiscordError(401, 0, "401: Unauthorized"))
        if self.limits is not None:
            refused = self.limits.admit(method, path)
            if refused is not None:
                return refused
        fault = self._take_fault(method, path, after=False)
        if fault is not None:
            return self._fault_response(fault)
        if self.validate and method in ("POST", "PUT", "PATCH"):
            problems = validate_body(method, path, body)
            if problems:
                for problem in problems:
                    self.violations.append(f"{method} {path}: {problem}")
                log.error("loopback refused %s %s: %s", method, path, problems)
                return self._error(DiscordError(400, 50035, "Invalid Form Body", {"_errors": problems}))
        for route_method, pattern, handler in self._routes:
            if route_method != method:
                continue
            match = pattern.match(path)
            if match is None:
                continue
            req = Request(method, path, match.groupdict(), dict(request.query), body, authorized)
            try:
                result = await handler(req)
            except DiscordError as exc:
                return self._error(exc)
            fault = self._take_fault(method, path, after=True)
            if fault is not None:
                return self._fault_response(fault)
            response = web.Response(status=204) if result is None else _json(result)
            if self.limits is not None:
                self.limits.decorate(method, path, response)
            return response
        self.violations.append(f"{method} {path}: the loopback does not implement this route")
        return self._error(DiscordError(404, 0, "404: Not Found"))

    @staticmethod
    def _error(exc: DiscordError) -> web.Response:
        data: dict[str, Any] = {"code": exc.code, "message": exc.message}
        if exc.errors:
            data["errors"] = exc.errors
        return _json(data, exc.status)

    @staticmethod
    def _fault_response(fault: Fault) -> web.Response:
        if fault.status == 429:
            data = {
                "message": "You are being rate limited.",
                "retry_after": fault.retry_after,
                "global": fault.is_global,
            }
            headers = {
                "Retry-After": str(max(1, round(fault.retry_after))),
                "Via": "1.1 google",
                "X-RateLimit-Scope": "global" if fault.is_global else "user",
            }
            if fault.is_global:
                headers["X-RateLimit-Global"] = "true"
            return _json(data, 429, headers)
        data = {"message": f"{fault.status}: injected fault", "code": 0}
        return _json(data, fault.status)

    # ==========================================================================================
    # lookups and checks
    # ==========================================================================================
    def _channel(self, channel_id: str | int) -> Channel:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def _guild(self, guild_id: str | int) -> Guild:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild

    def _message(self, channel: Channel, message_id: str | int) -> Message:
        message = self.messages.get(int(message_id))
        if message is None or message.channel_id != channel.id or message.deleted or message.ephemeral_for:
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    def _bot_perms(self, channel: Channel) -> int:
        return self.guilds[channel.guild_id].permissions_in(self.bot_user.id, channel)

    def _require(self, channel: Channel, *bits: int) -> None:
        have = self._bot_perms(channel)
        if not have & P.VIEW_CHANNEL:
            raise missing_access()
        for bit in bits:
            if not have & bit:
                raise missing_permissions()

    def _require_guild(self, guild: Guild, bit: int) -> None:
        if not guild.base_permissions(self.bot_user.id) & bit:
            raise missing_permissions()

    # ==========================================================================================
    # messages
    # ==========================================================================================
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

    async def wait_for_message(self, predicate: Callable[[Message], bool], timeout: float = 5.0) -> Message:
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

    def requests_to(self, method: str, pattern: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]

    # ==========================================================================================
    # routes
    # ==========================================================================================
    def _register_routes(self) -> None:
        r = self.route

        @r("GET", "/users/@me")
        async def me(req: Request) -> Any:
            return {
                **self.bot_user.to_dict(),
                "verified": True,
                "mfa_enabled": False,
                "flags": 0,
                "bot": True,
            }

        @r("GET", "/oauth2/applications/@me")
        async def application(req: Request) -> Any:
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

        @r("GET", "/gateway")
        async def gateway(req: Request) -> Any:
            return {"url": self.gateway_url}

        @r("GET", "/gateway/bot")
        async def gateway_bot(req: Request) -> Any:
            return {
                "url": self.gateway_url,
                "shards": self.recommended_shards(),
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 999,
                    "reset_after": 0,
                    "max_concurrency": self.max_concurrency,
                },
            }

        # -- application commands ----------------------------------------------------------------
        def store_commands(body: list[dict[str, Any]], guild_id: int | None) -> list[dict[str, Any]]:
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

        @r("PUT", "/applications/{app}/commands")
        async def put_global(req: Request) -> Any:
            return store_commands(req.body or [], None)

        @r("GET", "/applications/{app}/commands")
        async def get_global(req: Request) -> Any:
            return self.global_commands

        @r("PUT", "/applications/{app}/guilds/{guild}/commands")
        async def put_guild(req: Request) -> Any:
            guild = self._guild(req.params["guild"])
            return store_commands(req.body or [], guild.id)

        @r("GET", "/applications/{app}/guilds/{guild}/commands")
        async def get_guild_cmds(req: Request) -> Any:
            return self.guild_commands.get(int(req.params["guild"]), [])

        # -- interactions ------------------------------------------------------------------------
        @r("POST", "/interactions/{id}/{token}/callback")
        async def callback(req: Request) -> Any:
            return await self._interaction_callback(req)

        def interaction_for(token: str, app: str) -> Interaction:
            inter = self.interactions.get(token)
            if inter is None or int(app) != self.app_id:
                raise DiscordError(404, 10015, "Unknown Webhook")
            if time.monotonic() - inter.created > 15 * 60:
                raise DiscordError(401, 50027, "Invalid Webhook Token")
            return inter

        def original_of(inter: Interaction) -> Message:
            if inter.response_type in (6, 7) and inter.message_id:
                message = self.messages.get(inter.message_id)
                if message is not None:
                    return message
            if inter.original is None:
                raise DiscordError(404, 10008, "Unknown Message")
            return inter.original

        @r("POST", "/webhooks/{app}/{token}")
        async def followup(req: Request) -> Any:
            inter = interaction_for(req.params["token"], req.params["app"])
            if inter.response_type is None:
                raise DiscordError(404, 10015, "Unknown Webhook")
            body = req.body or {}
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

        @r("GET", "/webhooks/{app}/{token}/messages/{message}")
        async def get_webhook_message(req: Request) -> Any:
            inter = interaction_for(req.params["token"], req.params["app"])
            return self._webhook_message(inter, req.params["message"], original_of).to_dict()

        @r("PATCH", "/webhooks/{app}/{token}/messages/{message}")
        async def edit_webhook_message(req: Request) -> Any:
            inter = interaction_for(req.params["token"], req.params["app"])
            message = self._webhook_message(inter, req.params["message"], original_of)
            self._edit_message(message, req.body or {})
            inter.changed.set()
            return message.to_dict()

        @r("DELETE", "/webhooks/{app}/{token}/messages/{message}")
        async def delete_webhook_message(req: Request) -> Any:
            inter = interaction_for(req.params["token"], req.params["app"])
            message = self._webhook_message(inter, req.params["message"], original_of)
            self._delete_message(message)
            inter.changed.set()
            return None

        # -- channels ----------------------------------------------------------------------------
        @r("GET", "/channels/{channel}")
        async def get_channel(req: Request) -> Any:
            channel = self._channel(req.params["channel"])
            self._require(channel)
            return channel.to_dict()

        @r("PATCH", "/channels/{channel}")
        async def edit_channel(req: Request) -> Any:
            return self._edit_channel(self._channel(req.params["channel"]), req.body or {})

        @r("DELETE", "/channels/{channel}")
        async def delete_channel(req: Request) -> Any:
            channel = self._channel(req.params["channel"])
            self._require(channel, P.MANAGE_THREADS if channel.is_thread else P.MANAGE_CHANNELS)
            data = channel.to_dict()
            self.delete_channel(channel)
            return data

        @r("GET", "/channels/{channel}/messages")
        async def history(req: Request) -> Any:
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

        @r("POST", "/users/@me/channels")
        async def open_dm(req: Request) -> Any:
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

        @r("POST", "/channels/{channel}/messages")
        async def create_message(req: Request) -> Any:
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
            if not (
                body.get("content") or body.get("embeds") or body.get("components") or body.get("sticker_ids")
            ):
                raise DiscordError(400, 50006, "Cannot send an empty message")
            nonce = body.get("nonce")
            if nonce is not None and body.get("enforce_nonce"):
                key = (channel.id, self.bot_user.id, str(nonce))
                seen = self.nonces.get(key)
                if seen is not None and time.monotonic() - seen[1] < self.nonce_window:
                    existing = self.messages.get(seen[0])
                    if existing is not None:
                        self.nonce_hits += 1
                        return existing.to_dict()
            self._unarchive_for_send(channel)
            message = self._store_message(channel, self.bot_user, body)
            if nonce is not None and body.get("enforce_nonce"):
                self.nonces[(channel.id, self.bot_user.id, str(nonce))] = (message.id, time.monotonic())
            return message.to_dict()

        @r("GET", "/channels/{channel}/messages/{message}")
        async def get_message(req: Request) -> Any:
            channel = self._channel(req.params["channel"])
            self._require(channel, P.READ_MESSAGE_HISTORY)
            return self._message(channel, req.params["message"]).to_dict()

        @r("PATCH", "/channels/{channel}/messages/{message}")
        async def edit_message(req: Request) -> Any:
            channel = self._channel(req.params["channel"])
            self._require(channel)
            message = self._message(channel, req.params["message"])
            if message.author.id != self.bot_user.id or message.webhook_id is not None:
                raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
            if channel.is_thread and channel.archived:
                raise DiscordError(400, 50083, "Thread is archived")
            return self._edit_message(message, req.body or {}).to_dict()

        @r("DELETE", "/channels/{channel}/messages/{message}")
        async def delete_message(req: Request) -> Any:
            channel = self._channel(req.params["channel"])
            message = self._message(channel, req.params["message"])
            if message.author.id != self.bot_user.id:
                self._require(channel, P.MANAGE_MESSAGES)
            self._delete_message(message)
            return None

        @r("POST", "/channels/{channel}/threads")
        async def create_thread(req: Request) -> Any:
            return self._create_thread(self._channel(req.params["channel"]), req.body or {}, None)

        @r("POST", "/channels/{channel}/messages/{message}/threads")
        async def thread_from_message(req: Request) -> Any:
            channel = self._channel(req.params["channel"])
            message = self._message(channel, req.params["message"])
            return self._create_thread(channel, req.body or {}, message)

        @r("PUT", "/channels/{channel}/thread-members/@me")
        async def join_thread(req: Request) -> Any:
            thread = self._channel(req.params["channel"])
            self._require(thread)
            thread.member_ids.add(self.bot_user.id)
            return None

        # -- guilds ------------------------------------------------------------------------------
        @r("GET", "/guilds/{guild}")
        async def get_guild(req: Request) -> Any:
            return self._guild(req.params["guild"]).to_dict()

        @r("GET", "/guilds/{guild}/channels")
        async def get_channels(req: Request) -> Any:
            guild = self._guild(req.params["guild"])
            return [c.to_dict() for c in guild.channels.values() if not c.is_thread]

        @r("GET", "/guilds/{guild}/roles")
        async def get_roles(req: Request) -> Any:
            return [role.to_dict() for role in self._guild(req.params["guild"]).roles.values()]

        @r("GET", "/guilds/{guild}/members/{user}")
        async def get_member(req: Request) -> Any:
            guild = self._guild(req.params["guild"])
            member = guild.members.get(int(req.params["user"]))
            if member is None:
                raise DiscordError(404, 10007, "Unknown Member")
            return member.to_dict()

        @r("POST", "/guilds/{guild}/roles")
        async def create_role(req: Request) -> Any:
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

        @r("DELETE", "/guilds/{guild}/roles/{role}")
        async def delete_role(req: Request) -> Any:
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

        @r("PUT", "/guilds/{guild}/members/{user}/roles/{role}")
        async def add_member_role(req: Request) -> Any:
            guild = self._guild(req.params["guild"])
            role = self._role_for_change(guild, req.params["role"])
            member = guild.members.get(int(req.params["user"]))
            if member is None:
                raise DiscordError(404, 10007, "Unknown Member")
            if role.id not in member.role_ids:
                member.role_ids.append(role.id)
                self._member_updated(guild, member)
            return None

        @r("DELETE", "/guilds/{guild}/members/{user}/roles/{role}")
        async def remove_member_role(req: Request) -> Any:
            guild = self._guild(req.params["guild"])
            role = self._role_for_change(guild, req.params["role"])
            member = guild.members.get(int(req.params["user"]))
            if member is None:
                raise DiscordError(404, 10007, "Unknown Member")
            if role.id in member.role_ids:
                member.role_ids.remove(role.id)
                self._member_updated(guild, member)
            return None

        # -- scheduled events --------------------------------------------------------------------
        @r("GET", "/guilds/{guild}/scheduled-events")
        async def list_events(req: Request) -> Any:
            return [e.to_dict() for e in self._guild(req.params["guild"]).events.values()]

        @r("POST", "/guilds/{guild}/scheduled-events")
        async def create_event(req: Request) -> Any:
            guild = self._guild(req.params["guild"])
            self._require_events(guild)
            body = req.body or {}
            _check_event(body, creating=True, now=self.clock())
            event = ScheduledEvent(
                self.ids.next(),
                guild.id,
                body["name"],
                body["scheduled_start_time"],
                body.get("scheduled_end_time"),
                int(body["entity_type"]),
                privacy_level=int(body.get("privacy_level", 2)),
                description=body.get("description"),
                channel_id=int(body["channel_id"]) if body.get("channel_id") else None,
                location=(body.get("entity_metadata") or {}).get("location"),
                creator_id=self.bot_user.id,
            )
            guild.events[event.id] = event
            self.dispatch("GUILD_SCHEDULED_EVENT_CREATE", event.to_dict(), guild_id=guild.id)
            return event.to_dict()

        @r("GET", "/guilds/{guild}/scheduled-events/{event}")
        async def get_event(req: Request) -> Any:
            return self._event(req.params["guild"], req.params["event"]).to_dict()

        @r("PATCH", "/guilds/{guild}/scheduled-events/{event}")
        async def edit_event(req: Request) -> Any:
            guild = self._guild(req.params["guild"])
            self._require_events(guild)
            event = self._event(req.params["guild"], req.params["event"])
            body = req.body or {}
            _check_event({**event.to_dict(), **body}, creating=False, now=self.clock())
            for key in ("name", "description", "scheduled_start_time", "scheduled_end_time"):
                if key in body:
                    setattr(event, key, body[key])
            if "status" in body:
                event.status = int(body["status"])
            if body.get("entity_metadata"):
                event.location = body["entity_metadata"].get("location")
            self.dispatch("GUILD_SCHEDULED_EVENT_UPDATE", event.to_dict(), guild_id=guild.id)
            return event.to_dict()

        @r("DELETE", "/guilds/{guild}/scheduled-events/{event}")
        async def delete_event(req: Request) -> Any:
            guild = self._guild(req.params["guild"])
            self._require_events(guild)
            event = self._event(req.params["guild"], req.params["event"])
            del guild.events[event.id]
            self.dispatch("GUILD_SCHEDULED_EVENT_DELETE", event.to_dict(), guild_id=guild.id)
            return None

    # -- route helpers --------------------------------------------------------------------------
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

    def _require_events(self, guild: Guild) -> None:
        have = guild.base_permissions(self.bot_user.id)
        if not have & (P.MANAGE_EVENTS | P.CREATE_EVENTS):
            raise missing_permissions()

    def _event(self, guild_id: str, event_id: str) -> ScheduledEvent:
        event = self._guild(guild_id).events.get(int(event_id))
        if event is None:
            raise DiscordError(404, 10070, "Unknown Guild Scheduled Event")
        return event

    def _create_thread(self, parent: Channel, body: dict[str, Any], message: Message | None) -> Any:
        name = body.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            raise invalid_form("name", "Must be between 1 and 100 in length.")
        guild = self.guilds[parent.guild_id]
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
            self._require(parent, P.CREATE_PUBLIC_THREADS if thread_type != ChannelType.PRIVATE_THREAD else 0)
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

    def _edit_channel(self, channel: Channel, body: dict[str, Any]) -> Any:
        if channel.is_thread:
            have = self._bot_perms(channel)
            if not have & P.VIEW_CHANNEL:
                raise missing_access()
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

    # ==========================================================================================
    # interactions
    # ==========================================================================================
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
        self.dispatch("INTERACTION_CREATE", payload, guild_id=guild.id)
        asyncio.get_running_loop().call_later(self.interaction_deadline, self._expire, inter)
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


BOT_DEFAULT_PERMISSIONS = INVITE_PERMISSIONS.value  # the bot joined through the README's invite link

P_USER = re.compile(r"<@!?(\d+)>")
P_ROLE = re.compile(r"<@&(\d+)>")
P_EVERYONE = re.compile(r"@(everyone|here)")


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py parses a body only when Content-Type is exactly application/json."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={**(headers or {}), "Content-Type": JSON}
    )


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


def _member_or_none(lb: LoopbackDiscord, channel: Channel, author: User) -> dict[str, Any] | None:
    guild = lb.guilds.get(channel.guild_id)
    member = guild.members.get(author.id) if guild else None
    return member.to_dict(with_user=False) if member else None


def _strip_content(data: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """Without the Message Content intent, other people's messages arrive without their content."""
    author = (data.get("author") or {}).get("id")
    mentions = {m.get("id") for m in data.get("mentions") or []}
    if author == str(bot_id) or str(bot_id) in mentions:
        return data
    return {**data, "content": "", "embeds": [], "attachments": [], "components": []}


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


def _check_event(body: dict[str, Any], *, creating: bool, now: float) -> None:
    import datetime as dt

    name = body.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise invalid_form("name", "Must be between 1 and 100 in length.")
    if int(body.get("entity_type") or 0) == 3:
        if not (body.get("entity_metadata") or {}).get("location"):
            raise invalid_form("entity_metadata", "An external event needs a location.")
        if not body.get("scheduled_end_time"):
            raise invalid_form("scheduled_end_time", "An external event needs an end time.")
    start = dt.datetime.fromisoformat(str(body["scheduled_start_time"]))
    if creating and start.timestamp() <= now:
        raise invalid_form("scheduled_start_time", "Cannot schedule event in the past.")
    end = body.get("scheduled_end_time")
    if end and dt.datetime.fromisoformat(str(end)) <= start:
        raise invalid_form("scheduled_end_time", "The end must be after the start.")


@contextlib.asynccontextmanager
async def running(lb: LoopbackDiscord) -> AsyncIterator[LoopbackDiscord]:
    """Serve `lb` on 127.0.0.1 and point discord.py at it for the block."""
    await lb.start()
    lb.install()
    try:
        yield lb
    finally:
        lb.uninstall()
        await lb.stop()
