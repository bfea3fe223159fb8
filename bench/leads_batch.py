"""Throughput of `POST /api/v1/leads/batch`: 1000-item batches of new leads, in leads per second.

Creates a throwaway database on a PostgreSQL server, migrates it, makes an integration user and
token, serves Engage with uvicorn (one worker) and posts batches one after another over HTTP.
Not part of the test suite.

    PYTHONPATH=$PWD python bench/leads_batch.py \
        --server postgresql+asyncpg://postgres@127.0.0.1:5432/postgres --batches 20

`--updates` makes half of every batch after the first re-send the previous batch's external
ids with a new title (updates, each a `lead.updated` event); `--webhooks N` subscribes N
webhooks to the batch's event types, so every event also queues N deliveries (the worker is
not running: they only queue).

`--custom` defines three lead custom fields (`lead_score` number, `tier` select, `renewal_on`
date) and alternates batches whose every item carries a value of each with the same batches
without them (the fields defined either way), reporting both medians and their ratio:
alternating on the same server and database keeps other load on the machine from favouring
one side.

    PYTHONPATH=$PWD python bench/leads_batch.py --batches 40 --custom
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.config import Settings
from app.core.db import create_engine
from app.core.db import create_session_factory
from app.core.migrate import upgrade_on
from app.custom_fields import service as custom_fields
from app.custom_fields.schemas import CustomFieldCreate
from app.users import service as users_service
from app.users.schemas import TokenCreate
from app.users.schemas import UserCreate

CUSTOM_FIELDS = [
    {"object": "lead", "key": "lead_score", "label": "Lead score", "type": "number"},
    {
        "object": "lead",
        "key": "tier",
        "label": "Tier",
        "type": "select",
        "options": ["a", "b", "c"],
    },
    {"object": "lead", "key": "renewal_on", "label": "Renewal", "type": "date"},
]


def custom_values(i: int) -> dict[str, object]:
    return {
        "lead_score": i % 100,
        "tier": "abc"[i % 3],
        "renewal_on": f"2027-{1 + i % 12:02d}-{1 + i % 28:02d}",
    }


async def prepare(server: str, webhooks: int = 0, custom: bool = False) -> tuple[str, str]:
    name = f"engage_bench_{uuid.uuid4().hex[:8]}"
    admin = create_async_engine(make_url(server), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_on)
    await engine.dispose()
    engine = create_engine(url, Settings(database_url=url))
    async with create_session_factory(engine)() as session:
        user = await users_service.create_user(
            session,
            None,
            UserCreate(
                email="bench@bench.example", name="Bench", role="integration", source="bench"
            ),
        )
        _, token = await users_service.create_token(session, None, user.id, TokenCreate())
        for n in range(webhooks):
            await session.execute(
                text(
                    "INSERT INTO webhooks (url, event_types, secret, created_by) "
                    "VALUES (:url, ARRAY['lead.created', 'lead.updated'], 'whsec_bench', :by)"
                ),
                {"url": f"https://hooks{n}.example.invalid/engage", "by": user.id},
            )
        for definition in CUSTOM_FIELDS if custom else []:
            await custom_fields.create_field(
                session, None, CustomFieldCreate.model_validate(definition)
            )
        await session.commit()
    await engine.dispose()
    return url, token


async def drop(url: str) -> None:
    target = make_url(url)
    admin = create_async_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    await admin.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def batch(number: int, size: int, updates: bool = False, custom: bool = False) -> dict[str, object]:
    """New leads; with `updates`, the first half re-sends external ids of the previous
    batch with a new title (an update of each); with `custom`, every new lead carries three
    custom field values."""
    resent = size // 2 if updates and number > 0 else 0
    # The previous batch always created its second half.
    items: list[dict[str, object]] = [
        {
            "email": f"lead{number - 1}-{i}@company{i % 97}.example",
            "external_id": f"b{number - 1}-{i}",
            "title": f"VP {number}",
        }
        for i in range(size - resent, size)
    ]
    items += [
        {
            "email": f"lead{number}-{i}@company{i % 97}.example",
            "first_name": f"First{i}",
            "last_name": f"Last{i}",
            "company": f"Company {i % 97}",
            "title": "Director of Engineering",
            "external_id": f"b{number}-{i}",
            "inbound": i % 2 == 0,
            **({"custom": custom_values(i)} if custom else {}),
        }
        for i in range(resent, size)
    ]
    return {"items": items}


def worker_cpu(pid: int) -> float:
    """CPU seconds (user + system) the server process has used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


Timings = tuple[list[float], list[float]]


def run(
    base: str,
    token: str,
    batches: int,
    size: int,
    updates: bool = False,
    custom: bool = False,
    pid: int | None = None,
) -> tuple[Timings, Timings]:
    """Seconds per batch, wall clock and the server's CPU, each as (plain batches, batches
    with custom values). With `custom` odd batches carry the values; the first batch of
    each kind is a warm-up."""
    headers = {"Authorization": f"Bearer {token}"}
    with_custom = [custom and n % 2 == 1 for n in range(batches + 2)]
    bodies = [batch(n, size, updates, with_custom[n]) for n in range(batches + 2)]
    timings: Timings = ([], [])
    cpu: Timings = ([], [])
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        client.post("/api/v1/leads/batch", json=bodies[0]).raise_for_status()  # warm-up
        client.post("/api/v1/leads/batch", json=bodies[1]).raise_for_status()
        for n, body in enumerate(bodies[2:], start=2):
            started, cpu_before = time.perf_counter(), worker_cpu(pid) if pid else 0.0
            r = client.post("/api/v1/leads/batch", json=body)
            timings[with_custom[n]].append(time.perf_counter() - started)
            cpu[with_custom[n]].append((worker_cpu(pid) if pid else 0.0) - cpu_before)
            r.raise_for_status()
            counts = r.json()["counts"]
            resent = size // 2 if updates else 0
            assert counts["created"] == size - resent, r.text[:500]
            assert counts["updated"] == resent, r.text[:500]
    return timings, cpu


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--server",
        default=os.environ.get(
            "ENGAGE_BENCH_SERVER", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--updates", action="store_true", help="half of each batch updates")
    parser.add_argument("--webhooks", type=int, default=0, help="subscriptions to queue for")
    parser.add_argument(
        "--custom", action="store_true", help="alternate batches with three custom values"
    )
    args = parser.parse_args()

    url, token = asyncio.run(prepare(args.server, args.webhooks, args.custom))
    port = free_port()
    env = {**os.environ, "ENGAGE_DATABASE_URL": url, "ENGAGE_RATE_LIMIT_PER_MINUTE": "0"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:create_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        (plain, custom), (plain_cpu, custom_cpu) = run(
            base, token, args.batches, args.size, args.updates, args.custom, server.pid
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
        asyncio.run(drop(url))
    kind = "leads (half updates)" if args.updates else "new leads"
    print(
        f"{args.batches} batches of {args.size} {kind} over HTTP, one uvicorn worker, "
        f"{args.webhooks} webhooks"
    )
    kinds = (
        ("without custom values", plain, plain_cpu),
        ("with 3 custom values", custom, custom_cpu),
    )
    for label, timings, cpu in kinds:
        if timings:
            print(
                f"{label}: {len(timings)} batches, median "
                f"{statistics.median(timings) * 1000:.0f} ms per batch, max "
                f"{max(timings) * 1000:.0f} ms, "
                f"{len(timings) * args.size / sum(timings):.0f} leads/second; worker CPU "
                f"{statistics.mean(cpu) * 1000:.1f} ms per batch (mean: /proc counts 10 ms ticks)"
            )
    if plain and custom:
        ratio = statistics.median(custom) / statistics.median(plain)
        print(f"custom / plain median time: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")
        ratio = statistics.mean(custom_cpu) / statistics.mean(plain_cpu)
        print(f"custom / plain mean worker CPU: {ratio:.3f} ({(ratio - 1) * 100:+.1f}%)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
