"""Durable timers: one task sleeps until the earliest pending row, claims what is due and runs it.

The database is the truth. A job goes pending -> sending (claimed atomically) -> sent, skipped or
failed, each with a recorded reason. Handlers are registered per kind by the cog that owns them and
post with `send_once`: the job's nonce makes Discord drop a retry that comes within its nonce window,
and past that window, a retry after an attempt that may have reached Discord (a 5xx, a timeout, a
crash mid-send) first looks for that attempt's message by the job's invisible marker. Nothing is
deleted; nothing is dropped without a reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp
import discord

from .db import StorageError
from .db.jobs import Job, JobState, JobStore, NewJob

__all__ = [
    "NONCE_WINDOW",
    "Clock",
    "Handler",
    "JobFailed",
    "JobRetry",
    "JobSkipped",
    "Scheduler",
    "SystemClock",
    "guild_for",
    "job_marker",
    "send_once",
]

log = logging.getLogger(__name__)

Handler = Callable[[Job], Awaitable[str | None]]

MAX_SLEEP = 86_400.0  # asyncio sleeps of weeks drift; wake at least daily and look again
DEFAULT_MAX_ATTEMPTS = 8
BACKOFF_BASE = 5  # seconds; doubled per attempt
BACKOFF_CAP = 900
GUILD_RETRY = 60.0  # seconds: a server that is briefly unavailable (an outage) comes back
# Discord drops a repeated nonce only "for the past few minutes" and does not say how many. A retry
# later than this after an attempt that may have reached Discord looks for that attempt's message
# before posting again (assumed short: a needless look costs one read of recent messages).
NONCE_WINDOW = 60.0
LOOK_BACK = 50  # recent messages read when looking for an earlier attempt
# The marker: the job's nonce in zero-width characters (0 and 1) between two invisible separators.
_ZERO, _ONE, _EDGE = "\u200b", "\u200c", "\u2063"


class Clock(Protocol):
    """Where the scheduler gets time from; tests substitute a manual clock."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class JobSkipped(Exception):
    """Raised by a handler when the job no longer applies (its countdown was deleted, say)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobFailed(Exception):
    """Raised by a handler when retrying cannot help (a deleted channel, a removed permission)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class JobRetry(Exception):
    """Raised by a handler for a transient failure; the job runs again after a backoff."""

    def __init__(self, reason: str, *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def guild_for(client: discord.Client, job: Job) -> discord.Guild:
    """The server a job posts in, from the guild cache; JobRetry while it is unavailable. (A job
    whose shard is re-IDENTIFYING goes again at that shard's READY: see Scheduler._retry.)"""
    guild = client.get_guild(job.guild_id)
    if guild is None or guild.unavailable:
        raise JobRetry("the server is unavailable (or I was removed from it)", retry_after=GUILD_RETRY)
    return guild


def describe_http_error(exc: discord.HTTPException) -> str:
    """A short, log-safe reason for a failed Discord request, e.g. '403 Missing Permissions (50013)'."""
    text = exc.text or exc.response.reason or "error"
    return f"{exc.status} {text} ({exc.code})" if exc.code else f"{exc.status} {text}"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a handler's exception means for its job."""

    state: Literal["skipped", "failed"] = "failed"
    reason: str = ""
    retry: bool = False
    retry_after: float | None = None
    incident: bool = False
    unsure: bool = False  # the attempt may have reached Discord (its answer never came back)


def classify_failure(exc: Exception) -> Outcome:
    """Transient errors retry with backoff; refusals fail with Discord's reason; bugs get an incident id."""
    if isinstance(exc, JobSkipped):
        return Outcome("skipped", exc.reason)
    if isinstance(exc, JobFailed):
        return Outcome("failed", exc.reason)
    if isinstance(exc, JobRetry):
        return Outcome(reason=exc.reason, retry=True, retry_after=exc.retry_after)
    if isinstance(exc, discord.RateLimited):
        return Outcome(
            reason=f"rate limited for {exc.retry_after:.1f} s", retry=True, retry_after=exc.retry_after
        )
    if isinstance(exc, discord.HTTPException):
        server_error = isinstance(exc, discord.DiscordServerError)
        transient = server_error or exc.status == 429
        return Outcome(reason=describe_http_error(exc), retry=transient, unsure=server_error)
    if isinstance(exc, aiohttp.ClientError | TimeoutError | OSError):
        return Outcome(reason=f"network error: {type(exc).__name__}", retry=True, unsure=True)
    if isinstance(exc, StorageError) and exc.transient:
        return Outcome(reason=f"database: {exc.problem}", retry=True)
    return Outcome(reason=f"internal error, incident {secrets.token_hex(4)}", incident=True)


class Scheduler:
    """The one dispatcher. Start it in setup_hook, stop it in close()."""

    def __init__(
        self,
        store: JobStore,
        *,
        clock: Clock | None = None,
        max_in_flight: int = 50,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        gate: Callable[[], Awaitable[object]] | None = None,
        max_sleep: float = MAX_SLEEP,
    ) -> None:
        self.store = store
        self.max_sleep = max_sleep  # the longest it sleeps without looking at the table again
        self.gate = gate  # awaited before the first claim
        self.clock: Clock = clock or SystemClock()
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self._handlers: dict[str, Handler] = {}
        self._skip_listeners: dict[str, Callable[[Job], Awaitable[None]]] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._in_flight: set[asyncio.Task[None]] = set()
        self._slot_freed = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._asleep_at: float | None = None  # clock time of the last look that found nothing due
        self._running: dict[asyncio.Future[None], int] = {}  # job tasks -> the id of the row they send
        # A claim whose commit reached the database but whose answer was lost (the connection broke)
        # leaves rows in 'sending' that no task runs. After such a failure, and after a reconnection,
        # the next good tick puts them back to pending (they keep their nonce).
        self._orphans_possible = False
        self._looked = asyncio.Event()  # set when the loop falls asleep or a job finishes

    # -- registration --------------------------------------------------------------------------
    def register(self, kind: str, handler: Handler) -> None:
        """Route due jobs of `kind` to `handler`. One handler per kind."""
        if kind in self._handlers and self._handlers[kind] is not handler:
            raise ValueError(f"a handler for job kind {kind!r} is already registered")
        self._handlers[kind] = handler

    def unregister(self, kind: str) -> None:
        self._handlers.pop(kind, None)

    def on_skipped(self, kind: str, listener: Callable[[Job], Awaitable[None]]) -> None:
        """Be told when the scheduler itself skips a job of `kind` (superseded or expired)."""
        self._skip_listeners[kind] = listener

    # -- writing -------------------------------------------------------------------------------
    async def schedule(self, jobs: Iterable[NewJob], *, revive: bool = False) -> int:
        """Add or re-time jobs (finished ones are kept as they are) and wake the dispatcher.

        `revive` re-arms jobs that were cancelled or skipped without sending (see JobStore.upsert).
        """
        written = await self.store.upsert(list(jobs), int(self.clock.now()), revive=revive)
        if written:
            self.wake()
        return written

    async def cancel(self, guild_id: int, kind: str, key_prefix: str, reason: str) -> int:
        """Cancel the pending jobs of one owner, recording why."""
        count = await self.store.cancel(guild_id, kind, key_prefix, reason, int(self.clock.now()))
        if count:
            self.wake()
        return count

    async def cancel_keys(self, guild_id: int, kind: str, keys: Iterable[str], reason: str) -> int:
        """Cancel pending jobs by exact key (one milestone, not every key that starts alike)."""
        count = await self.store.cancel_keys(guild_id, kind, list(keys), reason, int(self.clock.now()))
        if count:
            self.wake()
        return count

    def wake(self) -> None:
        """Make the dispatcher look at the table again (a row was added or moved)."""
        self._asleep_at = None  # whatever it concluded before no longer holds
        self._wake.set()

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if self.running:
            return
        recovered = await self.store.recover_sending()
        if recovered:
            log.info(
                "re-queued %d job(s) left mid-send by the last run; they retry with the same nonce", recovered
            )
        self.store.watch(self.wake)  # another process (PostgreSQL) added a job for one of our guilds
        self.store.db.on_reconnect(self._reconnected)
        self._task = asyncio.create_task(self._run(), name="cliffhanger-scheduler")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop claiming, let running jobs finish for `grace` seconds, then cancel the rest.

        A cancelled job stays in 'sending' and is retried with its nonce on the next start.
        """
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._in_flight:
            _done, pending = await asyncio.wait(set(self._in_flight), timeout=grace)
            for straggler in pending:
                straggler.cancel()
            if pending:
                await asyncio.wait(pending)

    async def wait_idle(self) -> None:
        """Wait until no job is running (tests and benchmarks use this)."""
        await self._idle.wait()

    async def wait_caught_up(self, now: float) -> None:
        """Wait until the loop has looked for due jobs at clock time `now` or later, found none, and
        sleeps with no job running: nothing due by `now` is still to happen. Tests use it to show
        that something was not sent, instead of sleeping a while and hoping. Raises TimeoutError
        after a minute of real time, so a loop that never catches up fails instead of hanging."""
        async with asyncio.timeout(60):
            while self._asleep_at is None or self._asleep_at < now or self._in_flight:
                self._looked.clear()
                if self._asleep_at is not None and not self._in_flight:
                    # Asleep since a look before `now` (the clock moved on meanwhile): look again
                    # now, or this waits for whatever wakes the loop next, maybe hours away.
                    self.wake()
                await self._looked.wait()

    # -- the loop ------------------------------------------------------------------------------
    async def _run(self) -> None:
        if self.gate is not None:
            await self.gate()
        while True:
            try:
                await self._tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database was busy or a query failed: log, back off briefly, keep going.
                log.exception("scheduler tick failed; retrying in 1 s")
                self._orphans_possible = True
                await self._wait(1.0)

    async def _reconnected(self) -> None:
        self._orphans_possible = True
        self.wake()

    async def _tick(self) -> None:
        free = self.max_in_flight - len(self._in_flight)
        if free <= 0:
            self._slot_freed.clear()
            await self._slot_freed.wait()
            return
        self._wake.clear()
        if self._orphans_possible:
            recovered = await self.store.recover_sending(sorted(self._running.values()))
            self._orphans_possible = False
            if recovered:
                log.warning(
                    "re-queued %d job(s) left in 'sending' by a broken database connection", recovered
                )
        next_run = await self.store.next_run_at()
        now = self.clock.now()
        if next_run is None or next_run > now:
            await self._wait(
                self.max_sleep if next_run is None else min(next_run - now, self.max_sleep), looked_at=now
            )
            return
        claimed, skipped = await self.store.claim_due(int(now), free)
        for job in skipped:
            log.info("job %s/%s skipped: %s", job.kind, job.key, job.reason)
            listener = self._skip_listeners.get(job.kind)
            if listener is not None:
                self._spawn(self._notify_skip(listener, job))
        for job in claimed:
            self._spawn(self._execute(job), job.id)

    async def _wait(self, seconds: float, *, looked_at: float | None = None) -> None:
        """Sleep for `seconds` on the clock, or until woken, whichever comes first. `looked_at` is the
        clock time at which nothing was found due: `wait_caught_up` trusts it once the sleep has begun."""
        sleeper = asyncio.ensure_future(self.clock.sleep(seconds))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            if looked_at is not None:
                await asyncio.sleep(0)  # the sleep starts first, so time moved on from here ends it
                if not self._wake.is_set():
                    self._asleep_at = looked_at
                    self._looked.set()
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._asleep_at = None
            sleeper.cancel()
            waker.cancel()

    def _spawn(self, coro: Awaitable[None], job_id: int | None = None) -> None:
        task = asyncio.ensure_future(coro)
        self._in_flight.add(task)
        if job_id is not None:
            self._running[task] = job_id
        self._idle.clear()
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._running.pop(task, None)
        self._slot_freed.set()
        self._looked.set()
        if not self._in_flight:
            self._idle.set()

    async def _notify_skip(self, listener: Callable[[Job], Awaitable[None]], job: Job) -> None:
        try:
            await listener(job)
        except Exception:
            log.exception("skip listener for %s/%s raised", job.kind, job.key)

    async def _execute(self, job: Job) -> None:
        handler = self._handlers.get(job.kind)
        if handler is None:
            await self._retry(job, f"no handler is registered for {job.kind!r} yet", retry_after=60)
            return
        try:
            result = await handler(job)
        except asyncio.CancelledError:
            raise  # shutting down: the row stays 'sending' and is retried with its nonce
        except Exception as exc:
            outcome = classify_failure(exc)
            if outcome.retry:
                await self._retry(job, outcome.reason, retry_after=outcome.retry_after, unsure=outcome.unsure)
                return
            if outcome.state == "failed" and outcome.incident:
                log.error("job %s/%s raised (%s)", job.kind, job.key, outcome.reason, exc_info=exc)
            else:
                log.log(
                    logging.INFO if outcome.state == "skipped" else logging.WARNING,
                    "job %s/%s %s: %s",
                    job.kind,
                    job.key,
                    outcome.state,
                    outcome.reason,
                )
            await self._finish(job, outcome.state, reason=outcome.reason)
        else:
            await self._finish(job, "sent", result=result)
            log.debug("job %s/%s sent %.3f s after due", job.kind, job.key, self.clock.now() - job.due_at)

    async def _finish(
        self, job: Job, state: JobState, *, reason: str | None = None, result: str | None = None
    ) -> None:
        """Record a job's outcome. The send already happened, so a database that is briefly away
        (PostgreSQL restarting, every connection busy) is waited for rather than leaving the row in
        'sending' until the next start."""
        await self._persist(
            lambda: self.store.finish(job.id, state, int(self.clock.now()), reason=reason, result=result)
        )

    async def _persist(self, write: Callable[[], Awaitable[object]], *, patience: float = 300.0) -> None:
        delay = 0.2
        waited = 0.0
        while True:
            try:
                await write()
                return
            except StorageError as exc:
                if not exc.transient or waited >= patience:
                    raise
                log.warning("could not record a job's outcome (%s); trying again in %.1f s", exc, delay)
            await asyncio.sleep(delay)
            waited += delay
            delay = min(delay * 2, 5.0)

    async def _retry(
        self, job: Job, reason: str, *, retry_after: float | None = None, unsure: bool = False
    ) -> None:
        now = self.clock.now()
        if not self.store.shard_ready(job.guild_id):
            # Its shard re-IDENTIFIED while it ran (the guild cache is being rebuilt): it runs again
            # as soon as that shard is READY (claims wait for it), not after a timed backoff.
            retry_after = 0.0
        if job.attempts >= self.max_attempts:
            await self._finish(job, "failed", reason=f"gave up after {job.attempts} attempts: {reason}")
            log.warning("job %s/%s gave up after %d attempts: %s", job.kind, job.key, job.attempts, reason)
            return
        delay = (
            retry_after
            if retry_after is not None
            else min(BACKOFF_BASE * 2 ** (job.attempts - 1), BACKOFF_CAP)
        )
        run_at = int(now + max(1.0, delay) + 0.999)
        await self._persist(lambda: self.store.retry_later(job.id, run_at, reason, unsure=unsure))
        log.info("job %s/%s will retry at %d: %s", job.kind, job.key, run_at, reason)
        self.wake()


# -- posting exactly once -----------------------------------------------------------------------------
def job_marker(job: Job) -> str:
    """Text unique to the job that members don't see: its nonce spelled in zero-width characters."""
    bits = "".join(f"{byte:08b}" for byte in job.nonce.encode())
    return _EDGE + bits.replace("0", _ZERO).replace("1", _ONE) + _EDGE


def may_have_posted_unseen(job: Job, now: float, window: float = NONCE_WINDOW) -> bool:
    """Whether an earlier attempt may have reached Discord so long ago that the nonce no longer
    protects a retry (the only case worth reading the channel back for)."""
    return job.unsure_since is not None and now - job.unsure_since > window


def _marked(message: discord.Message, marker: str) -> bool:
    texts = [message.content or ""]
    for embed in message.embeds:
        texts += [embed.footer.text or "", embed.description or ""]
    return any(marker in text for text in texts)


async def send_once(
    job: Job,
    channel: discord.TextChannel | discord.Thread,
    *,
    now: float,
    content: str | None = None,
    embed: discord.Embed | None = None,
    **options: Any,
) -> discord.Message:
    """Post a job's message so that it exists once, whenever and however often the job is retried.

    The message carries the job's nonce (Discord drops a repeat within its window) and the job's
    marker (in the embed's footer, or the content without an embed). A retry past the window after an
    attempt that may have reached Discord first reads the channel's recent messages (Read Message
    History) and returns the earlier message when it is there."""
    marker = job_marker(job)
    if embed is not None:
        embed.set_footer(text=(embed.footer.text or "") + marker, icon_url=embed.footer.icon_url)
    else:
        content = (content or "") + marker
    if may_have_posted_unseen(job, now):
        me = channel.guild.me
        if channel.permissions_for(me).read_message_history:
            async for earlier in channel.history(limit=LOOK_BACK):
                if earlier.author.id == me.id and _marked(earlier, marker):
                    log.info(
                        "job %s/%s: its earlier attempt did reach Discord (message %s)",
                        job.kind,
                        job.key,
                        earlier.id,
                    )
                    return earlier
        else:
            log.warning(
                "job %s/%s may already be posted in #%s, but without Read Message History there I can't "
                "look; posting again",
                job.kind,
                job.key,
                channel.name,
            )
    return await channel.send(
        content, embed=embed if embed is not None else discord.utils.MISSING, nonce=job.nonce, **options
    )
