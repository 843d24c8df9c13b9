"""The bot in a child process, for drills that kill it (SIGKILL) and benchmarks that time it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class BotProcess:
    def __init__(
        self,
        port: int,
        database: Path | str,
        *,
        log_path: Path | None = None,
        log_level: str = "INFO",
        profile: Path | None = None,
        shard_count: int | None = None,
        shard_ids: str | None = None,
        pool_size: int | None = None,
        claim_after_every_shard: bool = False,
        before: Sequence[str] = (),
        tvmaze_url: str = "",
    ) -> None:
        self.port = port
        self.database = database  # an SQLite file, or a PostgreSQL URL
        if log_path is None and not isinstance(database, Path):
            raise ValueError("a bot on PostgreSQL needs a log_path")
        self.log_path = log_path or Path(database).with_suffix(".log")
        # SHARD_COUNT and SHARD_IDS, as an operator would set them for several processes.
        self.shard_args = [
            *(["--shard-count", str(shard_count)] if shard_count is not None else []),
            *(["--shard-ids", shard_ids] if shard_ids is not None else []),
            *(["--pool-size", str(pool_size)] if pool_size is not None else []),
            *(["--claim-after-every-shard"] if claim_after_every_shard else []),
            *(["--before", ",".join(before)] if before else []),
        ]
        self.log_level = log_level
        self.profile = profile  # cProfile output, written when the process stops cleanly
        self.tvmaze_url = tvmaze_url  # a loopback TVmaze for the process, if any
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.setup_s: float | None = None  # last start: seconds from start to the end of setup_hook
        self.shards = 1  # last start: how many shards the bot connected

    async def start(self, timeout: float = 30.0) -> None:
        """Start the bot and wait for READY."""
        log = self.log_path.open("ab")
        spawned = time.monotonic()
        profiler = ["-m", "cProfile", "-o", str(self.profile)] if self.profile is not None else []
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *profiler,
            "-m",
            "tests.loopback.run_bot",
            "--port",
            str(self.port),
            "--database",
            str(self.database),
            "--log-level",
            self.log_level,
            *self.shard_args,
            *(["--tvmaze-url", self.tvmaze_url] if self.tvmaze_url else []),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=log,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        log.close()
        self.starts += 1
        assert self.proc.stdout is not None
        try:
            line = await asyncio.wait_for(self.proc.stdout.readline(), timeout)
        except TimeoutError:
            line = b""
        if not line.startswith(b"READY"):
            raise RuntimeError(
                f"the bot process did not become ready; see {self.log_path}:\n{self.log_text()[-3000:]}"
            )
        fields = dict(f.split(b"=", 1) for f in line.split()[1:] if b"=" in f)
        self.shards = int(fields.get(b"shards", b"1"))
        self.setup_s = float(fields[b"setup_at"]) - spawned if fields.get(b"setup_at") else None

    async def exit_code(self, timeout: float = 30.0) -> int:
        """Wait for the process to end by itself (a refusal at start-up, say)."""
        assert self.proc is not None
        return await asyncio.wait_for(self.proc.wait(), timeout)

    async def start_refused(self, timeout: float = 30.0) -> str:
        """Start a bot that must refuse to run; returns the error line it printed."""
        try:
            await self.start(timeout)
        except RuntimeError:
            pass
        else:
            raise AssertionError("the bot process started, but it should have refused")
        await self.exit_code(timeout)
        return next(
            (line for line in self.log_text().splitlines() if line.startswith("error: ")),
            self.log_text()[-2000:],
        )

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def kill(self) -> None:
        """SIGKILL: no cleanup runs, exactly like a crash or an OOM kill."""
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait for a clean exit."""
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), timeout)
            except TimeoutError:
                await self.kill()
        return self.proc.returncode

    async def __aenter__(self) -> BotProcess:
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(ProcessLookupError):
            await self.kill()
