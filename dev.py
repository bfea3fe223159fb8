#!/usr/bin/env python3
"""Engage's two commands for a fresh machine with only Python 3.11+ (standard library only).

python3 dev.py up      install into .venv, start embedded PostgreSQL, load demo data,
                       print a token and serve on http://127.0.0.1:8000
python3 dev.py test    install into .venv (with test tools) and run the whole test suite
python3 dev.py check   lint, format, strict typing and migration drift (what CI adds)
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / "python"


def run(*args: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(a) for a in args), flush=True)
    completed = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if completed.returncode != 0:
        sys.exit(completed.returncode)


def ensure_installed(extras: str) -> None:
    """Create .venv and install Engage (editable) unless pyproject.toml is unchanged."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py itself may run on an older Python)
        sys.exit("Engage needs Python 3.11 or newer")
    if not PYTHON.exists():
        venv.create(VENV, with_pip=True)
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    stamp = VENV / ".engage-installed"
    if stamp.exists() and stamp.read_text() in (digest, digest + "+dev"):
        return
    target = f".[{extras}]" if extras else "."
    run(PYTHON, "-m", "pip", "install", "--quiet", "-e", target)
    stamp.write_text(digest)


def up(args: list[str]) -> None:
    ensure_installed("")
    host = os.environ.get("ENGAGE_HOST", "127.0.0.1")
    port = os.environ.get("ENGAGE_PORT", "8000")
    print(f"Engage on http://{host}:{port} (docs at /docs); the token to use is printed below.")
    run(BIN / "engage", "serve", "--demo", "--host", host, "--port", port, *args)


def test(args: list[str]) -> None:
    ensure_installed("dev")
    run(PYTHON, "-m", "pytest", "-q", *args)


def check(_: list[str]) -> None:
    ensure_installed("dev")
    targets = ["app", "tests", "migrations", "bench", "dev.py"]
    run(BIN / "ruff", "check", *targets)
    run(BIN / "ruff", "format", "--check", *targets)
    run(BIN / "mypy", "--strict", "app")
    run(PYTHON, "-m", "tests.tools.alembic_check")


COMMANDS = {"up": up, "test": test, "check": check}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    COMMANDS[sys.argv[1]](sys.argv[2:])
