"""The loopback Discord's core: the world every resource shares, the REST plumbing, and route collection.

Each Discord resource lives in a module of its own (gateway, guilds, channels, messages, threads,
interactions, commands, events) as a mixin of `LoopbackCore`. A mixin registers its endpoints by
decorating methods with `@route(method, template)`; `LoopbackCore` collects every decorated method
of the assembled class (see server.py), so adding an endpoint touches only its resource's module.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import discord.gateway
import discord.http
import yarl
from aiohttp import web

from . import permissions as P
from .limits import DiscordLimits
from .spec import validate_body
from .state import (
    Channel,
    Guild,
    Snowflakes,
    User,
)

log = logging.getLogger(__name__)

JSON = "application/json"
BOT_TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.GabcDE.loopback-token-abcdefghijklmnopqrstuvwxyz0123"


class DiscordError(Exception):
    """An error response, in Discord's JSON shape."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message, self.errors = status, code, message, errors


def missing_access() -> DiscordError:
    return DiscordError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def thread_locked() -> DiscordError:
    """Sending, editing, renaming or retagging in a locked thread without Manage Threads."""
    return DiscordError(400, 160005, "Thread is locked")


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


Handler = Callable[["Request"], Awaitable[Any]]


@dataclass
class Request:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    authorized: bool


def route(method: str, template: str) -> Callable[[Any], Any]:
    """Mark a resource method as the handler of `method template` (`{name}` matches one path part)."""

    def decorator(func: Any) -> Any:
        func.__loopback_route__ = (method, template)
        return func

    return decorator


class LoopbackCore:
    """State every resource shares (ids, users, guilds, channels), serving, and request handling."""

    def __init__(
        self,
        *,
        token: str = BOT_TOKEN,
        app_flags: int = 0,
        validate: bool = True,
        interaction_deadline: float = 3.0,
        nonce_window: float = 120.0,
        realistic_limits: bool = False,
        max_concurrency: int = 1,
        guilds_per_shard: int = 1000,
        max_guilds_per_shard: int = 2500,
    ) -> None:
        self.ids = Snowflakes(self.now)
        # Sharding, as Discord does it: GET /gateway/bot recommends one shard per `guilds_per_shard`
        # guilds, an IDENTIFY whose shard would hold more than `max_guilds_per_shard` is closed with
        # 4011, and bots below large-bot sharding get `max_concurrency` 1. Tests lower the first two
        # to spread a few guilds over several shards.
        self.max_concurrency = max_concurrency
        self.guilds_per_shard = guilds_per_shard
        self.max_guilds_per_shard = max_guilds_per_shard
        self.token = token
        self.app_flags = app_flags
        self.validate = validate
        self.interaction_deadline = interaction_deadline
        # Discord drops a repeated nonce (with enforce_nonce) only "for the past few minutes": how many
        # is not published. Seconds on Discord's clock (`clock`), so a test's jump in time passes it.
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
        self.requests: list[RequestRecord] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        # Latency mode: each REST request takes a round trip of `latency` seconds (low, high), drawn
        # uniformly: half on the way in, half on the way back, as over the internet; and an
        # interaction reaches the bot half a round trip after Discord made it (its 3 s deadline starts
        # at Discord). None: answers in microseconds, as a loopback does.
        self.latency: tuple[float, float] | None = None
        self.rng = random.Random(17)
        self.limits: DiscordLimits | None = DiscordLimits() if realistic_limits else None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._routes = self._collect_routes()
        self._saved: tuple[str, yarl.URL] | None = None

    def _collect_routes(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        """Every `@route` method of this class and its mixins; two mixins claiming one route is a bug."""
        found: dict[tuple[str, str], Handler] = {}
        for klass in reversed(type(self).__mro__):
            for name, attr in vars(klass).items():
                marked = getattr(attr, "__loopback_route__", None)
                if marked is None:
                    continue
                if marked in found and getattr(found[marked], "__name__", None) != name:
                    raise RuntimeError(f"two loopback handlers for {marked[0]} {marked[1]}")
                found[marked] = getattr(self, name)
        return [
            (method, re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template) + "$"), handler)
            for (method, template), handler in found.items()
        ]

    def now(self) -> float:
        """Discord's time: `clock`, which a test may point elsewhere after construction."""
        return self.clock()

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
        app.router.add_get("/gateway", self._websocket)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._rest)
        self._runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
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

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        raise NotImplementedError  # the gateway mixin serves it

    def dispatch(
        self, event: str, data: dict[str, Any], *, guild_id: int | None = None, only: Any = None
    ) -> None:
        raise NotImplementedError  # the gateway mixin sends events

    def add_user(self, name: str, *, bot: bool = False, id: int | None = None) -> User:
        user = User(id or self.ids.next(), name, bot=bot)
        self.users[user.id] = user
        return user

    # ==========================================================================================
    # REST plumbing
    # ==========================================================================================
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

    def one_way(self) -> float:
        """Half a round trip in latency mode (0 without)."""
        return self.rng.uniform(*self.latency) / 2 if self.latency else 0.0

    async def _rest(self, request: web.Request) -> web.Response:
        delay = self.one_way()
        if delay:
            await asyncio.sleep(delay)  # the request on its way to Discord
        response = await self._rest_now(request)
        delay = self.one_way()
        if delay:
            await asyncio.sleep(delay)  # and the answer on its way back
        return response

    async def _rest_now(self, request: web.Request) -> web.Response:
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

    def requests_to(self, method: str, pattern: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.method == method and re.search(pattern, r.path)]


def _json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """discord.py parses a body only when Content-Type is exactly application/json."""
    return web.Response(
        body=json.dumps(data).encode(), status=status, headers={**(headers or {}), "Content-Type": JSON}
    )
