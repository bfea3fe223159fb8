"""Search scenarios (API.md section 12): what a rep types to find one record among the
1,000,000 leads, 1,000,000 opportunities and 40,000 accounts of the data set.

`search_vp` and `search_rep` rotate over queries that name a record: a person and their
company, a company, an email's start, an account's name. `search_broad_vp` types only a first
and last name, which in this data set are shared by 12,500 leads each (10 first names x 8 last
names): every match is ranked, so it shows what ranking costs when a query names no one.
"""

from __future__ import annotations

import random
from typing import Any
from urllib.parse import quote

import asyncpg

NAMES = ("search_vp", "search_rep", "search_broad_vp")


async def queries(conn: asyncpg.Connection) -> dict[str, list[str]]:
    """Search texts drawn from the loaded rows (a fixed seed: the same list every run)."""
    leads = await conn.fetch(
        "SELECT first_name, last_name, company, email FROM leads TABLESAMPLE SYSTEM (1) "
        "REPEATABLE (7) LIMIT 300"
    )
    accounts = await conn.fetch(
        "SELECT name FROM accounts TABLESAMPLE SYSTEM (10) REPEATABLE (7) LIMIT 100"
    )
    rng = random.Random(7)
    specific: list[str] = []
    for i, lead in enumerate(leads):
        match i % 3:
            case 0:
                specific.append(f"{lead['first_name']} {lead['last_name']} {lead['company']}")
            case 1:
                specific.append(str(lead["company"]))
            case _:
                specific.append(str(lead["email"]).split("@")[0])
    # An account by its name, typed in part ("acme 012-0" for "Acme 012-034").
    specific += [a["name"][: len(a["name"]) - 2] for a in accounts]
    rng.shuffle(specific)
    broad = sorted({f"{lead['first_name']} {lead['last_name']}" for lead in leads})
    return {"specific": specific, "broad": broad}


def scenarios(
    searches: dict[str, list[str]], tokens: dict[str, Any], judge: Any, scenario: Any
) -> list[Any]:
    vp = tokens["vp"]["token"]
    reps = [r["token"] for r in tokens["reps"]]

    def path(q: str) -> str:
        return f"/api/v1/search?q={quote(q)}&limit=20"

    specific, broad = searches.get("specific", []), searches.get("broad", [])
    return [
        scenario(
            "search_vp",
            f"GET /api/v1/search, {len(specific)} queries naming one record, VP (sees all)",
            "p95 < 50 ms at one connection",
            "engage",
            ("get", "/api/v1/search"),
            targets=[(path(q), vp) for q in specific],
            judge=judge(50),
        ),
        scenario(
            "search_rep",
            f"GET /api/v1/search, the same {len(specific)} queries, rep tokens",
            "p95 < 50 ms at one connection",
            "engage",
            ("get", "/api/v1/search"),
            targets=[(path(q), reps[i % len(reps)]) for i, q in enumerate(specific)],
            judge=judge(50),
        ),
        scenario(
            "search_broad_vp",
            f"GET /api/v1/search, {len(broad)} first-and-last names (12,500 leads each), VP",
            "(no target; what ranking thousands of matches costs)",
            "engage",
            ("get", "/api/v1/search"),
            targets=[(path(q), vp) for q in broad],
        ),
    ]
