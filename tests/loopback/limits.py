"""Discord's real rate limits, for the loopback's realistic mode: enforced, advertised and counted.

- Global: 50 requests per second per bot (interaction callbacks and interaction webhooks are exempt),
  answered with a global 429 and `retry_after`.
- Per channel: 5 message creates per 5 seconds, and 5 message edits per 5 seconds, advertised with
  Discord's X-RateLimit-* headers so discord.py can pace itself, and answered with a 429 when exceeded.
- Per parent channel: 5 thread creates (a thread, or a forum post) per 5 seconds, advertised and
  answered the same way. Assumed: Discord publishes no figure for creating threads, so this takes the
  message creates' (a forum post is a message too).

The cap on edits of messages older than an hour (error 30046) is not here: it is always on, in
messages.py, because no test would otherwise meet it.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, deque
from dataclasses import dataclass, field

from aiohttp import web

_CREATE = re.compile(r"^/channels/(\d+)/messages$")
_EDIT = re.compile(r"^/channels/(\d+)/messages/(\d+)$")
_THREAD = re.compile(r"^/channels/(\d+)/threads$")
_EXEMPT = re.compile(r"^/(interactions|webhooks)/")


@dataclass
class Bucket:
    limit: int
    period: float
    count: int = 0
    reset_at: float = 0.0

    def take(self, now: float) -> float | None:
        """Count one request; return None if allowed, else how long until the bucket resets."""
        if now >= self.reset_at:
            self.count, self.reset_at = 0, now + self.period
        if self.count >= self.limit:
            return self.reset_at - now
        self.count += 1
        return None


@dataclass
class DiscordLimits:
    global_per_second: int = 50
    channel_limit: int = 5
    channel_period: float = 5.0
    refused: Counter[str] = field(default_factory=Counter)
    admitted: int = 0
    _recent: deque[float] = field(default_factory=deque)
    _buckets: dict[tuple[str, int], Bucket] = field(default_factory=dict)

    def admit(self, method: str, path: str) -> web.Response | None:
        """None to let the request through, or the 429 Discord would send."""
        if _EXEMPT.match(path):
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.global_per_second:
            self.refused["global"] += 1
            return _too_many(1.0 - (now - self._recent[0]), scope="global")
        bucket = self._bucket(method, path)
        if bucket is not None:
            kind, b = bucket
            wait = b.take(now)
            if wait is not None:
                self.refused[kind] += 1
                return _too_many(wait, scope="user", bucket=b, name=kind)
        self._recent.append(now)
        self.admitted += 1
        return None

    def decorate(self, method: str, path: str, response: web.StreamResponse) -> None:
        """Advertise the per-channel bucket the way Discord does."""
        bucket = self._bucket(method, path)
        if bucket is None:
            return
        kind, b = bucket
        response.headers.update(_bucket_headers(b, kind, time.monotonic()))

    def _bucket(self, method: str, path: str) -> tuple[str, Bucket] | None:
        if method == "POST" and _CREATE.match(path):
            kind = "channel"
        elif method == "PATCH" and _EDIT.match(path):
            kind = "edit"
        elif method == "POST" and _THREAD.match(path):
            kind = "thread"
        else:
            return None
        key = (kind, _channel(path))
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = Bucket(self.channel_limit, self.channel_period)
        return kind, bucket


def _channel(path: str) -> int:
    return int(path.split("/")[2])


def _bucket_headers(bucket: Bucket, name: str, now: float) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(bucket.limit),
        "X-RateLimit-Remaining": str(max(0, bucket.limit - bucket.count)),
        "X-RateLimit-Reset-After": f"{max(0.0, bucket.reset_at - now):.3f}",
        "X-RateLimit-Reset": f"{time.time() + max(0.0, bucket.reset_at - now):.3f}",
        "X-RateLimit-Bucket": f"loopback-{name}",
    }


def _too_many(
    retry_after: float, *, scope: str, bucket: Bucket | None = None, name: str = ""
) -> web.Response:
    retry_after = max(0.001, retry_after)
    body = {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": scope == "global",
    }
    headers = {
        "Content-Type": "application/json",
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Scope": scope,
        "Via": "1.1 google",
    }
    if scope == "global":
        headers["X-RateLimit-Global"] = "true"
    elif bucket is not None:
        headers.update(_bucket_headers(bucket, name, time.monotonic()))
    return web.Response(body=json.dumps(body).encode(), status=429, headers=headers)
