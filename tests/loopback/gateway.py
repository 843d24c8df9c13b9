"""The gateway: sessions, IDENTIFY and RESUME, sharding, and every event sent to the bot."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from .core import (
    LoopbackCore,
    Request,
    route,
)

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
    "GUILD_MEMBER_UPDATE": INTENT_GUILD_MEMBERS,  # the bot's own member updates come regardless
    "GUILD_SCHEDULED_EVENT_CREATE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_UPDATE": INTENT_GUILD_SCHEDULED_EVENTS,
    "GUILD_SCHEDULED_EVENT_DELETE": INTENT_GUILD_SCHEDULED_EVENTS,
    **dict.fromkeys(
        ("AUTO_MODERATION_RULE_CREATE", "AUTO_MODERATION_RULE_UPDATE", "AUTO_MODERATION_RULE_DELETE"),
        INTENT_AUTO_MODERATION_CONFIGURATION,
    ),
}


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


class Gateway(LoopbackCore):
    """The websocket the bot connects to, and `dispatch`, which every resource uses to send events."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.sessions: dict[str, Session] = {}
        self.connections: list[Connection] = []
        self.identifies: list[tuple[int, int]] = []  # [shard_id, num_shards] of each accepted IDENTIFY
        self.identified_at: list[float] = []  # when each of them arrived (time.monotonic)
        self.identify_count = 0
        self.resume_count = 0
        self.member_requests: list[dict[str, Any]] = []  # REQUEST_GUILD_MEMBERS payloads received

    async def stop(self) -> None:
        for conn in list(self.connections):
            conn.queue.put_nowait(None)
            with contextlib.suppress(Exception):
                await conn.ws.close()
        await super().stop()

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

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
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
        elif op == 8:  # request guild members (chunking): recorded, answered with nothing
            self.member_requests.append(data or {})
        elif op in (3, 4):  # presence, voice: accepted, ignored
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
        self.identified_at.append(time.monotonic())
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

    @route("GET", "/gateway")
    async def handle_gateway(self, req: Request) -> Any:
        return {"url": self.gateway_url}

    @route("GET", "/gateway/bot")
    async def handle_gateway_bot(self, req: Request) -> Any:
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


def _strip_content(data: dict[str, Any], bot_id: int) -> dict[str, Any]:
    """Without the Message Content intent, other people's messages arrive without their content."""
    author = (data.get("author") or {}).get("id")
    mentions = {m.get("id") for m in data.get("mentions") or []}
    if author == str(bot_id) or str(bot_id) in mentions:
        return data
    return {**data, "content": "", "embeds": [], "attachments": [], "components": []}
