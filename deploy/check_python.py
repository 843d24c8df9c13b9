"""Run by the Makefile with the interpreter it is about to use, before .venv is made or used.

Prints `ok`, or one line saying what is wrong and how to fix it (the Makefile stops with it, exit 2).
When .venv was made by another interpreter, it is removed here so that make builds it again.

It runs on whatever `python3` a host has, so it keeps to syntax that Python 3.6 still reads.
"""

import os
import re
import shutil
import sys
from typing import Dict, Optional, Tuple

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APT_HINT = "Debian/Ubuntu: sudo apt install python{v} python{v}-venv"


def needed_version() -> Tuple[int, int]:
    """The minimum from pyproject.toml's requires-python (tomllib is too new to read it with)."""
    with open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8") as file:
        match = re.search(r'^requires-python\s*=\s*">=\s*(\d+)\.(\d+)', file.read(), re.MULTILINE)
    if match is None:
        raise SystemExit('pyproject.toml has no requires-python = ">=X.Y" line')
    return int(match.group(1)), int(match.group(2))


def venv_config(venv: str) -> Optional[Dict[str, str]]:
    """The key = value pairs of venv/pyvenv.cfg, or None when there is no such file."""
    try:
        with open(os.path.join(venv, "pyvenv.cfg"), encoding="utf-8") as file:
            lines = file.read().splitlines()
    except OSError:
        return None
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def made_by_another(venv: str) -> Optional[str]:
    """Why `venv` must be rebuilt for this interpreter, or None when it fits (or does not exist)."""
    if not os.path.lexists(venv):
        return None
    config = venv_config(venv)
    if config is None:
        return "it has no pyvenv.cfg"
    made_with = ".".join(config.get("version", config.get("version_info", "?")).split(".")[:2])
    this = "{}.{}".format(*sys.version_info[:2])
    base = getattr(sys, "_base_executable", sys.executable)
    home = os.path.realpath(config.get("home", ""))
    if made_with != this or home != os.path.realpath(os.path.dirname(base)):
        return "it was made by Python {} in {}; make is using Python {} ({})".format(
            made_with, config.get("home", "?"), this, base
        )
    return None


def problem(venv: str) -> Optional[str]:
    """One line naming what is wrong with this interpreter, or None."""
    need = needed_version()
    found = sys.version_info[:2]
    if found < need:
        wanted = "{}.{}".format(*need)
        return (
            "Cliffhanger needs Python {w} or newer, but {exe} is Python {f}: install Python {w} "
            "({hint}; elsewhere see python.org), then use it: make PYTHON=python{w} run".format(
                w=wanted,
                exe=sys.executable,
                f=".".join(str(part) for part in sys.version_info[:3]),
                hint=APT_HINT.format(v=wanted),
            )
        )
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        try:
            import ensurepip  # noqa: F401 - Debian leaves it out until python3.X-venv is installed
        except ImportError:
            version = "{}.{}".format(*found)
            return (
                "{exe} (Python {v}) cannot create a virtual environment because its venv support "
                "is not installed: {hint}".format(
                    exe=sys.executable, v=version, hint=APT_HINT.format(v=version)
                )
            )
    return None


def main() -> int:
    venv = sys.argv[1] if len(sys.argv) > 1 else ".venv"
    reason = made_by_another(venv)
    if reason is not None and sys.version_info[:2] >= needed_version():
        sys.stderr.write("note: rebuilding {}: {}\n".format(venv, reason))
        if os.path.islink(venv) or os.path.isfile(venv):
            os.remove(venv)
        else:
            shutil.rmtree(venv)
    message = problem(venv)
    print(message if message is not None else "ok")
    return 2 if message is not None else 0


if __name__ == "__main__":
    sys.exit(main())
