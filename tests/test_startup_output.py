"""What a host sees when the bot starts: one line for a network that never answers, and no voice warnings."""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import discord
import pytest

from bot import create_bot
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.GabcDE.loopback-token-abcdefghijklmnopqrstuvwxyz0123"
# main.py as a host runs it, pointed at `argv[1]` the way the loopback points discord.py, with the
# stated timeout shortened to `argv[2]` seconds.
LAUNCH = (
    "import sys, discord.http, main\n"
    "discord.http.Route.BASE = sys.argv[1]\n"
    "main.CONNECT_TIMEOUT = float(sys.argv[2])\n"
    "sys.exit(main.main([]))\n"
)


@contextmanager
def black_hole() -> Iterator[int]:
    """A loopback port that accepts every connection and never sends a byte back."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for conn in held:
            conn.close()
        server.close()
    assert held, "the bot never connected to the black hole"


def run_main(base_url: str, timeout: float, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("LOG_LEVEL", "DEV_GUILD_ID", "MESSAGE_CONTENT_INTENT")
        },
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": TOKEN,
        "DATABASE_PATH": str(tmp_path / "cliffhanger.db"),
    }
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", LAUNCH, base_url, str(timeout)],
        check=False,
        cwd=tmp_path,  # no .env here
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result, time.monotonic() - started


def test_a_network_that_never_answers_is_one_line_with_the_timeout(tmp_path: Path) -> None:
    with black_hole() as port:
        result, took = run_main(f"http://127.0.0.1:{port}/api/v10", 1.5, tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr == (
        f"error: cannot reach Discord at http://127.0.0.1:{port}/api/v10/gateway: no answer within 1.5 s. "
        "A firewall or proxy between this machine and Discord drops or holds the connection: check that this "
        "machine can open https://discord.com.\n"
    )
    assert took >= 1.5  # it waited the stated time, not less


def test_a_refused_connection_is_still_its_own_one_line(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    result, _ = run_main(f"http://127.0.0.1:{port}/api/v10", 5, tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: cannot reach Discord (") and result.stderr.count("\n") == 1, (
        result.stderr
    )


def test_no_voice_warnings_at_start(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # discord.py warns once per process; put the flags back as a fresh process has them.
    monkeypatch.setattr(discord.VoiceClient, "warn_nacl", True)
    monkeypatch.setattr(discord.VoiceClient, "warn_dave", True)
    with caplog.at_level(logging.DEBUG):
        create_bot(Settings(discord_token=TOKEN, database_path=tmp_path / "x.db"))
    assert [r.getMessage() for r in caplog.records if "voice" in r.getMessage()] == []
