"""Several Engage processes on one PostgreSQL are safe: two `engage serve` processes start at once
(migrations under the advisory lock), and requests spread over both share one idempotency store,
one duplicate rule and one rate-limit budget."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import create_database
from tests.conftest import drop_database

ROOT = Path(__file__).resolve().parents[2]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _cli_token(env: dict[str, str], email: str) -> str:
    """An admin created with `engage users create`; its token is the last line printed."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "app.cli",
            "users",
            "create",
            "--email",
            email,
            "--name",
            "Ops",
            "--role",
            "admin",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip().splitlines()[-1]


@contextlib.contextmanager
def serving(env: dict[str, str], count: int = 2) -> Iterator[list[str]]:
    """`count` `engage serve` processes on the database of `env`, once all are ready."""
    ports = [_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--workers", "1", "--port", str(port)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port in ports
    ]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    try:
        deadline = time.monotonic() + 60
        for base in bases:
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "engage serve did not become ready"
                time.sleep(0.2)
        yield bases
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=20)


@pytest.fixture(scope="module")
def two_processes() -> Iterator[tuple[list[str], list[str]]]:
    url = asyncio.run(create_database("engage_scale"))
    env = {
        **os.environ,
        "ENGAGE_DATABASE_URL": url,
        "ENGAGE_RATE_LIMIT_PER_MINUTE": "6",
        "ENGAGE_ENVIRONMENT": "test",
    }
    try:
        tokens = [_cli_token(env, f"ops{i}@example.com") for i in range(2)]
        with serving(env) as bases:
            yield bases, tokens
    finally:
        asyncio.run(drop_database(url))


def test_two_processes_share_idempotency_duplicates_and_rate_limits(
    two_processes: tuple[list[str], list[str]],
) -> None:
    (a, b), (token, _) = two_processes
    left = 60 - time.time() % 60
    if left < 15:
        time.sleep(left + 0.1)
    auth = {"Authorization": f"Bearer {token}"}
    key = {**auth, "Idempotency-Key": f"scale-{uuid.uuid4()}"}
    body = {"email": "pat@scale.example", "first_name": "Pat"}
    with httpx.Client(timeout=10) as client:
        first = client.post(f"{a}/api/v1/leads", json=body, headers=key)
        replay = client.post(f"{b}/api/v1/leads", json=body, headers=key)
        assert first.status_code == 201 and replay.status_code == 201
        assert replay.headers["idempotent-replayed"] == "true"
        assert replay.json()["id"] == first.json()["id"]
        # Without a key, the other process refuses the same open email.
        duplicate = client.post(
            f"{b}/api/v1/leads", json={"email": "PAT@scale.example"}, headers=auth
        )
        assert (
            duplicate.status_code == 409 and duplicate.json()["existing_id"] == first.json()["id"]
        )
        # One budget of 6 a minute across both processes (3 spent above, in this window:
        # the module's requests start clear of the window's end).
        statuses = [
            client.get(f"{(a, b)[i % 2]}/api/v1/me", headers=auth).status_code for i in range(5)
        ]
        assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


async def test_concurrent_creates_across_processes_give_one_lead(
    two_processes: tuple[list[str], list[str]],
) -> None:
    (a, b), (_, token) = two_processes
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10) as client:
        results = await asyncio.gather(
            client.post(f"{a}/api/v1/leads", json={"email": "race@scale.example"}, headers=auth),
            client.post(f"{b}/api/v1/leads", json={"email": "race@scale.example"}, headers=auth),
        )
    assert sorted(r.status_code for r in results) == [201, 409]
