"""The scenarios: one Engage worker and the ceiling app on loopback, driven by wrk.

For each scenario: is the endpoint in Engage's OpenAPI document, does one probe request answer
2xx, then a warm-up, then a bounded wrk run whose Lua `done()` prints one JSON line (requests,
errors, latency percentiles). The worker's RSS is read from /proc after every scenario and after
the whole run. A missing endpoint is recorded as skipped, never a crash.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import asyncpg

from app.forecasts.fiscal import period_for
from bench import profiles
from bench import report
from bench import search
from bench import timeline
from bench.common import CURSOR_SECRET
from bench.common import DATA_DIR
from bench.common import LUA_DIR
from bench.common import RESULTS_DIR
from bench.common import ROOT
from bench.common import database_dsn
from bench.common import engage_url
from bench.common import migrations_digest
from bench.common import read_tokens
from bench.common import server_url

DEEP_PAGE = 10_000
PAGE_SIZE = 50
IDS_PER_REP = 50
DIAGRAM_LIMIT = 500


# --------------------------------------------------------------------------- servers


def machine_busy_percent(seconds: float = 1.0) -> float:
    """Share of all CPUs busy over `seconds`, read from /proc/stat. Sampled while the bench is
    idle (after the worker drained), it is what other work on the machine takes."""

    def snapshot() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return sum(values), idle

    total_a, idle_a = snapshot()
    time.sleep(seconds)
    total_b, idle_b = snapshot()
    total = total_b - total_a
    return round(100 * (1 - (idle_b - idle_a) / total), 1) if total else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.log_path = DATA_DIR / f"{self.name}.log"
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer /healthz within {timeout:.0f} s")

    def worker_pid(self) -> int | None:
        """The process serving requests: uvicorn's only process with --workers 1, else the
        first child of the supervisor."""
        if self.process is None:
            return None
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        try:
            kids = children.read_text().split()
        except OSError:
            kids = []
        return int(kids[0]) if kids else pid

    def rss_mb(self) -> float | None:
        pid = self.worker_pid()
        if pid is None:
            return None
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return round(int(line.split()[1]) / 1024, 1)
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float:
        pid = self.worker_pid()
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return 0.0
        # utime and stime are fields 14 and 15 of /proc/<pid>/stat (11 and 12 after the name)
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def wait_idle(self, dsn: str, timeout: float = 300.0) -> float:
        """Wait until the requests wrk left behind are done: when wrk stops, up to one request
        per connection is still queued in the worker, and for a slow endpoint that backlog
        would be measured as the next run's latency. Idle = the worker used < 5% of a core
        over half a second and no statement of this database is running."""
        started = time.monotonic()

        async def active() -> int:
            conn = await asyncpg.connect(dsn)
            try:
                n: int = await conn.fetchval(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state <> 'idle' AND pid <> pg_backend_pid()"
                )
                return n
            finally:
                await conn.close()

        while time.monotonic() - started < timeout:
            before = self.cpu_seconds()
            time.sleep(0.5)
            if self.cpu_seconds() - before < 0.025 and asyncio.run(active()) == 0:
                break
        return round(time.monotonic() - started, 1)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def engage_server(
    database: str, extra_env: dict[str, str] | None = None, name: str = "engage"
) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "ENGAGE_DATABASE_URL": engage_url(database),
        # Rate limiting on, as served (every request spends from its user's budget), with a
        # budget no scenario exhausts: the VP alone sends thousands of requests a minute.
        "ENGAGE_RATE_LIMIT_PER_MINUTE": "10000000",
        "ENGAGE_CURSOR_SECRET": CURSOR_SECRET,
        "ENGAGE_ENVIRONMENT": "production",
        **(extra_env or {}),
    }
    argv = [sys.executable, "-m", "app.cli", "serve", "--workers", "1", "--port", str(port)]
    return Server(name, argv, env, port)


def ceiling_server(database: str) -> Server:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "BENCH_DSN": database_dsn(database)}
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.ceiling:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "info",
    ]
    return Server("ceiling", argv, env, port)


def http(
    base: str, path: str, token: str | None = None, method: str = "GET", body: bytes | None = None
) -> tuple[int, bytes, dict[str, str]]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), dict(exc.headers)


# --------------------------------------------------------------------------- wrk


@dataclass
class WrkOptions:
    duration: int
    warmup: int
    connections: int
    threads: int
    single: int = 10
    profile: bool = False


def run_wrk(
    base: str,
    script: str,
    args: Sequence[str],
    seconds: int,
    connections: int,
    threads: int,
) -> dict[str, Any]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    combined = DATA_DIR / f"wrk-{script}"
    combined.write_text((LUA_DIR / "report.lua").read_text() + (LUA_DIR / script).read_text())
    argv = [
        "wrk",
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "30s",
        "--latency",
        "-s",
        str(combined),
        base,
        "--",
        *args,
    ]
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 90)
    for line in completed.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            data: dict[str, Any] = json.loads(line.removeprefix("BENCH_RESULT "))
            data["wrk_text"] = completed.stdout
            return data
    raise RuntimeError(f"wrk printed no result: {completed.stdout}\n{completed.stderr}")


def summarise(raw: dict[str, Any]) -> dict[str, Any]:
    seconds = raw["duration_us"] / 1e6
    errors = sum(raw[k] for k in raw if k.startswith("errors_"))
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p95_ms": round(raw["p95_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["latency_max_us"] / 1000, 2),
        "errors": errors,
        "non_2xx": raw["errors_status"],
        "socket_errors": errors - raw["errors_status"],
    }


def cpu_per_request(cpu_seconds: float, requests: int) -> dict[str, Any]:
    """The worker's CPU time per completed request (requests still queued when wrk stopped
    are included in the CPU time, so it errs high by at most a connection's worth). Unlike
    req/s it hardly moves when other work shares the cores: it is what Engage itself costs."""
    if not requests:
        return {}
    return {"cpu_ms_per_request": round(cpu_seconds * 1000 / requests, 3)}


# --------------------------------------------------------------------------- scenarios


@dataclass
class Scenario:
    name: str
    title: str
    target: str
    server: str  # "engage" or "ceiling"
    route: tuple[str, str] | None  # (method, OpenAPI path) that must exist
    script: str = "rotate.lua"
    targets: list[tuple[str, str]] = field(default_factory=list)
    connections: int | None = None
    judge: Callable[[dict[str, Any], dict[str, dict[str, Any]]], bool | None] | None = None
    prepare: Callable[[Server, Scenario], str | None] | None = None  # returns a skip reason
    wrk_args: Callable[[Scenario, str], list[str]] | None = None
    after: Callable[[Scenario, dict[str, Any], str], None] | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    database: str
    tokens: dict[str, Any]
    by_id: list[tuple[str, str]]  # (opportunity id, rep token)
    rollup_period: str
    accuracy_period: str | None  # the quarter with the most weekly calls
    diagram_vertical: str | None
    diagram_accounts: int
    domains: list[str]
    opportunities: int
    dsn: str
    searches: dict[str, list[str]] = field(default_factory=dict)


async def gather_context(database: str, tokens: dict[str, Any]) -> Context:
    dsn = database_dsn(database)
    conn = await asyncpg.connect(dsn)
    try:
        reps = {r["id"]: r["token"] for r in tokens["reps"]}
        rows = await conn.fetch(
            """
            SELECT owner_id, id FROM (
              SELECT owner_id, id,
                     row_number() OVER (PARTITION BY owner_id ORDER BY md5(id::text)) AS n
              FROM opportunities) s
            WHERE n <= $1
            """,
            IDS_PER_REP,
        )
        by_id = [
            (str(r["id"]), reps[str(r["owner_id"])]) for r in rows if str(r["owner_id"]) in reps
        ]
        random.Random(1).shuffle(by_id)
        start_month = 1
        fiscal = await conn.fetchval("SELECT value FROM settings WHERE key = 'fiscal'")
        if fiscal:
            value = json.loads(fiscal) if isinstance(fiscal, str) else fiscal
            start_month = int(value.get("fiscal_year_start_month", 1))
        months = await conn.fetch(
            "SELECT date_trunc('month', close_date)::date AS m, count(*) AS n FROM opportunities"
            " WHERE close_date IS NOT NULL GROUP BY 1"
        )
        per_period: dict[str, int] = {}
        for row in months:
            label = period_for(row["m"], start_month).label
            per_period[label] = per_period.get(label, 0) + row["n"]
        rollup_period = max(per_period, key=lambda k: per_period[k], default="")
        accuracy_period = await conn.fetchval(
            "SELECT period FROM forecast_submissions GROUP BY 1 ORDER BY count(*) DESC, 1 DESC"
            " LIMIT 1"
        )
        verticals = await conn.fetch(
            "SELECT vertical, count(*) AS n FROM accounts WHERE territory_id = $1"
            " GROUP BY 1 ORDER BY 2 DESC, 1",
            uuid.UUID(tokens["big_territory_id"]),
        )
        fitting = [v for v in verticals if v["n"] <= DIAGRAM_LIMIT]
        domains = [
            r["domain"]
            for r in await conn.fetch(
                "SELECT domain FROM accounts WHERE domain LIKE 'acct-%' ORDER BY domain LIMIT 200"
            )
        ]
        opportunities = await conn.fetchval("SELECT count(*) FROM opportunities")
        searches = await search.queries(conn)
    finally:
        await conn.close()
    return Context(
        database=database,
        tokens=tokens,
        by_id=by_id,
        rollup_period=rollup_period,
        accuracy_period=accuracy_period,
        diagram_vertical=fitting[0]["vertical"] if fitting else None,
        diagram_accounts=fitting[0]["n"] if fitting else 0,
        domains=domains,
        opportunities=opportunities,
        dsn=dsn,
        searches=searches,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def resign_cursor(cursor: str, keys: list[Any]) -> str:
    """A cursor with the same endpoint/filter binding as `cursor`, positioned after `keys`.

    Mirrors app.core.pagination.encode_cursor: base64url(JSON {"b": digest, "k": keys} +
    the first 16 bytes of HMAC-SHA256 with the cursor secret). The digest (endpoint + filters)
    is taken from a cursor the endpoint itself issued, so it matches whatever filters the
    router binds.
    """
    raw = _b64decode(cursor)
    payload = json.loads(raw[:-16])
    new = json.dumps({"b": payload["b"], "k": keys}, separators=(",", ":")).encode()
    signature = hmac.new(CURSOR_SECRET.encode(), new, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(new + signature).decode().rstrip("=")


SORT_COLUMNS = {
    # column: SQL expression the list endpoint sorts by (nulls as the repository maps them)
    "created_at": "created_at",
    "updated_at": "updated_at",
    "name": "name",
    "close_date": "coalesce(close_date, '9999-12-31'::date)",
    "amount": "coalesce(amount, -1)",
}


async def deep_page_cursor(
    dsn: str, base: str, token: str, page: int
) -> tuple[str | None, str, dict[str, Any]]:
    """The cursor of page `page` of GET /api/v1/opportunities?limit=50 for this caller, built
    from page 1's cursor and the row at offset 50 * (page - 1) - 1 of the same keyset order.

    The caller must see every opportunity (the VP sees the whole data set, as does the admin).
    Returns (cursor or None, how, details); the caller verifies it against the API.
    """
    status, body, _ = http(base, f"/api/v1/opportunities?limit={PAGE_SIZE}", token)
    if status != 200:
        return None, f"page 1 answered {status}", {}
    first = json.loads(body)
    cursor = first.get("next_cursor")
    if not cursor:
        return None, "page 1 has no next_cursor", {}
    keys = json.loads(_b64decode(cursor)[:-16])["k"]
    last_id = uuid.UUID(keys[-1])
    conn = await asyncpg.connect(dsn)
    try:
        column = None
        if len(keys) == 1:
            column = "id"
        else:
            row = await conn.fetchrow(
                "SELECT "
                + ", ".join(f"{e} AS {c}" for c, e in SORT_COLUMNS.items())
                + " FROM opportunities WHERE id = $1",
                last_id,
            )
            for name in SORT_COLUMNS:
                if row is not None and _jsonable(row[name]) == keys[0]:
                    column = name
                    break
        if column is None:
            return None, f"cannot tell the sort key of cursor keys {keys!r}", {}
        ids = [uuid.UUID(item["id"]) for item in first["items"][:2]]
        expression = "id" if column == "id" else SORT_COLUMNS[column]
        order = await conn.fetch(
            f"SELECT id, {expression} AS k FROM opportunities WHERE id = ANY($1::uuid[])", ids
        )
        values = {r["id"]: r["k"] for r in order}
        a, b = (values[ids[0]], ids[0]), (values[ids[1]], ids[1])
        descending = a > b
        direction = "DESC" if descending else "ASC"
        offset = PAGE_SIZE * (page - 1) - 1
        select = "id" if column == "id" else f"{expression} AS k, id"
        row = await conn.fetchrow(
            f"SELECT {select} FROM opportunities ORDER BY {expression} {direction}, id {direction}"
            f" OFFSET {offset} LIMIT 1"
        )
        expected = await conn.fetchval(
            f"SELECT id FROM opportunities ORDER BY {expression} {direction}, id {direction}"
            f" OFFSET {offset + 1} LIMIT 1"
        )
    finally:
        await conn.close()
    if row is None:
        return None, f"fewer than {offset + 1} opportunities", {}
    new_keys = [str(row["id"])] if column == "id" else [_jsonable(row["k"]), str(row["id"])]
    how = (
        f"page 1's cursor re-signed with the keys of row {offset + 1:,} in "
        f"({column} {direction.lower()}, id) order"
    )
    return resign_cursor(cursor, new_keys), how, {"expected_first_id": str(expected)}


def build_scenarios(ctx: Context, options: WrkOptions, batch_connections: int) -> list[Scenario]:
    tokens = ctx.tokens
    vp = tokens["vp"]["token"]
    admin = tokens["admin"]["token"]
    owner = next(r for r in tokens["reps"] if r["email"] == tokens["big_territory_owner"])
    rep_tokens = [r["token"] for r in tokens["reps"]]
    manager_tokens = [m["token"] for m in tokens["managers"]]
    big = tokens["big_territory_id"]
    pages = ctx.opportunities // PAGE_SIZE
    deep = min(DEEP_PAGE, max(2, pages - 1))

    def p99_below(ms: float) -> Callable[[dict[str, Any], dict[str, dict[str, Any]]], bool]:
        return lambda r, _all: r["p99_ms"] < ms

    def p95_below(ms: float) -> Callable[[dict[str, Any], dict[str, dict[str, Any]]], bool]:
        return lambda r, _all: r["p95_ms"] < ms

    def of_the_ceiling(
        ratio: float, p99_ms: float | None = None
    ) -> Callable[[dict[str, Any], dict[str, dict[str, Any]]], bool | None]:
        """Engage's req/s over the ceiling's, the ceiling measured before and after Engage's
        runs (their mean): the machine is shared, so both sides of a ratio see the same load."""

        def judge(r: dict[str, Any], every: dict[str, dict[str, Any]]) -> bool | None:
            runs = [
                every.get(name, {}) for name in ("ceiling_get_by_id", "ceiling_get_by_id_after")
            ]
            rates = [c["rps"] for c in runs if c.get("status") == "measured" and c.get("rps")]
            if not rates:
                return None
            r["ceiling_ratio"] = round(r["rps"] / (sum(rates) / len(rates)), 3)
            return r["ceiling_ratio"] >= ratio and (p99_ms is None or r["p99_ms"] < p99_ms)

        return judge

    half_the_ceiling = of_the_ceiling(0.5, 50)

    def deep_prepare(token: str) -> Callable[[Server, Scenario], str | None]:
        def prepare(server: Server, scenario: Scenario) -> str | None:
            cursor, how, details = asyncio.run(deep_page_cursor(ctx.dsn, server.base, token, deep))
            if cursor is None:
                return how
            path = f"/api/v1/opportunities?limit={PAGE_SIZE}&cursor={cursor}"
            status, body, _ = http(server.base, path, token)
            if status != 200:
                return f"page {deep:,} answered {status}: {body[:200]!r}"
            items = json.loads(body)["items"]
            if not items or items[0]["id"] != details["expected_first_id"]:
                got = items[0]["id"] if items else None
                return f"constructed cursor landed wrong: first id {got}, expected {details}"
            scenario.targets = [(path, token)]
            scenario.extra.update(page=deep, cursor_how=how + "; verified against the API")
            return None

        return prepare

    def batch_args(scenario: Scenario, run_id: str) -> list[str]:
        domains_file = DATA_DIR / "domains.txt"
        domains_file.write_text("\n".join(ctx.domains or ["pushed.example.net"]) + "\n")
        return [tokens["integration"]["token"], run_id, str(domains_file)]

    def batch_after(scenario: Scenario, result: dict[str, Any], run_id: str) -> None:
        async def count() -> int:
            conn = await asyncpg.connect(ctx.dsn)
            try:
                n: int = await conn.fetchval(
                    "SELECT count(*) FROM leads WHERE external_id LIKE $1", f"push-{run_id}-%"
                )
                return n
            finally:
                await conn.close()

        # Leads/s from the answered requests (each 1000 new leads); the database count checks
        # them (it can be higher by the requests still in flight when wrk stopped).
        answered = result["requests"] - result["non_2xx"]
        result["leads_in_database"] = asyncio.run(count())
        result["leads_per_s"] = round(answered * 1000 / result["seconds"], 1)
        if result["leads_in_database"] < answered * 1000:
            result["errors"] += 1
            result["verdict_note"] = "fewer leads in the database than answered"

    per_rep_ids = [(f"/api/v1/opportunities/{oid}", tok) for oid, tok in ctx.by_id]
    ceiling_ids = [(f"/opportunities/{oid}", "") for oid, _ in ctx.by_id]
    return [
        Scenario(
            "ceiling_get_by_id",
            "ceiling: GET /opportunities/{id} (Starlette + asyncpg)",
            "(the ceiling)",
            "ceiling",
            None,
            targets=ceiling_ids,
        ),
        Scenario(
            "me",
            "GET /api/v1/me (auth + framework floor), rep tokens",
            ">= 0.6x ceiling req/s",
            "engage",
            ("get", "/api/v1/me"),
            targets=[("/api/v1/me", t) for t in rep_tokens],
            judge=of_the_ceiling(0.6),
        ),
        Scenario(
            "get_by_id_rep",
            "GET /api/v1/opportunities/{id}, rep token, visibility enforced",
            ">= 0.5x ceiling req/s; p99 < 50 ms",
            "engage",
            ("get", "/api/v1/opportunities/{id}"),
            targets=per_rep_ids,
            judge=half_the_ceiling,
        ),
        Scenario(
            "get_by_id_rep_64",
            "GET /api/v1/opportunities/{id} at 64 connections (more than the pool's 20)",
            "zero errors",
            "engage",
            ("get", "/api/v1/opportunities/{id}"),
            targets=per_rep_ids,
            connections=64,
            judge=of_the_ceiling(0.0),
        ),
        Scenario(
            "ceiling_get_by_id_after",
            "ceiling again, after Engage's reads (the ratios use the mean of both)",
            "(the ceiling)",
            "ceiling",
            None,
            targets=ceiling_ids,
        ),
        Scenario(
            "list_first_page_rep",
            "GET /api/v1/opportunities?limit=50, page 1, rep tokens",
            "p99 < 80 ms",
            "engage",
            ("get", "/api/v1/opportunities"),
            targets=[(f"/api/v1/opportunities?limit={PAGE_SIZE}", t) for t in rep_tokens],
            judge=p99_below(80),
        ),
        Scenario(
            "list_first_page_vp",
            "GET /api/v1/opportunities?limit=50, page 1, VP (sees all)",
            "p99 < 80 ms",
            "engage",
            ("get", "/api/v1/opportunities"),
            targets=[(f"/api/v1/opportunities?limit={PAGE_SIZE}", vp)],
            judge=p99_below(80),
        ),
        Scenario(
            "list_deep_page_vp",
            f"GET /api/v1/opportunities?limit=50, page {deep:,}, VP (sees all)",
            "p99 < 80 ms",
            "engage",
            ("get", "/api/v1/opportunities"),
            judge=p99_below(80),
            prepare=deep_prepare(vp),
        ),
        Scenario(
            "list_deep_page_admin",
            f"GET /api/v1/opportunities?limit=50, page {deep:,}, admin",
            "p99 < 80 ms",
            "engage",
            ("get", "/api/v1/opportunities"),
            judge=p99_below(80),
            prepare=deep_prepare(admin),
        ),
        Scenario(
            "rollup_vp",
            f"GET /api/v1/forecasts/rollup?period={ctx.rollup_period}, VP over "
            f"{ctx.opportunities:,} opportunities",
            "p95 < 100 ms",
            "engage",
            ("get", "/api/v1/forecasts/rollup"),
            targets=[(f"/api/v1/forecasts/rollup?period={ctx.rollup_period}", vp)],
            judge=p95_below(100),
        ),
        Scenario(
            "rollup_managers",
            f"GET /api/v1/forecasts/rollup?period={ctx.rollup_period}, 20 first-line managers",
            "(no target; p95 < 100 ms like the VP's)",
            "engage",
            ("get", "/api/v1/forecasts/rollup"),
            targets=[
                (f"/api/v1/forecasts/rollup?period={ctx.rollup_period}", t) for t in manager_tokens
            ],
        ),
        Scenario(
            "accuracy_managers",
            f"GET /api/v1/forecasts/accuracy?period={ctx.accuracy_period}, 20 first-line "
            "managers, each with a year of weekly calls",
            "p95 < 100 ms",
            "engage",
            ("get", "/api/v1/forecasts/accuracy"),
            targets=[
                (f"/api/v1/forecasts/accuracy?period={ctx.accuracy_period}", t)
                for t in manager_tokens
            ],
            judge=p95_below(100),
            prepare=lambda _server, _scenario: (
                None if ctx.accuracy_period else "no forecast submissions loaded"
            ),
        ),
        Scenario(
            "territory_analysis",
            "GET /api/v1/territories/{id}/analysis, 2,000 accounts x 20 units",
            "p95 < 150 ms",
            "engage",
            ("get", "/api/v1/territories/{id}/analysis"),
            targets=[(f"/api/v1/territories/{big}/analysis", owner["token"])],
            judge=p95_below(150),
        ),
        Scenario(
            "territory_diagram",
            f"GET /api/v1/territories/{{id}}/diagram?vertical={ctx.diagram_vertical} "
            f"({ctx.diagram_accounts} accounts x 20 units)",
            "< 500 ms (judged on p99)",
            "engage",
            ("get", "/api/v1/territories/{id}/diagram"),
            targets=[
                (
                    f"/api/v1/territories/{big}/diagram?vertical={ctx.diagram_vertical}",
                    owner["token"],
                )
            ],
            judge=p99_below(500),
            note="the whole 2,000-account territory answers 422 (more than 500 accounts, "
            "API.md section 3), so the diagram is measured for one vertical",
        ),
        *search.scenarios(ctx.searches, tokens, p95_below, Scenario),
        *timeline.scenarios(ctx.dsn, tokens, p95_below, Scenario, http),
        # Last: each run inserts some 200,000 leads, which would slow the searches and
        # timelines measured after it (and the next run's) on a scale-0.05 data set.
        Scenario(
            "leads_batch",
            "POST /api/v1/leads/batch, 1000 new leads per request",
            ">= 20,000 leads/s",
            "engage",
            ("post", "/api/v1/leads/batch"),
            script="leads_batch.lua",
            connections=batch_connections,
            judge=lambda r, _all: r.get("leads_per_s", 0) >= 20_000,
            wrk_args=batch_args,
            after=batch_after,
        ),
    ]


def scenario_names() -> list[str]:
    return [
        "ceiling_get_by_id",
        "me",
        "get_by_id_rep",
        "get_by_id_rep_64",
        "ceiling_get_by_id_after",
        "list_first_page_rep",
        "list_first_page_vp",
        "list_deep_page_vp",
        "list_deep_page_admin",
        "rollup_vp",
        "rollup_managers",
        "accuracy_managers",
        "territory_analysis",
        "territory_diagram",
        *search.NAMES,
        *timeline.NAMES,
        "leads_batch",
        *(v[0] for v in VARIANTS),
    ]


def openapi_routes(server: Server) -> set[tuple[str, str]]:
    status, body, _ = http(server.base, "/openapi.json")
    if status != 200:
        return set()
    paths = json.loads(body).get("paths", {})
    return {(method.lower(), _template(path)) for path, ops in paths.items() for method in ops}


def _template(path: str) -> str:
    """`/territories/{territory_id}/analysis` and `/territories/{id}/analysis` are one route."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def run_scenario(
    scenario: Scenario,
    server: Server,
    routes: set[tuple[str, str]] | None,
    options: WrkOptions,
    every: dict[str, dict[str, Any]],
    dsn: str,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "name": scenario.name,
        "title": scenario.title,
        "target": scenario.target,
        "note": scenario.note,
    }
    print(f"- {scenario.name}: {scenario.title}", flush=True)
    route = (scenario.route[0], _template(scenario.route[1])) if scenario.route else None
    if routes is not None and route is not None and route not in routes:
        reason = f"endpoint not available (404): {scenario.route[0].upper()} {scenario.route[1]}"
        print(f"  skipped: {reason}", flush=True)
        return {**record, "status": "skipped", "reason": reason}
    if scenario.prepare is not None:
        reason = scenario.prepare(server, scenario)
        if reason:
            print(f"  skipped: {reason}", flush=True)
            return {**record, "status": "skipped", "reason": reason}
    run_id = secrets.token_hex(4)
    scenario.extra["run_id"] = run_id
    if scenario.script == "rotate.lua":
        path, token = scenario.targets[0]
        status, body, _ = http(server.base, path, token or None)
        if not 200 <= status < 300:
            reason = f"probe answered {status}: {body[:300].decode(errors='replace')}"
            print(f"  skipped: {reason}", flush=True)
            return {**record, "status": "skipped", "reason": reason}
        targets_file = DATA_DIR / f"targets-{scenario.name}.tsv"
        targets_file.write_text("".join(f"{p}\t{t}\n" for p, t in scenario.targets))
        args_for = lambda _run: [str(targets_file)]  # noqa: E731
    else:
        assert scenario.wrk_args is not None
        probe_args = scenario.wrk_args(scenario, "probe")
        status, body, _ = http(
            server.base,
            "/api/v1/leads/batch",
            probe_args[0],
            "POST",
            json.dumps({"items": [{"email": f"probe-{run_id}@pushed.example.net"}]}).encode(),
        )
        if not 200 <= status < 300:
            reason = f"probe answered {status}: {body[:300].decode(errors='replace')}"
            if status == 404:
                reason = "endpoint not available (404)"
            print(f"  skipped: {reason}", flush=True)
            return {**record, "status": "skipped", "reason": reason}

        def args_for(run: str) -> list[str]:
            assert scenario.wrk_args is not None
            return scenario.wrk_args(scenario, run)

    connections = scenario.connections or options.connections
    server.wait_idle(dsn)
    busy_before = machine_busy_percent()
    if options.warmup > 0:
        run_wrk(
            server.base,
            scenario.script,
            args_for(run_id + "w"),
            options.warmup,
            connections,
            options.threads,
        )
        server.wait_idle(dsn)
    spy = None
    pid = server.worker_pid()
    if options.profile and pid is not None:
        spy = profiles.start(pid, scenario.name, options.duration)
    cpu_before = server.cpu_seconds()
    raw = run_wrk(
        server.base,
        scenario.script,
        args_for(run_id),
        options.duration,
        connections,
        options.threads,
    )
    if spy is not None:
        spy.wait(timeout=60)
        scenario.extra["profile"] = profiles.summarise(
            profiles.PROFILE_DIR / f"{scenario.name}.folded"
        )
    drained = server.wait_idle(dsn)
    result = {
        **record,
        "status": "measured",
        "connections": connections,
        "drain_seconds": drained,
        "machine_busy_before_pct": busy_before,
        **summarise(raw),
        **cpu_per_request(server.cpu_seconds() - cpu_before, raw["requests"]),
        **{k: v for k, v in scenario.extra.items() if k != "run_id"},
    }
    if scenario.after is not None:
        scenario.after(scenario, result, run_id)
    result["rss_mb_after"] = server.rss_mb()
    result["wrk_text"] = raw["wrk_text"]
    _print(result, connections)
    if options.single > 0:
        # The time one user waits: one connection, nothing queued in front of the request.
        cpu_before = server.cpu_seconds()
        single_raw = run_wrk(
            server.base, scenario.script, args_for(run_id + "s"), options.single, 1, 1
        )
        server.wait_idle(dsn)
        single = {
            "connections": 1,
            **summarise(single_raw),
            **cpu_per_request(server.cpu_seconds() - cpu_before, single_raw["requests"]),
        }
        if scenario.after is not None:
            scenario.after(scenario, single, run_id + "s")
        single["wrk_text"] = single_raw["wrk_text"]
        result["single"] = single
        _print(single, 1)
    return result


def _print(result: dict[str, Any], connections: int) -> None:
    print(
        f"  {connections:>2} conn: {result['rps']:.0f} req/s, p50 {result['p50_ms']} ms, "
        f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, errors {result['errors']}"
        + (f", CPU {result['cpu_ms_per_request']} ms/req" if "cpu_ms_per_request" in result else "")
        + (f", RSS {result['rss_mb_after']} MB" if "rss_mb_after" in result else "")
        + (f", {result['leads_per_s']:.0f} leads/s" if "leads_per_s" in result else ""),
        flush=True,
    )


def judge_all(scenarios: list[Scenario], results: dict[str, dict[str, Any]]) -> None:
    """`met` at the scenario's connections and, in `single`, at one connection."""
    singles = {
        name: {**r["single"], "status": "measured"}
        for name, r in results.items()
        if r.get("status") == "measured" and "single" in r
    }
    for scenario in scenarios:
        result = results.get(scenario.name)
        if not result or result.get("status") != "measured":
            continue
        for run, every in ((result, results), (result.get("single"), singles)):
            if run is None:
                continue
            if run["errors"]:
                run["met"] = False
                run["verdict_note"] = f"{run['errors']} errors"
            elif scenario.judge is not None:
                run["met"] = scenario.judge(run, every)


def main(args: Any) -> int:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk (see bench/README.md)")
    names = scenario_names()
    if args.only == ["list"]:
        print("\n".join(names))
        return 0
    unknown = set(args.only) - set(names)
    if unknown:
        raise SystemExit(f"unknown scenarios {sorted(unknown)}; known: {', '.join(names)}")
    tokens = read_tokens()
    database = tokens.get("database", args.database)
    if tokens.get("migrations") != migrations_digest():
        raise SystemExit(
            f"the migrations changed since {database} was loaded: run `python -m bench load` "
            "again (a migration edited in place is not re-applied to an existing database)"
        )
    profiling = args.command == "profile"
    options = WrkOptions(
        args.duration,
        args.warmup,
        args.connections,
        args.threads,
        0 if profiling else args.single_duration,
        profiling,
    )
    print(f"gathering targets from {database} ...", flush=True)
    ctx = asyncio.run(gather_context(database, tokens))
    scenarios = build_scenarios(ctx, options, args.batch_connections)
    wanted = set(args.only) or set(names)
    started = datetime.now(UTC)
    results: dict[str, dict[str, Any]] = {}

    engage = engage_server(database)
    print(f"starting Engage on {engage.base} ...", flush=True)
    engage.start()
    rss_start = engage.rss_mb()
    rss_final = None
    try:
        routes = openapi_routes(engage)
        for scenario in scenarios:
            if scenario.name not in wanted:
                continue
            try:
                if scenario.server == "ceiling":
                    ceiling = ceiling_server(database)
                    ceiling.start()
                    try:
                        results[scenario.name] = run_scenario(
                            scenario, ceiling, None, options, results, ctx.dsn
                        )
                        results[scenario.name]["rss_mb_after"] = ceiling.rss_mb()
                    finally:
                        ceiling.stop()
                else:
                    results[scenario.name] = run_scenario(
                        scenario, engage, routes, options, results, ctx.dsn
                    )
            except Exception as exc:  # a broken scenario is reported, the run goes on
                print(f"  failed: {exc!r}", flush=True)
                results[scenario.name] = {
                    "name": scenario.name,
                    "title": scenario.title,
                    "target": scenario.target,
                    "status": "failed",
                    "reason": repr(exc)[:500],
                }
        rss_final = engage.rss_mb()
    finally:
        engage.stop()

    for name, base_name, suffix, via_pgbouncer in VARIANTS:
        if name not in wanted:
            continue
        try:
            results[name] = run_variant(
                name, base_name, suffix, via_pgbouncer, ctx, scenarios, options, results
            )
        except Exception as exc:  # reported, the run goes on
            print(f"  failed: {exc!r}", flush=True)
            results[name] = {
                "name": name,
                "title": name,
                "target": "",
                "status": "failed",
                "reason": repr(exc)[:500],
            }

    if profiling:
        summary = {n: r.get("profile") for n, r in results.items() if r.get("profile")}
        path = profiles.PROFILE_DIR / "summary.json"
        path.write_text(json.dumps(summary, indent=2) + "\n")
        for name, profile in summary.items():
            print(f"\n{name}: share of the event loop's samples")
            for part, percent in (profile.get("parts_percent") or {}).items():
                print(f"  {percent:5.1f}%  {part}")
        print(f"\nwrote {path} and the folded stacks next to it (not a measurement run)")
        return 0
    judge_all(scenarios, results)
    document = report.build(
        database=database,
        started=started,
        options=options,
        ctx=ctx,
        results=[results[n] for n in names if n in results],
        rss_start=rss_start,
        rss_final=rss_final,
        load=tokens.get("load"),
        batch_connections=args.batch_connections,
    )
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    partial = bool(args.only)
    # A run of some scenarios never replaces the day's full run nor the README table.
    name = started.date().isoformat() + ("-partial" if partial else "")
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"wrote {path}", flush=True)
    if not args.no_readme and not partial:
        report.render_readme(document)
        print("updated bench/README.md", flush=True)
    return 0


VARIANTS = (
    # name, base scenario, title suffix, via PgBouncer
    ("me_no_statement_cache", "me", "ENGAGE_STATEMENT_CACHE_SIZE=0", False),
    ("get_by_id_rep_no_statement_cache", "get_by_id_rep", "ENGAGE_STATEMENT_CACHE_SIZE=0", False),
    ("me_via_pgbouncer", "me", "through PgBouncer (transaction mode), cache 0", True),
    (
        "get_by_id_rep_via_pgbouncer",
        "get_by_id_rep",
        "through PgBouncer (transaction mode), cache 0",
        True,
    ),
)


@dataclass
class PgBouncer:
    """A private PgBouncer in transaction mode in front of the bench database, with fewer
    server connections (10) than the worker's pool (20), so transactions change connection."""

    database: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    directory: Path | None = None

    @staticmethod
    def executable() -> str | None:
        return shutil.which("pgbouncer") or (
            "/usr/sbin/pgbouncer" if Path("/usr/sbin/pgbouncer").exists() else None
        )

    def start(self) -> None:
        exe = self.executable()
        assert exe is not None
        target = urlparse(server_url())
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="engage-bench-pgbouncer-"))
        self.directory.chmod(0o755)
        config = self.directory / "pgbouncer.ini"
        users = self.directory / "userlist.txt"
        user = target.username or "postgres"
        users.write_text(f'"{user}" ""\n')
        config.write_text(
            "[databases]\n"
            f"{self.database} = host={target.hostname or '127.0.0.1'} "
            f"port={target.port or 5432} dbname={self.database} user={user}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            f"auth_type = trust\nauth_file = {users}\n"
            "pool_mode = transaction\ndefault_pool_size = 10\nmax_client_conn = 200\n"
            "ignore_startup_parameters = extra_float_digits\n"
        )
        for path in (config, users):
            path.chmod(0o644)
        argv = [exe, str(config)]
        if os.geteuid() == 0:  # PgBouncer refuses to run as root
            argv[1:1] = ["-u", "postgres"]
        log = (DATA_DIR / "pgbouncer.log").open("wb")
        self.process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited; see {DATA_DIR / 'pgbouncer.log'}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.2)
        raise RuntimeError("pgbouncer did not listen within 10 s")

    @property
    def url(self) -> str:
        target = urlparse(server_url())
        user = target.username or "postgres"
        return f"postgresql+asyncpg://{user}@127.0.0.1:{self.port}/{self.database}"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def run_variant(
    name: str,
    base_name: str,
    suffix: str,
    via_pgbouncer: bool,
    ctx: Context,
    scenarios: list[Scenario],
    options: WrkOptions,
    results: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    """A scenario again on a fresh worker with the statement cache off (what PgBouncer in
    transaction mode needs), directly or through a PgBouncer, next to the cached figure."""
    base = next(s for s in scenarios if s.name == base_name)
    scenario = Scenario(
        name,
        f"{base.title.split(',')[0]}, {suffix}",
        "(no target; PgBouncer transaction-mode setting)",
        "engage",
        base.route,
        targets=base.targets,
    )
    env = {"ENGAGE_STATEMENT_CACHE_SIZE": "0"}
    bouncer = None
    if via_pgbouncer:
        if PgBouncer.executable() is None:
            return {
                "name": name,
                "title": scenario.title,
                "target": scenario.target,
                "status": "skipped",
                "reason": "pgbouncer is not installed (apt-get install -y pgbouncer)",
            }
        bouncer = PgBouncer(ctx.database)
        bouncer.start()
        env["ENGAGE_DATABASE_URL"] = bouncer.url
    try:
        server = engage_server(ctx.database, env, name=f"engage-{name}")
        server.start()
        try:
            result = run_scenario(
                scenario, server, openapi_routes(server), options, results, ctx.dsn
            )
        finally:
            server.stop()
    finally:
        if bouncer is not None:
            bouncer.stop()
    cached = results.get(base_name, {})
    if result.get("status") == "measured" and cached.get("status") == "measured":
        result["vs_cached_rps"] = round(result["rps"] / cached["rps"], 3) if cached["rps"] else None
    return result
