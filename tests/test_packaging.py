"""The wheel holds the whole bot: built from a copy of this checkout, installed into a fresh venv
outside it, every extension `setup_hook` would load loads there, with the migrations and the
schedule packs in place.

Nothing is downloaded: the wheel is built with the setuptools already installed (no build
isolation; an older setuptools without a built-in bdist_wheel makes pip fetch the build backend
instead), and the fresh venv borrows this venv's dependencies through a `.pth` line instead of
installing them again. A `.pth` line only adds a folder to `sys.path`; the `.pth` files inside that
folder (among them this checkout's editable install) are not run, so the fresh venv cannot see the
checkout.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import discord

from bot.core import Cliffhanger
from bot.db import load_migrations
from cogs.countdowns.packs import PACKS_DIR, list_packs

ROOT = Path(__file__).resolve().parents[1]
PIP = [sys.executable, "-m", "pip", "--quiet", "--disable-pip-version-check"]
OFFLINE = ["--no-deps", "--no-index"]
IGNORED = shutil.ignore_patterns(
    ".git",
    ".venv",
    "__pycache__",
    "*.egg-info",
    "build",
    "dist",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    "results",  # bench/results holds a cached database of hundreds of megabytes
    "*.db",
    "*.db-*",
)

# Runs inside the fresh venv, from a folder outside the checkout: the start-up that needs no Discord.
CHECK = """
import asyncio, json, sys
from pathlib import Path

import bot, cogs
from bot import create_bot
from bot.config import Settings
from cogs.countdowns.packs import PACKS_DIR, list_packs


async def main() -> None:
    settings = Settings(discord_token=sys.argv[1], database_path=Path(sys.argv[2]))
    client = create_bot(settings)
    await client.db.open()
    applied = await client.db.migrate()
    await client.load_cogs()
    print(json.dumps({
        "bot": bot.__file__,
        "cogs": cogs.__file__,
        "discovered": client.discover_extensions(),
        "loaded": sorted(client.extensions),
        "failed": {name: repr(exc) for name, exc in client.failed_extensions.items()},
        "migrations": applied,
        "packs": sorted(list_packs(PACKS_DIR)),
        "commands": sorted(c.name for c in client.tree.get_commands()),
    }))
    await client.db.close()


asyncio.run(main())
"""


def _build_options() -> list[str]:
    """Build with the installed setuptools when it can make wheels by itself (70.1 and later)."""
    try:
        major, minor = (int(part) for part in importlib.metadata.version("setuptools").split(".")[:2])
    except (importlib.metadata.PackageNotFoundError, ValueError):
        return ["--no-deps"]
    return [*OFFLINE, "--no-build-isolation"] if (major, minor) >= (70, 1) else ["--no-deps"]


def _site_packages(prefix: Path) -> Path:
    return Path(sysconfig.get_path("purelib", vars={"base": str(prefix), "platbase": str(prefix)}))


def test_the_wheel_installs_every_extension_with_its_data(tmp_path: Path) -> None:
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    dist = tmp_path / "dist"
    subprocess.run(
        [*PIP, "wheel", *_build_options(), "--wheel-dir", str(dist), str(source)],
        check=True,
        cwd=tmp_path,
    )
    [wheel] = dist.glob("cliffhanger-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert not [n for n in names if n.startswith(("tests/", "bench/"))], "test or bench code in the wheel"

    target = tmp_path / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    subprocess.run(
        [*PIP, "--python", str(python), "install", *OFFLINE, str(wheel)],
        check=True,
        cwd=tmp_path,
    )
    dependencies = Path(discord.__file__).resolve().parents[1]
    (_site_packages(target) / "borrowed_dependencies.pth").write_text(f"{dependencies}\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    done = subprocess.run(
        [str(python), "-c", CHECK, "MTAx.abcd.efgh", str(outside / "bot.db")],
        capture_output=True,
        text=True,
        cwd=outside,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])

    installed = _site_packages(target).resolve()
    assert Path(found["bot"]).resolve().is_relative_to(installed), found["bot"]
    assert Path(found["cogs"]).resolve().is_relative_to(installed), found["cogs"]
    checkout = Cliffhanger.discover_extensions()
    assert found["discovered"] == checkout, "the wheel is missing extensions the checkout has"
    assert found["failed"] == {}
    assert found["loaded"] == checkout
    assert found["migrations"] == [m.version for m in load_migrations()]
    assert found["packs"] == sorted(list_packs(PACKS_DIR))
    assert {"config", "countdown", "theory", "spoilers", "recap", "progress", "about"} <= set(
        found["commands"]
    )
