"""The timeline scenario (API.md section 11): one account of a rep's territory given 10,000
timeline items — notes on the account and its opportunities, calls and emails with its
contact, tasks on its opportunities, besides the history its opportunities already have —
then its timeline read page by page as that rep.

`prepare` seeds the items once per data set (SQL, set-based; a second run finds them) and walks
the timeline through the API to collect the cursors of pages 1, 2, 10, 50, 100 and 200; wrk
rotates over those pages. The target is p95 < 50 ms at one connection.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote

import asyncpg

NAMES = ("timeline_account",)
ITEMS = 10_000
PAGE = 50
PAGES = (1, 2, 10, 50, 100, 200)
MARK = "Bench timeline"


async def seed(dsn: str, rep_id: str) -> tuple[str, int]:
    """The seeded account's id and how many timeline items it has."""
    conn = await asyncpg.connect(dsn)
    try:
        account = await conn.fetchval(
            "SELECT a.id FROM accounts a JOIN territories t ON t.id = a.territory_id "
            "WHERE t.owner_id = $1 ORDER BY a.id LIMIT 1",
            rep_id,
        )
        contact = await conn.fetchval(
            "SELECT id FROM contacts WHERE account_id = $1 ORDER BY id LIMIT 1", account
        )
        opportunities = [
            r["id"]
            for r in await conn.fetch("SELECT id FROM opportunities WHERE account_id = $1", account)
        ]
        seeded = await conn.fetchval(
            "SELECT count(*) FROM notes WHERE subject_id = $1 AND body LIKE $2",
            account,
            f"{MARK}%",
        )
        if not seeded:
            await _insert(conn, account, contact, opportunities, rep_id)
        return str(account), await _count(conn, account, contact, opportunities)
    finally:
        await conn.close()


async def _insert(
    conn: asyncpg.Connection, account: Any, contact: Any, opportunities: list[Any], rep: str
) -> None:
    quarter = ITEMS // 4
    on_opportunity = "($3::uuid[])[1 + g % array_length($3::uuid[], 1)]"
    async with conn.transaction():
        await conn.execute(
            "INSERT INTO notes (subject_type, subject_id, body, author_id, created_at, updated_at)"
            f" SELECT 'account', $1, '{MARK} note ' || g, $2, t, t FROM generate_series(1, $3) g,"
            " LATERAL (SELECT now() - g * interval '37 minutes' AS t) x",
            account,
            rep,
            quarter,
        )
        await conn.execute(
            "INSERT INTO interactions (subject_type, subject_id, channel, direction, occurred_at,"
            " title, summary, source, created_by, created_at, updated_at)"
            " SELECT $1, $2, (ARRAY['email', 'phone', 'meeting']::text[])[1 + g % 3],"
            " CASE WHEN g % 4 = 0 THEN 'inbound' ELSE 'outbound' END, t, 'Call ' || g,"
            " 'We talked about the pilot, step ' || g, 'manual', $3, t, t"
            " FROM generate_series(1, $4) g,"
            " LATERAL (SELECT now() - g * interval '41 minutes' AS t) x",
            "contact" if contact else "account",
            contact or account,
            rep,
            quarter,
        )
        # An account without opportunities gets these on itself.
        subject = "'opportunity'" if opportunities else "'account'"
        opportunities = opportunities or [account]
        await conn.execute(
            "INSERT INTO tasks (subject_type, subject_id, title, owner_id, created_by, due_at,"
            f" created_at, updated_at) SELECT {subject}, {on_opportunity}, 'Follow up ' || g,"
            " $1, $1, t + interval '3 days', t, t FROM generate_series(1, $2) g,"
            " LATERAL (SELECT now() - g * interval '43 minutes' AS t) x",
            rep,
            quarter,
            opportunities,
        )
        await conn.execute(
            "INSERT INTO notes (subject_type, subject_id, body, author_id, created_at, updated_at)"
            f" SELECT {subject}, {on_opportunity}, '{MARK} deal note ' || g, $1, t, t"
            " FROM generate_series(1, $2) g,"
            " LATERAL (SELECT now() - g * interval '47 minutes' AS t) x",
            rep,
            ITEMS - 3 * quarter,
            opportunities,
        )
    await conn.execute("ANALYZE notes, tasks, interactions")


async def _count(
    conn: asyncpg.Connection, account: Any, contact: Any, opportunities: list[Any]
) -> int:
    subjects = [account, *([contact] if contact else []), *opportunities]
    total: int = await conn.fetchval(
        "SELECT (SELECT count(*) FROM notes WHERE subject_id = ANY($1::uuid[]))"
        " + (SELECT count(*) FROM tasks WHERE subject_id = ANY($1::uuid[]))"
        " + (SELECT count(*) FROM interactions WHERE subject_id = ANY($1::uuid[]))"
        " + (SELECT count(*) FROM opportunity_history WHERE opportunity_id = ANY($2::uuid[]))",
        subjects,
        opportunities,
    )
    return total


def scenarios(dsn: str, tokens: dict[str, Any], judge: Any, scenario: Any, http: Any) -> list[Any]:
    rep = tokens["reps"][0]

    def prepare(server: Any, this: Any) -> str | None:
        account, items = asyncio.run(seed(dsn, rep["id"]))
        base = f"/api/v1/accounts/{account}/timeline?limit={PAGE}"
        targets, cursor, page = [], None, 1
        while page <= max(PAGES):
            path = base + (f"&cursor={quote(cursor)}" if cursor else "")
            status, body, _ = http(server.base, path, rep["token"])
            if status != 200:
                return f"timeline page {page} answered {status}: {body[:200]!r}"
            if page in PAGES:
                targets.append((path, rep["token"]))
            cursor = json.loads(body)["next_cursor"]
            if cursor is None:
                break
            page += 1
        this.targets = targets
        this.extra.update(account=account, items=items, pages=[p for p in PAGES if p <= page])
        return None

    return [
        scenario(
            "timeline_account",
            f"GET /api/v1/accounts/{{id}}/timeline?limit={PAGE}, an account with {ITEMS:,}+ "
            "items, pages 1 to 200, its territory's owner",
            "p95 < 50 ms at 1 conn",
            "engage",
            ("get", "/api/v1/accounts/{subject_id}/timeline"),
            judge=judge(50),
            prepare=prepare,
            note="pages 1, 2, 10, 50, 100 and 200 in turn (cursors collected by walking the "
            "timeline once through the API)",
        )
    ]
