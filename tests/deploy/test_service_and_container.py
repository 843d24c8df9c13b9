"""The ways to host the bot: the systemd unit, the container image and compose, each checked as far as this
machine allows (the real tools where they exist, the settings that matter always)."""

from __future__ import annotations

import fnmatch
import inspect
import json
import re
import shlex
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import DEFAULT_DATABASE_PATH
from bot.db.backup import backups_folder
from bot.scheduler import Scheduler

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy" / "cliffhanger.service"
TOKEN = "MTAwMDAwMDAwMDAwMDAwMDAx.GabcDE.loopback-token-abcdefghijklmnopqrstuvwxyz0123"
# What the bot may spend on SIGTERM: the scheduler's grace for in-flight sends, then closing the
# gateway and the database. A stop timeout must leave at least this much room on top of the grace.
CLOSE_ROOM_S = 15


def stop_grace() -> float:
    grace = inspect.signature(Scheduler.stop).parameters["grace"].default
    assert isinstance(grace, float | int)
    return float(grace)


def seconds(value: str) -> float:
    """systemd and compose durations: 30, 30s, 1min, 1m30s."""
    units = {"": 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}
    parts = re.findall(r"(\d+(?:\.\d+)?)\s*([a-z]*)", value.strip())
    assert parts and "".join(n + u for n, u in parts) == value.replace(" ", ""), value
    return sum(float(n) * units[u] for n, u in parts)


# -- systemd ----------------------------------------------------------------------------------------
def unit(text: str | None = None) -> dict[str, dict[str, list[str]]]:
    """Sections of a unit file; a key may repeat, so each maps to the list of its values."""
    sections: dict[str, dict[str, list[str]]] = {}
    current: dict[str, list[str]] = {}
    for raw in (text if text is not None else UNIT.read_text()).splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
        else:
            key, _, value = line.partition("=")
            current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(section: dict[str, list[str]], key: str) -> str:
    assert len(section.get(key, [])) == 1, f"{key} should be set once in deploy/cliffhanger.service"
    return section[key][0]


def makefile_variable(name: str) -> str:
    match = re.search(rf"^{name}\s*:?=\s*(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match is not None, name
    return match[1]


def test_the_unit_runs_the_checkout_as_its_own_user_and_keeps_restarting() -> None:
    service = unit()["Service"]
    home = Path(one(service, "WorkingDirectory"))
    assert home.is_absolute()
    assert home == Path(makefile_variable("SERVICE_DIR"))  # where make install-service puts it
    user = one(service, "User")
    assert user not in ("root", "0")
    assert user == makefile_variable("SERVICE_USER")
    assert shlex.split(one(service, "ExecStart")) == [str(home / ".venv" / "bin" / "python"), "main.py"]
    assert one(service, "EnvironmentFile") == str(home / ".env")
    assert one(service, "Restart") in ("always", "on-failure")
    assert seconds(one(service, "RestartSec")) >= 1
    assert one(unit()["Unit"], "StartLimitIntervalSec") == "0"  # never gives up after a long outage
    assert "network-online.target" in one(unit()["Unit"], "After")
    assert one(unit()["Install"], "WantedBy") == "multi-user.target"


def test_the_unit_is_hardened_and_may_write_only_the_data_folder() -> None:
    service = unit()["Service"]
    home = Path(one(service, "WorkingDirectory"))
    assert one(service, "NoNewPrivileges") == "yes"
    assert one(service, "ProtectSystem") == "strict"  # everything read-only but ReadWritePaths
    writable = [Path(p) for p in one(service, "ReadWritePaths").split()]
    database = home / DEFAULT_DATABASE_PATH
    for needed in (database.parent, backups_folder(database)):  # the database, its lock, its backups
        assert any(needed == w or w in needed.parents for w in writable), needed
    assert not any(w == home or w in home.parents for w in writable), "the code itself must stay read-only"
    assert one(service, "ProtectHome") == "yes"
    assert one(service, "CapabilityBoundingSet") == ""


def test_the_unit_leaves_time_to_finish_announcements_and_logs_to_the_journal() -> None:
    service = unit()["Service"]
    assert service.get("KillSignal", ["SIGTERM"]) == ["SIGTERM"]  # main.py finishes in-flight work on it
    assert service.get("KillMode", ["control-group"])[0] in ("control-group", "mixed")
    assert seconds(one(service, "TimeoutStopSec")) >= stop_grace() + CLOSE_ROOM_S
    for stream in ("StandardOutput", "StandardError"):
        assert service.get(stream, ["journal"])[0] in ("journal", "inherit"), stream


def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip(
            "systemd-analyze is not installed (Debian: apt install systemd); the unit's settings are checked above"
        )
    # The unit names /opt/cliffhanger; verify resolves ExecStart, so point it at a stand-in checkout.
    home = Path(one(unit()["Service"], "WorkingDirectory"))
    checkout = tmp_path / "checkout"
    (checkout / ".venv" / "bin").mkdir(parents=True)
    (checkout / "data").mkdir()
    (checkout / ".venv" / "bin" / "python").symlink_to(shutil.which("python3") or "/usr/bin/env")
    (checkout / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\n")
    copy = tmp_path / UNIT.name
    copy.write_text(UNIT.read_text().replace(str(home), str(checkout)))
    result = subprocess.run(
        [analyze, "verify", copy], check=False, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and not result.stdout and not result.stderr, result.stdout + result.stderr


def test_systemd_verify_would_catch_a_mistake(tmp_path: Path) -> None:
    """The verify test above is only worth something if verify reports what we get wrong."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    broken = tmp_path / "broken.service"
    broken.write_text(UNIT.read_text().replace("NoNewPrivileges=", "NoNewPrivilege="))
    result = subprocess.run(
        [analyze, "verify", broken], check=False, capture_output=True, text=True, timeout=60
    )
    assert "Unknown key 'NoNewPrivilege'" in result.stderr  # a warning only: hence "no output" above


# -- the container ----------------------------------------------------------------------------------
def dockerfile() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined."""
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    out = []
    for raw in text.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            instruction, _, args = line.partition(" ")
            out.append((instruction.upper(), args.strip()))
    return out


def instructions(name: str) -> list[str]:
    return [args for instruction, args in dockerfile() if instruction == name]


def image_database_path() -> Path:
    env = " ".join(instructions("ENV"))
    match = re.search(r"DATABASE_PATH=(\S+)", env)
    assert match is not None, "the image should put the database on its volume"
    return Path(match[1])


def test_the_image_is_slim_non_root_with_the_database_on_a_volume_and_a_healthcheck() -> None:
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", instructions("FROM")[0])
    assert instructions("USER")[-1] not in ("root", "0")
    volumes = json.loads(instructions("VOLUME")[0])
    database = image_database_path()
    assert str(database.parent) in volumes
    assert backups_folder(database).parent == database.parent  # backups land on the volume too
    healthcheck = instructions("HEALTHCHECK")[0]
    assert json.loads(healthcheck.split("CMD", 1)[1]) == ["python", "main.py", "check"]
    installs = [run for run in instructions("RUN") if "pip install" in run]
    assert installs == ["pip install --no-deps -r requirements/run.txt"]
    assert json.loads(instructions("CMD")[0]) == ["python", "main.py"]
    assert instructions("STOPSIGNAL") == ["SIGTERM"]


def dockerignore_admits(path: str) -> bool:
    admitted = False
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        negate = rule.startswith("!")
        pattern = rule.lstrip("!").rstrip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path, pattern + "/*"):
            admitted = negate
    return admitted


def test_the_build_context_holds_what_the_image_copies_and_never_the_token_or_a_database() -> None:
    for args in instructions("COPY"):
        *sources, _ = args.split()
        for source in sources:
            assert dockerignore_admits(source.rstrip("/")), (
                f".dockerignore keeps out {source}, which COPY needs"
            )
            assert (ROOT / source).exists(), source
    for secret in (".env", "data/cliffhanger.db", "data/backups/x.db", ".venv/bin/python", ".git/config"):
        assert not dockerignore_admits(secret), secret


def test_compose_runs_the_image_with_the_settings_the_volume_and_the_stop_time() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    assert re.search(r"^\s+env_file: \.env\b", compose, re.MULTILINE)
    database = re.search(r"^\s+DATABASE_PATH: (\S+)", compose, re.MULTILINE)
    assert database is not None and Path(database[1]) == image_database_path()  # whatever .env says
    volume = re.search(r"^\s+- (\w+):(\S+)$", compose, re.MULTILINE)
    assert volume is not None and volume[2] == str(image_database_path().parent)
    assert re.search(rf"^volumes:\n  {volume[1]}:", compose, re.MULTILINE)
    grace = re.search(r"stop_grace_period: (\S+)", compose)
    assert grace is not None and seconds(grace[1]) >= stop_grace() + CLOSE_ROOM_S
    assert "restart: unless-stopped" in compose


def test_compose_file_is_valid_for_docker_compose(tmp_path: Path) -> None:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    version = subprocess.run([docker, "compose", "version"], check=False, capture_output=True, text=True)
    if version.returncode != 0:
        reason = (version.stderr.strip().splitlines() or ["no answer"])[0]
        pytest.skip(f"the docker compose plugin is not installed ({reason})")
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    (tmp_path / ".env").write_text(f"DISCORD_TOKEN={TOKEN}\nDATABASE_PATH=data/cliffhanger.db\n")
    result = subprocess.run(
        [docker, "compose", "config", "--format", "json"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    bot = json.loads(result.stdout)["services"]["bot"]
    assert bot["environment"]["DATABASE_PATH"] == str(image_database_path())
    assert bot["environment"]["DISCORD_TOKEN"] == TOKEN


def test_the_postgresql_variant_points_the_bot_at_its_own_database_service() -> None:
    variant = (ROOT / "compose.postgres.yaml").read_text()
    url = re.search(
        r"^\s+DATABASE_URL: postgresql://(\w+):\$\{POSTGRES_PASSWORD:\?[^}]+\}@(\w+)/(\w+)$",
        variant,
        re.MULTILINE,
    )
    assert url is not None, "the bot's DATABASE_URL names the db service and takes the password from .env"
    user, host, database = url.groups()
    assert re.search(rf"^  {host}:\n    image: postgres:\d+", variant, re.MULTILINE)
    assert f"POSTGRES_USER: {user}" in variant and f"POSTGRES_DB: {database}" in variant
    assert re.search(rf"depends_on:\n      {host}:\n        condition: service_healthy", variant)
    assert "pg_isready" in variant
    volume = re.search(r"^\s+- (\w+):/var/lib/postgresql/data$", variant, re.MULTILINE)
    assert volume is not None and re.search(rf"^volumes:\n  {volume[1]}:", variant, re.MULTILINE)
    # The bot stays compose.yaml's one image (built from the Dockerfile); only the db has one here.
    [(key, image)] = re.findall(r"^    (image|build): (\S+)", variant, re.MULTILINE)
    assert key == "image" and image.startswith("postgres:")
    # The copy over runs in the bot's container, against the DATABASE_URL set above.
    assert 'copy-to-postgres "$DATABASE_URL"' in variant
    assert "compose.postgres.yaml" in (ROOT / "compose.yaml").read_text()
    assert "compose.postgres.yaml" in (ROOT / "README.md").read_text()


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker is not installed")
    info = subprocess.run([docker, "info"], check=False, capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        reason = (info.stderr.strip().splitlines() or ["no answer"])[-1]
        pytest.skip(f"no Docker engine to build the image with (docker info: {reason})")
    tag = f"cliffhanger-test:{uuid.uuid4().hex[:12]}"
    build = subprocess.run(
        [docker, "build", "--quiet", "-t", tag, str(ROOT)],
        check=False,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert build.returncode == 0, build.stderr
    try:
        yield tag
    finally:
        subprocess.run([docker, "image", "rm", "--force", tag], check=False, capture_output=True, timeout=120)


def docker_run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [shutil.which("docker") or "docker", "run", "--rm", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_the_image_starts_to_the_missing_token_error(image: str) -> None:
    result = docker_run(image)
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("error: DISCORD_TOKEN is not set") and result.stderr.count("\n") == 1


def test_the_images_healthcheck_passes_as_its_user_on_its_volume(image: str) -> None:
    result = docker_run("-e", f"DISCORD_TOKEN={TOKEN}", image, "python", "main.py", "check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"configuration OK; {image_database_path()} does not exist yet")
    whoami = docker_run(image, "id", "-u")
    assert whoami.stdout.strip() not in ("", "0")
    inspect_ = subprocess.run(
        [shutil.which("docker") or "docker", "image", "inspect", image],
        check=True,
        capture_output=True,
        text=True,
    )
    config = json.loads(inspect_.stdout)[0]["Config"]
    assert str(image_database_path().parent) in config["Volumes"]
    assert config["Healthcheck"]["Test"] == ["CMD", "python", "main.py", "check"]
