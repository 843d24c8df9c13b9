"""SQL for the durable scheduler's `scheduled_jobs` table."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ..shards import ShardSlice, shard_of
from . import Database, Row

__all__ = ["JOBS_CHANNEL", "Job", "JobState", "JobStore", "NewJob"]

# PostgreSQL NOTIFY channel: "a job was added or re-timed for these guilds" (or "*" for many).
JOBS_CHANNEL = "cliffhanger_jobs"
_NOTIFY_GUILDS = 50  # past this many guilds in one write, the payload says "*"

JobState = Literal["pending", "sending", "sent", "skipped", "failed", "cancelled"]


@dataclass(frozen=True, slots=True)
class Job:
    """One timed action, as stored."""

    id: int
    guild_id: int
    kind: str
    key: str
    series: str | None
    due_at: int
    run_at: int
    expires_at: int | None
    payload: dict[str, Any]
    state: JobState
    attempts: int
    reason: str | None = None
    result: str | None = None
    finished_at: int | None = None
    unsure_since: int | None = None  # the first attempt that may have reached Discord unseen

    @property
    def nonce(self) -> str:
        """A deterministic message nonce (at most 25 characters), the same on every retry."""
        return f"ch{self.id}"

    @classmethod
    def from_row(cls, row: Row) -> Job:
        return cls(
            id=row["id"],
            guild_id=row["guild_id"],
            kind=row["kind"],
            key=row["key"],
            series=row["series"],
            due_at=row["due_at"],
            run_at=row["run_at"],
            expires_at=row["expires_at"],
            payload=json.loads(row["payload"]),
            state=row["state"],
            attempts=row["attempts"],
            reason=row["reason"],
            result=row["result"],
            finished_at=row["finished_at"],
            unsure_since=row["unsure_since"],
        )


@dataclass(frozen=True, slots=True)
class NewJob:
    """What an owner asks the scheduler to do; `key` is unique per server and kind."""

    guild_id: int
    kind: str
    key: str
    due_at: int
    payload: dict[str, Any] = field(default_factory=dict)
    series: str | None = None
    expires_at: int | None = None

    def row(self, now: int) -> tuple[object, ...]:
        """Its values for an INSERT into scheduled_jobs (guild_id, kind, key, series, due_at,
        run_at, expires_at, payload, created_at): it first runs when due."""
        payload = json.dumps(self.payload, separators=(",", ":"))
        return (
            self.guild_id,
            self.kind,
            self.key,
            self.series,
            self.due_at,
            self.due_at,
            self.expires_at,
            payload,
            now,
        )


class JobStore:
    """The scheduler's rows. With a shard slice, a process reads and claims only the jobs of the
    guilds on its own shards; other processes own the rest. The bot narrows the claims further, to
    the shards that are READY right now (`claim_for_shards`)."""

    def __init__(self, db: Database, shards: ShardSlice | None = None) -> None:
        self.db = db
        self.shards = shards
        self._mine = "" if shards is None else shards.sql()
        # The condition claims and the earliest-due look use: our shards, or the ready ones among
        # them; None while none is ready (nothing is claimed then).
        self._claimable: str | None = self._mine
        # The ready shards and the shard count, once the bot names them (None: every guild is ready).
        self._ready: tuple[frozenset[int], int] | None = None

    def claim_for_shards(self, ids: Collection[int], count: int | None = None) -> None:
        """Claim only the jobs of guilds on these of our shards, of `count`: a shard still connecting
        has no guild cache to send with, and its jobs wait for it alone. No ids: claim nothing."""
        ready = sorted(set(ids) if self.shards is None else set(ids) & set(self.shards.ids))
        self._ready = (frozenset(ready) if count is not None else frozenset(), count or 1)
        if not ready or count is None:
            self._claimable = None
            return
        if self.shards is not None and count != self.shards.count:
            raise ValueError(f"{count} shards, but this process runs {self.shards.describe()}")
        self._claimable = ShardSlice(count, tuple(ready)).sql()

    def shard_ready(self, guild_id: int) -> bool:
        """Whether this guild's jobs are claimable now: its shard is READY (always, before the bot
        narrows the claims to the ready shards)."""
        if self._ready is None:
            return True
        ready, count = self._ready
        return shard_of(guild_id, count) in ready

    def watch(self, wake: Callable[[], None]) -> None:
        """Call `wake()` when another process adds or re-times a job of one of our guilds."""

        def on_notify(payload: str) -> None:
            if payload == "*" or self.shards is None:
                wake()
                return
            if any(self.shards.owns(int(g)) for g in payload.split(",") if g.isdigit()):
                wake()

        async def reconnected() -> None:
            wake()  # notifications sent while the connection was down were missed: look again

        self.db.listen(JOBS_CHANNEL, on_notify)
        self.db.on_reconnect(reconnected)

    async def upsert(self, jobs: Sequence[NewJob], now: int, *, revive: bool = False) -> int:
        """Insert jobs, or re-time ones that are still pending. Finished rows are left alone, so
        something already announced is never repeated. With `revive`, rows that finished without
        ever sending (cancelled or skipped) are re-armed as pending too: an owner that cancelled a
        milestone and later wants it back gets it back. Returns how many rows were written."""
        if not jobs:
            return 0
        written = 0
        async with self.db.transaction(immediate=True) as conn:
            for job in jobs:
                written += await conn.execute(
                    """
                    INSERT INTO scheduled_jobs
                        (guild_id, kind, key, series, due_at, run_at, expires_at, payload, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (guild_id, kind, key) DO UPDATE SET
                        series = excluded.series,
                        due_at = excluded.due_at,
                        run_at = excluded.run_at,
                        expires_at = excluded.expires_at,
                        payload = excluded.payload,
                        attempts = CASE WHEN scheduled_jobs.state = 'pending' THEN scheduled_jobs.attempts ELSE 0 END,
                        reason = CASE WHEN scheduled_jobs.state = 'pending' THEN scheduled_jobs.reason END,
                        finished_at = NULL,
                        state = 'pending'
                    WHERE scheduled_jobs.state = 'pending'
                       OR (? = 1 AND scheduled_jobs.state IN ('cancelled', 'skipped'))
                    """,
                    (*job.row(now), int(revive)),
                )
            if written:
                guilds = sorted({job.guild_id for job in jobs})
                await conn.notify(
                    JOBS_CHANNEL, "*" if len(guilds) > _NOTIFY_GUILDS else ",".join(map(str, guilds))
                )
        return written

    async def cancel(self, guild_id: int, kind: str, key_prefix: str, reason: str, now: int) -> int:
        """Cancel pending jobs whose key starts with `key_prefix`; returns how many."""
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return await self.db.execute(
            """
            UPDATE scheduled_jobs SET state = 'cancelled', reason = ?, finished_at = ?
            WHERE guild_id = ? AND kind = ? AND key LIKE ? ESCAPE '\\' AND state = 'pending'
            """,
            (reason, now, guild_id, kind, escaped + "%"),
        )

    async def cancel_keys(self, guild_id: int, kind: str, keys: Sequence[str], reason: str, now: int) -> int:
        """Cancel the pending jobs with exactly these keys (a prefix would also catch 'x:3600' for 'x:360')."""
        if not keys:
            return 0
        return await self.db.execute(
            f"""
            UPDATE scheduled_jobs SET state = 'cancelled', reason = ?, finished_at = ?
            WHERE guild_id = ? AND kind = ? AND key IN ({",".join("?" for _ in keys)}) AND state = 'pending'
            """,
            (reason, now, guild_id, kind, *keys),
        )

    async def retire(self, guild_id: int, kind: str, key_prefix: str) -> int:
        """Move the finished jobs of an owner that is gone (a deleted countdown) out of its keys and
        series, keeping them as a record. SQLite gives a new row the highest id again after that row
        was deleted, so a new countdown can get a deleted one's id: without this its milestones would
        find the old ones' keys already sent and never post. Returns how many were moved."""
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        return await self.db.execute(
            """
            UPDATE scheduled_jobs SET key = 'retired:' || id || ':' || key, series = NULL
            WHERE guild_id = ? AND kind = ? AND key LIKE ? ESCAPE '\\' AND state NOT IN ('pending', 'sending')
            """,
            (guild_id, kind, escaped + "%"),
        )

    async def get(self, guild_id: int, kind: str, key: str) -> Job | None:
        row = await self.db.fetchone(
            "SELECT * FROM scheduled_jobs WHERE guild_id = ? AND kind = ? AND key = ?", (guild_id, kind, key)
        )
        return None if row is None else Job.from_row(row)

    async def list_for(self, guild_id: int, kind: str, key_prefix: str) -> list[Job]:
        """Every job of one owner (for example all milestones of one countdown), by due time."""
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self.db.fetchall(
            """
            SELECT * FROM scheduled_jobs
            WHERE guild_id = ? AND kind = ? AND key LIKE ? ESCAPE '\\'
            ORDER BY due_at, id
            """,
            (guild_id, kind, escaped + "%"),
        )
        return [Job.from_row(r) for r in rows]

    async def latest(self, guild_id: int, kind: str, key_prefix: str, limit: int) -> list[Job]:
        """The newest jobs of one owner (by due time, newest first): what happened lately."""
        escaped = key_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        rows = await self.db.fetchall(
            """
            SELECT * FROM scheduled_jobs
            WHERE guild_id = ? AND kind = ? AND key LIKE ? ESCAPE '\\'
            ORDER BY due_at DESC, id DESC
            LIMIT ?
            """,
            (guild_id, kind, escaped + "%", limit),
        )
        return [Job.from_row(r) for r in rows]

    async def next_run_at(self) -> int | None:
        """When the earliest pending job we may claim should run, or None when there is none.
        (ORDER BY ... LIMIT 1 rather than min(): it walks the pending index only until the first of
        our guilds.)"""
        if self._claimable is None:
            return None
        value = await self.db.fetchval(
            f"SELECT run_at FROM scheduled_jobs WHERE state = 'pending'{self._claimable} ORDER BY run_at LIMIT 1"
        )
        return None if value is None else int(value)

    async def count_pending(self, guild_id: int | None = None) -> int:
        if guild_id is None:
            value = await self.db.fetchval("SELECT count(*) FROM scheduled_jobs WHERE state = 'pending'")
        else:
            value = await self.db.fetchval(
                "SELECT count(*) FROM scheduled_jobs WHERE guild_id = ? AND state = 'pending'", (guild_id,)
            )
        return int(value)

    async def recover_sending(self, running: Sequence[int] = ()) -> int:
        """Put rows a crash left in 'sending' back to pending; they retry with their old nonce, and
        the send they were in the middle of may have reached Discord (`unsure_since`). Only our
        guilds' rows (another process's rows in 'sending' are its own business), and not the ones
        this process is sending right now (`running`)."""
        keep = f" AND id NOT IN ({','.join('?' for _ in running)})" if running else ""
        return await self.db.execute(
            "UPDATE scheduled_jobs SET state = 'pending', unsure_since = COALESCE(unsure_since, claimed_at)"
            f" WHERE state = 'sending'{self._mine}{keep}",
            tuple(running),
        )

    async def claim_due(self, now: int, limit: int) -> tuple[list[Job], list[Job]]:
        """Atomically claim up to `limit` due jobs (pending -> sending).

        Before claiming, due jobs that a later due job of the same series supersedes, and jobs past
        their `expires_at`, are recorded as skipped with a reason. Returns (claimed, skipped).
        On PostgreSQL the rows are locked as they are picked and rows another process is claiming
        are passed over (SKIP LOCKED), so two processes never claim one job.
        """
        if self._claimable is None:
            return [], []
        async with self.db.transaction(immediate=True) as conn:
            rows = await conn.fetchall(
                f"""
                SELECT id FROM scheduled_jobs WHERE state = 'pending' AND run_at <= ?{self._claimable}
                ORDER BY run_at, id LIMIT ?
                FOR UPDATE SKIP LOCKED  -- postgresql only
                """,
                (now, limit),
            )
            if not rows:
                return [], []
            ids = [r[0] for r in rows]
            marks = ",".join("?" for _ in ids)
            named = {f"i{n}": job_id for n, job_id in enumerate(ids)}
            skipped_rows = list(
                await conn.fetchall(
                    f"""
                    UPDATE scheduled_jobs AS j SET
                        state = 'skipped',
                        finished_at = :now,
                        reason = 'superseded by ' || (
                            SELECT l.key FROM scheduled_jobs AS l
                            WHERE l.guild_id = j.guild_id AND l.series = j.series
                              AND l.due_at > j.due_at AND l.due_at <= :now
                              AND l.state IN ('pending', 'sending', 'sent')
                            ORDER BY l.due_at DESC LIMIT 1
                        ) || ', which was also due'
                    WHERE j.id IN ({",".join(":" + name for name in named)}) AND j.series IS NOT NULL
                      AND EXISTS (
                        SELECT 1 FROM scheduled_jobs AS l
                        WHERE l.guild_id = j.guild_id AND l.series = j.series
                          AND l.due_at > j.due_at AND l.due_at <= :now
                          AND l.state IN ('pending', 'sending', 'sent')
                      )
                    RETURNING *
                    """,
                    {"now": now, **named},
                )
            )
            expired_rows = list(
                await conn.fetchall(
                    f"""
                    UPDATE scheduled_jobs SET
                        state = 'skipped',
                        finished_at = ?,
                        reason = 'expired: ' || (? - due_at) || ' s late, the limit was ' || (expires_at - due_at) || ' s'
                    WHERE id IN ({marks}) AND state = 'pending' AND expires_at IS NOT NULL AND expires_at < ?
                    RETURNING *
                    """,
                    (now, now, *ids, now),
                )
            )
            claimed_rows = list(
                await conn.fetchall(
                    f"""
                    UPDATE scheduled_jobs SET state = 'sending', claimed_at = ?, attempts = attempts + 1
                    WHERE id IN ({marks}) AND state = 'pending'
                    RETURNING *
                    """,
                    (now, *ids),
                )
            )
        claimed = sorted((Job.from_row(r) for r in claimed_rows), key=lambda j: (j.run_at, j.id))
        skipped = [Job.from_row(r) for r in (*skipped_rows, *expired_rows)]
        return claimed, skipped

    async def finish(
        self, job_id: int, state: JobState, now: int, *, reason: str | None = None, result: str | None = None
    ) -> bool:
        """Record the outcome of a claimed job. False if the row was no longer 'sending'."""
        changed = await self.db.execute(
            """
            UPDATE scheduled_jobs SET state = ?, finished_at = ?, reason = ?, result = ?
            WHERE id = ? AND state = 'sending'
            """,
            (state, now, reason, result, job_id),
        )
        return changed == 1

    async def retry_later(self, job_id: int, run_at: int, reason: str, *, unsure: bool = False) -> bool:
        """Return a claimed job to pending, to run again at `run_at`. `unsure`: this attempt may have
        reached Discord (a 5xx, a timeout), so its start is kept as `unsure_since` unless an earlier
        unsure attempt already is."""
        changed = await self.db.execute(
            """
            UPDATE scheduled_jobs SET state = 'pending', run_at = ?, reason = ?,
                unsure_since = CASE WHEN ? = 1 THEN COALESCE(unsure_since, claimed_at) ELSE unsure_since END
            WHERE id = ? AND state = 'sending'
            """,
            (run_at, reason, int(unsure), job_id),
        )
        return changed == 1
