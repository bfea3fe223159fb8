"""py-spy profiles of the Engage worker during a scenario, summarised by where the time goes.

`python -m bench profile --only get_by_id_rep` attaches `py-spy record --nonblocking` to the
worker for the scenario's measured run and writes the folded stacks to
bench/.data/profiles/<scenario>.folded (open them with speedscope or flamegraph.pl) and a summary
of the share of the worker's samples spent in each part of the request.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from bench.common import DATA_DIR

PROFILE_DIR = DATA_DIR / "profiles"

# (label, substrings of a frame), most specific first: each sample of the event loop counts
# once, for the first label one of its frames matches; the rest is "other".
PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("access log", ("Logger.", "AccessFormatter")),
    ("sync dependency: thread-pool hop", ("run_in_threadpool",)),
    ("pool checkout incl. pre-ping (SELECT 1)", ("_async_ping", "_checkout")),
    (
        "BEGIN / COMMIT / ROLLBACK round trips",
        (
            "Transaction.start",
            "Transaction.__commit",
            "Transaction.__rollback",
            "_start_transaction",
        ),
    ),
    ("authentication: token -> principal query", ("load_principal",)),
    (
        "response model validation + JSON",
        ("serialize_response", "_prepare_response_content", "jsonable_encoder", "dump_json"),
    ),
    (
        "SQLAlchemy: build + compile statements",
        (
            "_compile_w_cache",
            "_generate_cache_key",
            "ColumnOperators.",
            "QueryableAttribute.operate",
            "_selectable_constructors",
            "Select.where",
            "_generative",
        ),
    ),
    ("SQLAlchemy: ORM result loading", ("orm_setup_cursor_result", "loading.py", "_instance")),
    (
        "asyncpg: execute (wire + decode)",
        ("PreparedStatement.", "Connection.fetch", "Connection._execute", "Connection.execute"),
    ),
    ("request validation / dependencies", ("solve_dependencies", "request_params_to_args")),
    ("idempotency", ("idempotency",)),
)
OTHER = "other: HTTP, ASGI middleware, routing, endpoint and service code"


def py_spy() -> str | None:
    return os.environ.get("BENCH_PY_SPY") or shutil.which("py-spy")


def start(pid: int, name: str, seconds: int, rate: int = 100) -> subprocess.Popen[bytes]:
    exe = py_spy()
    if exe is None:
        raise SystemExit("py-spy is missing: pip install py-spy (or set BENCH_PY_SPY)")
    PROFILE_DIR.mkdir(parents=True, exist_ok=True)
    out = PROFILE_DIR / f"{name}.folded"
    argv = [exe, "record", "-p", str(pid), "-d", str(seconds), "-r", str(rate)]
    argv += ["-f", "raw", "-o", str(out), "--nonblocking"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summarise(path: Path) -> dict[str, object]:
    """Share of the event loop's samples per part of the request, and the hottest frames."""
    total = 0
    parts: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")
        if not any("Runner.run" in f or "run_until_complete" in f for f in frames):
            continue  # other threads (the thread pool) are counted through their caller
        n = int(count)
        total += n
        own[frames[-1]] += n
        for label, needles in PARTS:
            if any(needle in frame for frame in frames for needle in needles):
                parts[label] += n
                break
        else:
            parts[OTHER] += n
    if not total:
        return {"samples": 0}
    return {
        "samples": total,
        "parts_percent": {k: round(100 * v / total, 1) for k, v in parts.most_common()},
        "hottest_frames_percent": {k: round(100 * v / total, 1) for k, v in own.most_common(15)},
    }
