"""What a new host meets before the bot starts: the interpreter check, the venv and the pinned installs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
NEEDED = re.fullmatch(r">=(\d+\.\d+)", PYPROJECT["project"]["requires-python"])
assert NEEDED is not None
NEEDED_VERSION = NEEDED[1]  # "3.11"
MAKE = shutil.which("make") or "make"
DEV_TOOLS = {"pytest", "ruff", "mypy", "hypothesis", "uv"}


# -- the Makefile, in a copy of the checkout --------------------------------------------------------
def checkout(tmp_path: Path) -> Path:
    """The files `make` reads, copied so that nothing here touches the real .venv."""
    repo = tmp_path / "repo"
    for name in (
        "Makefile",
        "pyproject.toml",
        "deploy/check_python.py",
        "requirements/run.txt",
        "requirements/dev.txt",
    ):
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, repo / name)
    return repo


def make(repo: Path, *args: str, path: Iterable[Path] = ()) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MAKEFLAGS", "MAKELEVEL", "PYTHON")
    }
    env["PATH"] = os.pathsep.join([*map(str, path), env["PATH"]])
    return subprocess.run(
        [MAKE, "--no-print-directory", *args],
        check=False,
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def fake_python(tmp_path: Path, version: tuple[int, int, int], *, without_venv: bool = False) -> Path:
    """A folder holding a `python3` that is this interpreter reporting `version` to every script (and,
    `without_venv`, missing ensurepip as Debian's python3.X is until python3.X-venv is installed)."""
    folder = tmp_path / f"fake-python-{'.'.join(map(str, version))}"
    (folder / "site").mkdir(parents=True)
    (folder / "site" / "sitecustomize.py").write_text(
        f"import sys\nsys.version_info = {(*version, 'final', 0)!r}\n"
        f"sys.version = {'.'.join(map(str, version))!r} + ' (fake)'\n"
        + ("sys.modules['ensurepip'] = None\n" if without_venv else "")
    )
    script = folder / "python3"
    script.write_text(f'#!/bin/sh\nPYTHONPATH="{folder / "site"}" exec "{sys.executable}" "$@"\n')
    script.chmod(0o755)
    return folder


def real_older_pythons() -> list[Path]:
    """Interpreters older than NEEDED_VERSION that really run on this machine (pyenv's count too)."""
    candidates = [Path(p) for minor in range(6, 11) if (p := shutil.which(f"python3.{minor}"))]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    candidates += sorted(pyenv_root.glob("versions/3.*/bin/python3"))
    found = []
    for candidate in candidates:
        try:
            out = subprocess.run(
                [candidate, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                check=False,
                capture_output=True,
                text=True,
                timeout=10,
            )
        except OSError:
            continue
        version = out.stdout.strip()
        if out.returncode == 0 and version and tuple(map(int, version.split("."))) < (3, 11):
            found.append(candidate)
    return found


def assert_refused_in_one_line(result: subprocess.CompletedProcess[str], found: str, repo: Path) -> None:
    assert result.returncode == 2, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"needs Python {NEEDED_VERSION} or newer" in lines[0]
    assert f"is Python {found}" in lines[0]
    assert f"sudo apt install python{NEEDED_VERSION} python{NEEDED_VERSION}-venv" in lines[0]
    assert f"make PYTHON=python{NEEDED_VERSION} run" in lines[0]
    assert not (repo / ".venv").exists(), "the venv was made before the version was checked"


@pytest.mark.parametrize("goal", ["run", "test"])
def test_an_older_python3_on_path_is_refused_in_one_line_before_the_venv(tmp_path: Path, goal: str) -> None:
    repo = checkout(tmp_path)
    started = time.monotonic()
    result = make(repo, goal, path=[fake_python(tmp_path, (3, 10, 12))])
    assert_refused_in_one_line(result, "3.10.12", repo)
    assert time.monotonic() - started < 10


def test_a_real_older_interpreter_is_refused_too(tmp_path: Path) -> None:
    olds = real_older_pythons()
    if not olds:
        pytest.skip("no Python older than 3.11 is installed here; the fake one above stands in for it")
    for old in olds:
        repo = checkout(tmp_path / old.parent.parent.name)
        result = make(repo, "run", f"PYTHON={old}")
        version = subprocess.run(
            [old, "-c", "import sys; print('.'.join(map(str, sys.version_info[:3])))"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert_refused_in_one_line(result, version, repo)


def test_a_python_without_venv_support_is_named_with_the_package_to_install(tmp_path: Path) -> None:
    repo = checkout(tmp_path)
    version = sys.version_info
    result = make(repo, "run", path=[fake_python(tmp_path, version[:3], without_venv=True)])
    assert result.returncode == 2, result
    minor = f"{version.major}.{version.minor}"
    assert result.stderr.strip().splitlines() == [
        f"Makefile:{makefile_error_line()}: *** {sys.executable} (Python {minor}) cannot create a virtual "
        f"environment because its venv support is not installed: Debian/Ubuntu: sudo apt install "
        f"python{minor} python{minor}-venv.  Stop."
    ]
    assert not (repo / ".venv").exists()


def makefile_error_line() -> int:
    lines = (ROOT / "Makefile").read_text().splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith("$(error "))


def test_a_missing_interpreter_is_named(tmp_path: Path) -> None:
    repo = checkout(tmp_path)
    result = make(repo, "run", "PYTHON=python3-that-does-not-exist")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "python3-that-does-not-exist was not found: install Python 3.11 or newer" in result.stderr


def test_a_venv_made_by_another_interpreter_is_rebuilt(tmp_path: Path) -> None:
    repo = checkout(tmp_path)
    venv = repo / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "pyvenv.cfg").write_text(
        "home = /usr/local/old/bin\ninclude-system-site-packages = false\nversion = 3.10.12\n"
    )
    (venv / "bin" / "python").symlink_to("/usr/local/old/bin/python3.10")
    (venv / ".installed-run").touch()  # newer than the lock: make alone would call it up to date
    result = make(repo, "-n", "run")
    assert result.returncode == 0, result.stderr
    assert "note: rebuilding .venv: it was made by Python 3.10 in /usr/local/old/bin" in result.stderr
    commands = result.stdout.splitlines()
    assert "python3 -m venv .venv" in commands[0]
    assert any("-r requirements/run.txt" in c for c in commands)
    assert commands[-1] == ".venv/bin/python main.py"


def test_a_venv_made_by_this_interpreter_is_kept(tmp_path: Path) -> None:
    repo = checkout(tmp_path)
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", repo / ".venv"], check=True)
    (repo / ".venv" / ".installed-run").touch()
    result = make(repo, "-n", "run", f"PYTHON={sys.executable}")
    assert result.returncode == 0, result.stderr
    assert "rebuilding" not in result.stderr
    assert result.stdout.splitlines() == [".venv/bin/python main.py"]


def test_make_run_installs_only_the_runtime_pins(tmp_path: Path) -> None:
    result = make(checkout(tmp_path), "-n", "run")
    assert result.returncode == 0, result.stderr
    assert "-r requirements/run.txt" in result.stdout
    assert "dev.txt" not in result.stdout
    assert "--no-deps" in result.stdout  # the pins are the whole story: pip resolves nothing
    for tool in DEV_TOOLS:
        assert not re.search(rf"^{tool}==", (ROOT / "requirements" / "run.txt").read_text(), re.MULTILINE), (
            tool
        )


def test_make_test_installs_the_dev_pins(tmp_path: Path) -> None:
    result = make(checkout(tmp_path), "-n", "test")
    assert result.returncode == 0, result.stderr
    assert "-r requirements/dev.txt" in result.stdout
    assert result.stdout.splitlines()[-1] == ".venv/bin/python -m pytest"


def test_the_interpreter_check_keeps_to_python_36_syntax() -> None:
    """It must run on an old python3 to say that it is old, so nothing newer than 3.6 may appear."""
    import ast

    source = (ROOT / "deploy" / "check_python.py").read_text()
    tree = ast.parse(source, feature_version=(3, 6))
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.NamedExpr)]
    assert "from __future__ import annotations" not in source  # 3.7+


# -- the lock files ---------------------------------------------------------------------------------
def read_lock(name: str) -> dict[str, tuple[str, str]]:
    """{canonical name: (version, marker)} from a requirements/*.txt written by uv pip compile."""
    pins: dict[str, tuple[str, str]] = {}
    for line in (ROOT / "requirements" / name).read_text().splitlines():
        if not line or line.startswith(("#", " ")):
            continue
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)(?:\s*;\s*(.+))?", line)
        assert match is not None, f"{name}: {line!r} is not a pin"
        pins[canonicalize_name(match[1])] = (match[2], match[3] or "")
    return pins


def applies_here(marker: str) -> bool:
    return not marker or Requirement(f"x; {marker}").marker.evaluate()  # type: ignore[union-attr]


def direct_requirements(extras: Iterable[str]) -> list[Requirement]:
    """pyproject's dependencies plus the extras, following `cliffhanger[test]` self-references."""
    project = PYPROJECT["project"]
    out = [Requirement(r) for r in project["dependencies"]]
    todo, seen = list(extras), set()
    while todo:
        extra = todo.pop()
        if extra in seen:
            continue
        seen.add(extra)
        for raw in project["optional-dependencies"][extra]:
            requirement = Requirement(raw)
            if canonicalize_name(requirement.name) == canonicalize_name(project["name"]):
                todo += requirement.extras
            else:
                out.append(requirement)
    return out


def closure(direct: list[Requirement]) -> set[str]:
    """Every distribution the direct requirements pull in on this interpreter, per installed metadata."""
    found: set[str] = set()
    todo = [(r, "") for r in direct]
    while todo:
        requirement, extra = todo.pop()
        if requirement.marker is not None and not requirement.marker.evaluate({"extra": extra}):
            continue
        name = canonicalize_name(requirement.name)
        key = f"{name}[{','.join(sorted(requirement.extras))}]"
        if key in found:
            continue
        found.add(key)
        for raw in metadata.distribution(name).requires or []:
            for wanted in ("", *requirement.extras):
                todo.append((Requirement(raw), wanted))
    return {key.split("[")[0] for key in found}


@pytest.mark.parametrize(("lock", "extras"), [("run.txt", []), ("dev.txt", ["dev"])])
def test_the_lock_pins_exactly_what_pyproject_asks_for(lock: str, extras: list[str]) -> None:
    pins = read_lock(lock)
    direct = direct_requirements(extras)
    for requirement in direct:
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is in pyproject.toml but not in requirements/{lock}: make lock"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (
            f"requirements/{lock} pins {name}=={pins[name][0]}, outside pyproject's {requirement}: make lock"
        )
    here = {name for name, (_, marker) in pins.items() if applies_here(marker)}
    wanted = closure(direct)
    assert here - wanted == set(), f"requirements/{lock} pins what nothing needs any more: make lock"
    assert wanted - here == set(), f"requirements/{lock} is missing what pyproject's packages need: make lock"


def test_the_venv_runs_the_pinned_versions() -> None:
    for name, (version, marker) in read_lock("dev.txt").items():
        if applies_here(marker):
            assert metadata.version(name) == version, (
                f"{name}: make test reinstalls from requirements/dev.txt"
            )


def test_the_run_and_dev_locks_agree() -> None:
    dev = read_lock("dev.txt")
    for name, (version, _) in read_lock("run.txt").items():
        assert dev[name][0] == version, name
    assert dev.keys() >= DEV_TOOLS
    assert not DEV_TOOLS & read_lock("run.txt").keys()


@pytest.mark.parametrize("lock", ["run.txt", "dev.txt"])
def test_the_lock_is_what_uv_resolves_from_pyproject(tmp_path: Path, lock: str) -> None:
    """Re-run the command recorded in the lock's header, keeping its pins: nothing may change.

    This is the check that catches any drift between pyproject.toml and the lock; it needs PyPI.
    """
    text = (ROOT / "requirements" / lock).read_text()
    header = re.search(r"^#\s+uv pip compile (.+)$", text, re.MULTILINE)
    assert header is not None, f"requirements/{lock} was not written by `make lock`"
    args = header[1].split()
    args = [a for a in args if a not in ("--upgrade", "-U")]
    out = tmp_path / lock
    shutil.copy(ROOT / "requirements" / lock, out)
    args[args.index("-o") + 1] = str(out)
    uv = Path(sys.executable).with_name("uv")
    result = subprocess.run(
        [uv, "pip", "compile", "--quiet", *args],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0 and re.search(
        r"Failed to fetch|dns error|error sending request|Could not connect|network|timed out",
        result.stderr,
        re.I,
    ):
        pytest.skip(f"uv could not reach the package index: {result.stderr.strip().splitlines()[0]}")
    assert result.returncode == 0, result.stderr

    def body(lock_text: str) -> str:
        return "\n".join(
            line for line in lock_text.splitlines() if not line.startswith("#    uv pip compile")
        )

    assert body(out.read_text()) == body(text), f"requirements/{lock} is stale: run make lock and commit it"


def test_the_bot_imports_only_what_the_runtime_lock_installs() -> None:
    """`make run` and the image install requirements/run.txt alone: a module that only the dev lock
    brings (pytest, packaging...) must not be imported by the bot's own code."""
    import ast

    runtime = set(read_lock("run.txt"))
    first_party = {"bot", "cogs", "main"}
    providers = metadata.packages_distributions()
    for source in [ROOT / "main.py", *(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")]:
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in first_party:
                    continue
                dists = {canonicalize_name(d) for d in providers.get(top, [])}
                assert dists & runtime, (
                    f"{source.relative_to(ROOT)} imports {top}, which requirements/run.txt lacks"
                )


# -- git --------------------------------------------------------------------------------------------
def test_every_file_the_bot_writes_under_data_is_ignored_by_git() -> None:
    from bot.config import DEFAULT_DATABASE_PATH
    from bot.lock import InstanceLock

    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    written = [
        DEFAULT_DATABASE_PATH,
        Path(f"{DEFAULT_DATABASE_PATH}-wal"),
        Path(f"{DEFAULT_DATABASE_PATH}-shm"),
        InstanceLock(DEFAULT_DATABASE_PATH).path,
        DEFAULT_DATABASE_PATH.parent / "backups" / "20250117-210000-v5.db",
    ]
    result = subprocess.run(
        [git, "check-ignore", "--no-index", "--verbose", "--non-matching", *map(str, written)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    not_ignored = [line.split("\t")[-1] for line in result.stdout.splitlines() if line.startswith("::")]
    assert not_ignored == [], f"git would offer to commit {not_ignored}"
