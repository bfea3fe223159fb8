"""Paths, defaults and small helpers shared by the loader and the runner."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from urllib.parse import urlunparse

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
RESULTS_DIR = BENCH_DIR / "results"
LUA_DIR = BENCH_DIR / "lua"
TOKENS_PATH = DATA_DIR / "tokens.json"

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_DATABASE = "engage_bench"
# The bench server's cursor secret: known, so the runner can sign the 10,000th page's cursor.
CURSOR_SECRET = "engage-bench-cursor-secret-not-for-production"


def server_url() -> str:
    return os.environ.get("BENCH_PG_SERVER", DEFAULT_SERVER).rstrip("/")


def database_dsn(database: str) -> str:
    """asyncpg DSN of `database` on the bench server."""
    parsed = urlparse(server_url())
    return urlunparse(parsed._replace(path="/" + database))


def engage_url(database: str) -> str:
    """The same database as Engage's ENGAGE_DATABASE_URL (SQLAlchemy + asyncpg)."""
    return database_dsn(database).replace("postgresql://", "postgresql+asyncpg://", 1)


def bench_token(label: str) -> str:
    """A deterministic token per bench user: tokens.json can always be rebuilt from the data.

    Same shape as app.core.security.new_token (`eng_` + 43 url-safe characters); only ever
    used against the dedicated bench database.
    """
    digest = hashlib.sha256(f"engage-bench-token:{label}".encode()).digest()
    return "eng_" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def migrations_digest() -> str:
    """What the loaded schema was built from: a changed migration means load again."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def read_tokens() -> dict[str, Any]:
    if not TOKENS_PATH.exists():
        raise SystemExit(f"{TOKENS_PATH} is missing: run `python -m bench load` first")
    data: dict[str, Any] = json.loads(TOKENS_PATH.read_text())
    return data
