"""The results document (bench/results/<date>.json) and its table in bench/README.md."""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import platform
import re
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench.common import BENCH_DIR
from bench.common import ROOT

README = BENCH_DIR / "README.md"
START = "<!-- results:start -->"
END = "<!-- results:end -->"
PACKAGES = (
    "fastapi",
    "starlette",
    "pydantic",
    "sqlalchemy",
    "asyncpg",
    "uvicorn",
    "uvloop",
    "httptools",
)


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem_kb = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration):
        mem_kb = 0
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "note": "load generator, Engage, the ceiling app and PostgreSQL share the same 2 cores",
    }


def versions(dsn: str) -> dict[str, Any]:
    out: dict[str, Any] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    try:
        first = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
        out["wrk"] = (first.splitlines() or [""])[0].split(" Copyright")[0]
    except OSError:
        out["wrk"] = None
    try:
        out["engage_commit"] = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        out["engage_commit"] = None

    async def postgres() -> dict[str, Any]:
        conn = await asyncpg.connect(dsn)
        try:
            settings = {
                name: await conn.fetchval(f"SHOW {name}")
                for name in ("shared_buffers", "work_mem", "max_connections", "jit")
            }
            return {"postgres": await conn.fetchval("SHOW server_version"), "pg_settings": settings}
        finally:
            await conn.close()

    out.update(asyncio.run(postgres()))
    return out


def build(
    *,
    database: str,
    started: datetime,
    options: Any,
    ctx: Any,
    results: list[dict[str, Any]],
    rss_start: float | None,
    rss_final: float | None,
    load: dict[str, Any] | None,
    batch_connections: int,
) -> dict[str, Any]:
    return {
        "date": started.isoformat(timespec="seconds"),
        "database": database,
        "machine": machine(),
        "versions": versions(ctx.dsn),
        "settings": {
            "duration_s": options.duration,
            "warmup_s": options.warmup,
            "single_s": options.single,
            "connections": options.connections,
            "batch_connections": batch_connections,
            "wrk_threads": options.threads,
            "engage": "engage serve --workers 1, ENGAGE_RATE_LIMIT_PER_MINUTE=0, "
            "pool_size 20, no overflow, statement cache 100",
            "ceiling": "uvicorn bench.ceiling:app --workers 1, asyncpg pool 10..20",
        },
        "dataset": {
            "load": load,
            "opportunities": ctx.opportunities,
            "rollup_period": ctx.rollup_period,
            "diagram_vertical": ctx.diagram_vertical,
            "diagram_accounts": ctx.diagram_accounts,
        },
        "worker_rss_mb": {"after_start": rss_start, "after_run": rss_final},
        "scenarios": results,
    }


def _verdict(r: dict[str, Any]) -> str:
    if r.get("status") != "measured":
        return f"not measured: {r.get('reason', r.get('status'))}"
    parts = []
    for run in (r, r.get("single")):
        if run is None or run.get("met") is None:
            continue
        text = "met" if run["met"] else "**missed**"
        if run.get("verdict_note"):
            text += f" ({run['verdict_note']})"
        parts.append(f"{text} at {run.get('connections', '?')} conn")
    return ", ".join(parts) or "—"


def _busy(r: dict[str, Any]) -> str:
    busy = r.get("machine_busy_before_pct")
    return "—" if busy is None else f"{busy:.0f}%"


def _num(value: Any, digits: int = 1) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}"


def table(document: dict[str, Any]) -> str:
    m, v = document["machine"], document["versions"]
    s = document["settings"]
    load = document["dataset"].get("load") or {}
    counts = load.get("counts", {})
    lines = [
        f"Run of {document['date']} on {m['cpus']} cores ({m['cpu_model']}), "
        f"{m['memory_gb']} GB; {m['note']}.",
        "",
        f"Versions: Engage {v.get('engage_commit')}, Python {v['python']}, "
        f"PostgreSQL {v.get('postgres')} (shared_buffers {v['pg_settings']['shared_buffers']}), "
        f"FastAPI {v['fastapi']}, Starlette {v['starlette']}, pydantic {v['pydantic']}, "
        f"SQLAlchemy {v['sqlalchemy']}, asyncpg {v['asyncpg']}, uvicorn {v['uvicorn']} "
        f"(uvloop {v['uvloop']}, httptools {v['httptools']}), {v['wrk']}.",
        "",
        f"Data: {document['dataset']['opportunities']:,} opportunities"
        + (
            f", {counts.get('leads', 0):,} leads, {counts.get('opportunity_history', 0):,} "
            f"history rows (scale {load.get('scale')}, loaded in {load.get('seconds')} s, "
            f"{load.get('size')})"
            if load
            else ""
        )
        + f". wrk: {s['duration_s']} s per scenario at {s['connections']} connections "
        f"({s['batch_connections']} for the batch) after {s['warmup_s']} s of warm-up, then "
        f"{s.get('single_s', 10)} s at 1 connection; {s['wrk_threads']} threads.",
        "",
        "| scenario | target | req/s | p50 | p95 | p99 | 1 conn: req/s | p50 | p95 | p99 "
        "| errors | worker CPU ms/req | RSS after | CPU busy before | result |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in document["scenarios"]:
        title = r["title"]
        if r.get("status") != "measured":
            lines.append(f"| {title} | {r['target']} |" + " |" * 12 + f" {_verdict(r)} |")
            continue
        single = r.get("single") or {}
        extra = []
        if r.get("ceiling_ratio") is not None:
            extra.append(f"{r['ceiling_ratio']:.2f}x the ceiling")
        if r.get("leads_per_s") is not None:
            extra.append(f"{r['leads_per_s']:,.0f} leads/s")
            if single.get("leads_per_s") is not None:
                extra.append(f"{single['leads_per_s']:,.0f} leads/s at 1 conn")
        if r.get("vs_cached_rps") is not None:
            extra.append(f"{r['vs_cached_rps']:.2f}x the req/s with the cache")
        verdict = _verdict(r) + (f"; {'; '.join(extra)}" if extra else "")
        errors = r["errors"] + single.get("errors", 0)
        lines.append(
            f"| {title} | {r['target']} | {_num(r['rps'])} | {_num(r['p50_ms'])} | "
            f"{_num(r['p95_ms'])} | {_num(r['p99_ms'])} | {_num(single.get('rps'))} | "
            f"{_num(single.get('p50_ms'))} | {_num(single.get('p95_ms'))} | "
            f"{_num(single.get('p99_ms'))} | {errors} | {_num(r.get('cpu_ms_per_request'), 2)} | "
            f"{_num(r.get('rss_mb_after'))} MB | {_busy(r)} | {verdict} |"
        )
    rss = document["worker_rss_mb"]
    final = rss.get("after_run")
    verdict = "—" if final is None else ("met" if final < 250 else "**missed**")
    lines.append(
        "| Engage worker RSS after the whole run | < 250 MB |"
        + " |" * 10
        + f" {_num(final)} MB | | {verdict} (after start: {_num(rss.get('after_start'))} MB) |"
    )
    notes = [r for r in document["scenarios"] if r.get("note") or r.get("cursor_how")]
    if notes:
        lines.append("")
        for r in notes:
            text = "; ".join(x for x in (r.get("note"), r.get("cursor_how")) if x)
            lines.append(f"- `{r['name']}`: {text}.")
    lines += [
        "",
        "Latencies in milliseconds. *Worker CPU ms/req*: the serving process's CPU time per "
        "request at 32 connections (for the ceiling row, the ceiling app's): what a request "
        "costs, nearly independent of the load generator. *CPU busy before*: share of both "
        "cores busy with other work in the second before the scenario (the bench idle); high "
        "values mean the figures of that row are depressed by the machine, not by Engage alone.",
    ]
    return "\n".join(lines)


def render_readme(document: dict[str, Any]) -> None:
    text = README.read_text()
    block = f"{START}\n{table(document)}\n{END}"
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: block, text)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    README.write_text(text)
