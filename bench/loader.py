"""The bench data set, written with PostgreSQL COPY (never through the API).

At scale 1: an admin, a VP, 20 managers under the VP, 200 reps (10 per manager) and two
integrations, each human with a known token; a territory of 100 accounts per rep (one contact
each); 1,000,000 opportunities spread over the reps with realistic stages, amounts and close
dates over four fiscal quarters, their history (about 4.5 rows each) and a command plan each;
1,000,000 leads; explicit quotas for the reps; and one territory of 2,000 accounts x 20 units
(most nested two levels deep) with adoption history, for the analysis and the diagram.

Every CHECK constraint, foreign key and unique index holds: the secondary indexes of the big
tables are dropped during the COPY and rebuilt afterwards (a unique one would fail to build on a
duplicate), foreign keys stay enforced throughout. Then VACUUM ANALYZE.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import random
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from app.core.enums import BpmStage
from app.core.enums import PersonaSlug
from app.core.enums import Segment
from app.core.enums import Vertical
from app.core.security import hash_token
from app.forecasts.fiscal import Period
from app.forecasts.fiscal import period_for
from app.stages.rules import DEFAULT_STAGES
from bench.common import DATA_DIR
from bench.common import ROOT
from bench.common import TOKENS_PATH
from bench.common import bench_token
from bench.common import database_dsn
from bench.common import engage_url
from bench.common import migrations_digest

CHUNK = 50_000
BIG_TABLES = ("opportunities", "opportunity_history", "command_plans", "leads")

STAGE_MIX: tuple[tuple[str, float], ...] = (
    ("pending_acceptance", 0.05),
    ("discovery", 0.14),
    ("scoping", 0.12),
    ("technical_evaluation", 0.10),
    ("proposal", 0.08),
    ("negotiating", 0.06),
    ("awaiting_signature", 0.05),
    ("closed_won", 0.20),
    ("lost", 0.15),
    ("unqualified", 0.03),
    ("duplicate", 0.02),
)
STAGES = {s.slug: s for s in DEFAULT_STAGES}
TERMINAL = frozenset({"closed_won", "lost", "unqualified", "duplicate"})
LOSS_REASONS = ("no_decision", "competitor", "budget", "timing", "fit", "other")
USE_CASES = ("scm", "ci", "cd", "security", "agile_planning", "other")
FIRST = ("Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia", "Tim")
LAST = ("Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson")
TITLES = (
    "VP Engineering",
    "Director of Platform",
    "CISO",
    "Head of DevOps",
    "CTO",
    "Engineering Manager",
    "CFO",
    "Application Development Lead",
)
WORDS = ("Acme", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Tyrell", "Cyberdyne")
TOOLS = ("jenkins", "github", "bitbucket", "jira", "circleci", "sonarqube", "artifactory")
CLOUDS = ("aws", "gcp", "azure")

BPM_STAGES = [s.value for s in BpmStage]
PERSONAS = [p.value for p in PersonaSlug]
SEGMENTS = [s.value for s in Segment]
VERTICALS = [v.value for v in Vertical]


@dataclass(frozen=True)
class Sizes:
    scale: float
    managers: int = 20
    reps_per_manager: int = 10
    opportunities: int = 1_000_000
    leads: int = 1_000_000
    accounts_per_rep: int = 100
    big_accounts: int = 2_000
    units_per_account: int = 20

    @classmethod
    def for_scale(cls, scale: float) -> Sizes:
        return cls(
            scale=scale,
            opportunities=max(1_000, round(1_000_000 * scale)),
            leads=max(1_000, round(1_000_000 * scale)),
            accounts_per_rep=max(5, round(100 * min(1.0, scale * 10))),
            big_accounts=max(50, round(2_000 * min(1.0, scale * 10))),
        )

    @property
    def reps(self) -> int:
        return self.managers * self.reps_per_manager


@dataclass
class Person:
    key: str
    id: uuid.UUID
    email: str
    name: str
    role: str
    manager_id: uuid.UUID | None
    source: str | None = None

    @property
    def token(self) -> str:
        return bench_token(self.email)


@dataclass
class Org:
    admin: Person
    vp: Person
    managers: list[Person]
    reps: list[Person]
    webform: Person
    integration: Person
    # per rep: [(account_id, contact_id, account_type, account name)]
    accounts: list[list[tuple[uuid.UUID, uuid.UUID, str, str]]] = field(default_factory=list)
    territory_of_rep: list[uuid.UUID] = field(default_factory=list)
    # domain -> (account_id, owner_id), for lead routing
    domains: list[tuple[str, uuid.UUID, uuid.UUID]] = field(default_factory=list)
    big_territory_id: uuid.UUID | None = None


def now_utc() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Timer:
    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.steps: dict[str, float] = {}

    def step(self, name: str, since: float) -> None:
        elapsed = time.perf_counter() - since
        self.steps[name] = round(elapsed, 1)
        print(f"  {name}: {elapsed:.1f} s", flush=True)

    @property
    def total(self) -> float:
        return round(time.perf_counter() - self.started, 1)


# --------------------------------------------------------------------------- database setup


async def recreate_database(database: str) -> None:
    admin = await asyncpg.connect(database_dsn("postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()


def migrate(database: str) -> None:
    env = {
        **os.environ,
        "ENGAGE_DATABASE_URL": engage_url(database),
        "PYTHONPATH": str(ROOT),
    }
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, check=True)


async def seed_stages(conn: asyncpg.Connection) -> int:
    """The stage table, when the migrations have not seeded it (they will)."""
    if await conn.fetchval("SELECT count(*) FROM stages"):
        return 0
    rows = [
        (
            s.slug,
            s.number,
            s.name,
            s.probability,
            s.forecast_category,
            s.terminal,
            json.dumps({k: list(v) for k, v in s.requirements.items()}),
        )
        for s in DEFAULT_STAGES
    ]
    await conn.copy_records_to_table(
        "stages",
        records=rows,
        columns=[
            "slug",
            "number",
            "name",
            "probability",
            "forecast_category",
            "terminal",
            "requirements",
        ],
    )
    return len(rows)


async def drop_secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """Indexes not backing a constraint on the big tables: dropped now, rebuilt after."""
    rows = await conn.fetch(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.tablename, i.indexname
        """,
        list(BIG_TABLES),
    )
    for row in rows:
        await conn.execute(f'DROP INDEX "{row["indexname"]}"')
    return [(r["indexname"], r["indexdef"]) for r in rows]


async def copy(
    conn: asyncpg.Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=list(columns))


# --------------------------------------------------------------------------- people


def build_org() -> Org:
    def person(key: str, name: str, role: str, manager: Person | None, **kw: Any) -> Person:
        return Person(
            key=key,
            id=uuid.uuid4(),
            email=f"{key}@engage.bench",
            name=name,
            role=role,
            manager_id=manager.id if manager else None,
            **kw,
        )

    admin = person("bench-admin", "Bench Admin", "admin", None)
    vp = person("bench-vp", "Vera Vice-President", "manager", admin)
    managers = [
        person(f"bench-manager-{m:02d}", f"Manager {m:02d}", "manager", vp) for m in range(20)
    ]
    reps = [
        person(f"bench-rep-{r:03d}", f"Rep {r:03d}", "rep", managers[r // 10]) for r in range(200)
    ]
    webform = person("bench-webform", "Web form", "integration", None, source="webform")
    integration = person("bench-integration", "Bench pusher", "integration", None, source="bench")
    return Org(admin, vp, managers, reps, webform, integration)


def org_for(sizes: Sizes) -> Org:
    org = build_org()
    org.managers = org.managers[: sizes.managers]
    org.reps = org.reps[: sizes.reps]
    return org


async def load_people(conn: asyncpg.Connection, org: Org) -> None:
    people = [org.admin, org.vp, *org.managers, *org.reps, org.webform, org.integration]
    await copy(
        conn,
        "users",
        ("id", "email", "name", "role", "manager_id", "source"),
        [(p.id, p.email, p.name, p.role, p.manager_id, p.source) for p in people],
    )
    await copy(
        conn,
        "api_tokens",
        ("user_id", "name", "token_hash", "prefix"),
        [(p.id, "bench", hash_token(p.token), p.token[:10]) for p in people],
    )


def write_tokens(org: Org, sizes: Sizes, database: str, extra: dict[str, Any]) -> None:
    def entry(p: Person) -> dict[str, str]:
        return {"id": str(p.id), "email": p.email, "role": p.role, "token": p.token}

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    TOKENS_PATH.write_text(
        json.dumps(
            {
                "database": database,
                "scale": sizes.scale,
                "admin": entry(org.admin),
                "vp": entry(org.vp),
                "managers": [entry(p) for p in org.managers],
                "reps": [entry(p) for p in org.reps],
                "integration": entry(org.integration),
                **extra,
            },
            indent=2,
        )
        + "\n"
    )


# --------------------------------------------------------------------------- territories


async def load_territories(
    conn: asyncpg.Connection, org: Org, sizes: Sizes, rng: random.Random
) -> None:
    now = now_utc()
    territories, members, accounts, contacts = [], [], [], []
    for r, rep in enumerate(org.reps):
        tid = uuid.uuid4()
        org.territory_of_rep.append(tid)
        territories.append(
            (tid, f"{rep.name} territory", rep.id, SEGMENTS[r % 3], f"Region {r % 7}", now, now)
        )
        members.append((tid, None, f"SA for {rep.name}", "sa", 0))
        members.append((tid, None, f"SDR for {rep.name}", "sdr", 1))
        owned = []
        for a in range(sizes.accounts_per_rep):
            aid, cid = uuid.uuid4(), uuid.uuid4()
            kind = "customer" if rng.random() < 0.5 else "net_new"
            name = f"{rng.choice(WORDS)} {r:03d}-{a:03d}"
            domain = f"acct-{r:03d}-{a:03d}.example.com"
            accounts.append(
                (
                    aid,
                    tid,
                    name,
                    domain,
                    rng.choice(VERTICALS),
                    kind,
                    rng.sample(["direct", "channel", "programs"], rng.randint(1, 2)),
                    rng.sample(CLOUDS, rng.randint(0, 2)),
                    "[]",
                    rng.choice(("in_house", "outsourced", None)),
                    now,
                    now,
                )
            )
            first, last = rng.choice(FIRST), rng.choice(LAST)
            contacts.append(
                (
                    cid,
                    aid,
                    first,
                    last,
                    f"{first}.{last}.{r}.{a}@{domain}".lower(),
                    rng.choice(TITLES),
                    rng.choice(PERSONAS),
                )
            )
            owned.append((aid, cid, kind, name))
            org.domains.append((domain, aid, rep.id))
        org.accounts.append(owned)

    big_owner = org.reps[0]
    big_id = uuid.uuid4()
    org.big_territory_id = big_id
    territories.append(
        (big_id, "Enterprise East (analysis)", big_owner.id, "enterprise", "East", now, now)
    )
    await copy(
        conn,
        "territories",
        ("id", "name", "owner_id", "segment", "region", "created_at", "updated_at"),
        territories,
    )
    await copy(
        conn, "territory_members", ("territory_id", "user_id", "name", "role", "position"), members
    )
    account_columns = (
        "id",
        "territory_id",
        "name",
        "domain",
        "vertical",
        "account_type",
        "routes_to_market",
        "cloud_providers",
        "partners",
        "it_support",
        "created_at",
        "updated_at",
    )
    await copy(conn, "accounts", account_columns, accounts)
    await copy(
        conn,
        "contacts",
        ("id", "account_id", "first_name", "last_name", "email", "title", "persona"),
        contacts,
    )
    await load_big_territory(conn, big_id, big_owner, sizes, rng, account_columns)


ADOPTION_PROFILES: tuple[tuple[str, float, tuple[float, float, float, float]], ...] = (
    # name, share of accounts, leaf weights (green, yellow, red, none)
    ("no_devops", 0.05, (0, 0, 0, 1)),
    ("needs_entry", 0.30, (0, 0, 0.7, 0.3)),
    ("in_progress", 0.20, (0, 0.4, 0.4, 0.2)),
    ("land_and_expand", 0.35, (0.35, 0.2, 0.3, 0.15)),
    ("fully_green", 0.10, (0.85, 0, 0, 0.15)),
)


async def load_big_territory(
    conn: asyncpg.Connection,
    territory_id: uuid.UUID,
    owner: Person,
    sizes: Sizes,
    rng: random.Random,
    account_columns: Sequence[str],
) -> None:
    """2,000 accounts x 20 units: 60% nested (4 divisions x 4 departments), 40% flat."""
    now = now_utc()
    accounts, units, changes = [], [], []
    profiles = list(ADOPTION_PROFILES)
    shares = [p[1] for p in profiles]
    adoptions = ("green", "yellow", "red", "none")
    for i in range(sizes.big_accounts):
        aid = uuid.uuid4()
        accounts.append(
            (
                aid,
                territory_id,
                f"{rng.choice(WORDS)} Holdings {i:04d}",
                f"big-{i:04d}.example.org",
                VERTICALS[i % len(VERTICALS)],
                "customer" if rng.random() < 0.4 else "net_new",
                rng.sample(["direct", "channel", "programs"], rng.randint(1, 3)),
                rng.sample(CLOUDS, rng.randint(0, 3)),
                json.dumps([{"kind": "si", "name": "Integrators Inc"}]) if i % 5 == 0 else "[]",
                rng.choice(("in_house", "outsourced", None)),
                now,
                now,
            )
        )
        weights = rng.choices(profiles, weights=shares)[0][2]

        def leaf(
            account_id: uuid.UUID,
            parent: uuid.UUID | None,
            name: str,
            kind: str,
            weights: tuple[float, ...] = weights,
        ) -> None:
            adoption = rng.choices(adoptions, weights=weights)[0]
            uid = uuid.uuid4()
            headcount = None if adoption == "none" else rng.randint(1, 60)
            tools = [] if adoption == "none" else rng.sample(TOOLS, rng.randint(1, 3))
            units.append((uid, account_id, parent, kind, name, adoption, headcount, tools))
            if adoption == "green":
                at = now - timedelta(days=rng.randint(0, 500), seconds=rng.randint(0, 86_399))
                changes.append((uid, at, owner.id, "yellow", "green"))

        nested = rng.random() < 0.6 and sizes.units_per_account == 20
        if nested:
            for d in range(4):
                division = uuid.uuid4()
                units.append((division, aid, None, "division", f"Division {d}", "none", None, []))
                for k in range(4):
                    leaf(aid, division, f"Division {d} / Department {k}", "department")
        else:
            for k in range(sizes.units_per_account):
                leaf(aid, None, f"Department {k}", rng.choice(("department", "branch")))
    await copy(conn, "accounts", account_columns, accounts)
    await copy(
        conn,
        "units",
        (
            "id",
            "account_id",
            "parent_id",
            "kind",
            "name",
            "adoption",
            "devops_headcount",
            "current_tools",
        ),
        units,
    )
    await copy(conn, "adoption_changes", ("unit_id", "at", "actor_id", "old", "new"), changes)


# --------------------------------------------------------------------------- opportunities


@dataclass(frozen=True)
class Quarters:
    today: date
    previous: Period
    current: Period
    next: Period
    after_next: Period

    @classmethod
    def around(cls, today: date, start_month: int = 1) -> Quarters:
        current = period_for(today, start_month)
        previous = period_for(current.start - timedelta(days=1), start_month)
        nxt = period_for(current.end + timedelta(days=1), start_month)
        after = period_for(nxt.end + timedelta(days=1), start_month)
        return cls(today, previous, current, nxt, after)

    @property
    def labels(self) -> list[str]:
        return [p.label for p in (self.previous, self.current, self.next, self.after_next)]


def _day_between(rng: random.Random, start: date, end: date) -> date:
    span = (end - start).days
    return start + timedelta(days=rng.randint(0, max(0, span)))


def _close_date(rng: random.Random, q: Quarters, terminal: bool) -> date:
    today = q.today
    yesterday = today - timedelta(days=1)
    x = rng.random()
    if terminal:
        if x < 0.45 or yesterday < q.current.start:
            return _day_between(rng, q.previous.start, q.previous.end)
        return _day_between(rng, q.current.start, yesterday)
    if x < 0.06 and yesterday >= q.current.start:
        return _day_between(rng, q.current.start, yesterday)  # past due: a hygiene flag
    if x < 0.55:
        return _day_between(rng, today, q.current.end)
    if x < 0.80:
        return _day_between(rng, q.next.start, q.next.end)
    return _day_between(rng, q.after_next.start, q.after_next.end)


def _money(value: float) -> Decimal:
    return Decimal(f"{max(100.0, round(value / 100.0) * 100.0):.2f}")


def _plan_templates() -> dict[int, tuple[str, str]]:
    """Command-plan JSON (overview, meddppicc) by the highest open stage reached."""
    overview: dict[str, Any] = {}
    meddppicc: dict[str, Any] = {}
    out: dict[int, tuple[str, str]] = {}
    for level in range(0, 8):
        if level == 2:
            overview.update(
                why_do_anything="Release cadence is quarterly; competitors ship weekly.",
                why_now="Audit finding on change management due in Q2.",
            )
            meddppicc["identify_pain"] = "Manual releases, 3 incidents a month from drift."
        if level == 3:
            meddppicc.update(
                metrics="Cut lead time from 30 days to 2.",
                champion={"contact_id": None, "notes": "Head of platform, runs the pilot."},
                economic_buyer={"contact_id": None, "notes": "CTO signs above 100k."},
                decision_criteria="Single application, SaaS, SSO, audit trail.",
                partners="None: direct deal.",
            )
            overview["why_us"] = "One platform instead of seven tools."
        if level == 4:
            meddppicc.update(
                decision_process="Pilot, security review, steering committee.",
                paper_process="Legal 2 weeks, procurement 1 week, DocuSign.",
                competition="Incumbent toolchain; status quo.",
            )
            overview["primary_value_driver"] = "Increase operational efficiency"
        out[level] = (json.dumps(overview), json.dumps(meddppicc))
    return out


def _reached_level(stage: str, rng: random.Random) -> int:
    if stage == "closed_won":
        return 7
    if stage in ("lost", "duplicate"):
        return rng.randint(0, 6) if stage == "duplicate" else rng.randint(1, 6)
    if stage == "unqualified":
        return 0
    return STAGES[stage].number


OPPORTUNITY_COLUMNS = (
    "id",
    "name",
    "account_id",
    "contact_id",
    "owner_id",
    "type",
    "stage",
    "stage_number",
    "probability",
    "forecast_category",
    "amount",
    "renewal_arr",
    "renewal_loss_amount",
    "renewal_forecast_category",
    "close_date",
    "next_step",
    "next_step_at",
    "entry_use_case",
    "potential_seats",
    "proposal_sent_on",
    "signature_requested_on",
    "loss_reason",
    "loss_details",
    "duplicate_of_id",
    "bpm_stage",
    "sales_accepted_at",
    "stage_entered_at",
    "closed_at",
    "created_by",
    "version",
    "created_at",
    "updated_at",
)
HISTORY_COLUMNS = ("opportunity_id", "at", "actor_id", "field", "old", "new", "reason")
PLAN_COLUMNS = (
    "opportunity_id",
    "overview",
    "meddppicc",
    "close_plan",
    "risks",
    "help_needed",
    "version",
    "created_at",
    "updated_at",
    "updated_by",
)
UPGRADE = {"pipeline": "best_case", "best_case": "commit"}


def generate_opportunities(
    org: Org, sizes: Sizes, rng: random.Random, quarters: Quarters
) -> Iterator[tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]]:
    """Chunks of (opportunities, history, command plans), the reps taking turns."""
    now = now_utc()
    stage_names = [s for s, _ in STAGE_MIX]
    stage_weights = [w for _, w in STAGE_MIX]
    cumulative = list(_accumulate(stage_weights))
    templates = _plan_templates()
    reps = org.reps
    last_of_rep: list[uuid.UUID | None] = [None] * len(reps)
    day = timedelta(days=1)
    opps: list[tuple[Any, ...]] = []
    history: list[tuple[Any, ...]] = []
    plans: list[tuple[Any, ...]] = []
    rand = rng.random
    randint = rng.randint
    for n in range(sizes.opportunities):
        r = n % len(reps)
        rep = reps[r]
        account_id, contact_id, account_type, account_name = rng.choice(org.accounts[r])
        stage = stage_names[_pick(cumulative, rand())]
        if stage == "duplicate" and last_of_rep[r] is None:
            stage = "lost"
        sdef = STAGES[stage]
        terminal = stage in TERMINAL
        if account_type == "customer":
            x = rand()
            kind = "new_business" if x < 0.4 else ("expansion" if x < 0.75 else "renewal")
        else:
            kind = "new_business"
        close = _close_date(rng, quarters, terminal)
        if terminal:
            created = datetime(close.year, close.month, close.day, 15, tzinfo=UTC) - timedelta(
                days=randint(20, 200), seconds=randint(0, 86_399)
            )
        else:
            created = now - timedelta(days=randint(1, 240), seconds=randint(0, 86_399))
        level = _reached_level(stage, rng)
        amount = renewal_arr = loss_amount = renewal_category = None
        if kind == "renewal":
            renewal_arr = _money(rng.lognormvariate(10.8, 0.7))
            amount = _money(float(renewal_arr) * rng.uniform(0.7, 1.3))
            if not terminal:
                loss = max(Decimal("0.00"), renewal_arr - amount)
                loss_amount = loss
                if loss > 0:
                    renewal_category = "commit" if rand() < 0.5 else "best_case"
        elif level >= 1 or rand() < 0.5:
            mu = 10.6 if kind == "new_business" else 10.1
            amount = _money(rng.lognormvariate(mu, 0.9))
        accepted = min(now, created + timedelta(days=randint(1, 10))) if level >= 1 else None
        if terminal:
            closed_at = datetime(close.year, close.month, close.day, 17, tzinfo=UTC)
            entered = closed_at
        else:
            closed_at = None
            floor = accepted or created
            entered = floor + (now - floor) * rand()
            entered = entered.replace(microsecond=0)
        category = sdef.forecast_category
        if 1 <= sdef.number <= 6 and category in UPGRADE and rand() < 0.1:
            category = UPGRADE[category]
        next_step = next_step_at = None
        if not terminal and rand() < 0.85:
            next_step = "Follow up on the pilot results"
            next_step_at = now + timedelta(days=randint(-10, 45), hours=randint(0, 23))
        loss_reason = loss_details = duplicate_of = None
        if stage == "lost":
            loss_reason = LOSS_REASONS[randint(0, 5)]
            loss_details = (
                "Chose to stay with the current tools." if loss_reason == "other" else None
            )
        elif stage == "duplicate":
            duplicate_of = last_of_rep[r]
        oid = uuid.uuid4()
        updated = max(entered, created)
        opps.append(
            (
                oid,
                f"{account_name} - {kind.replace('_', ' ')} {n}",
                account_id,
                contact_id,
                rep.id,
                kind,
                stage,
                sdef.number,
                sdef.probability,
                category,
                amount,
                renewal_arr,
                loss_amount,
                renewal_category,
                close,
                next_step,
                next_step_at,
                USE_CASES[n % 6] if level >= 2 else None,
                randint(10, 2_000) if level >= 2 else None,
                close - day * randint(10, 40) if level >= 5 else None,
                close - day * randint(1, 9) if level >= 6 else None,
                loss_reason,
                loss_details,
                duplicate_of,
                BPM_STAGES[min(level, 5)] if level >= 1 else None,
                accepted,
                entered,
                closed_at,
                rep.id,
                1 + (level > 0) + (level > 1) + terminal,
                created,
                updated,
            )
        )
        last_of_rep[r] = oid
        # History: creation (stage, close date), acceptance (stage, amount), the last move.
        history.append((oid, created, rep.id, "stage", None, "pending_acceptance", None))
        history.append((oid, created, rep.id, "close_date", None, close.isoformat(), None))
        previous = "pending_acceptance"
        if accepted is not None:
            history.append((oid, accepted, rep.id, "stage", previous, "discovery", None))
            if amount is not None:
                history.append((oid, accepted, rep.id, "amount", None, f"{amount:f}", None))
            previous = "discovery"
        if stage != previous:
            reason = loss_reason or ("Not a fit" if stage == "unqualified" else None)
            history.append((oid, entered, rep.id, "stage", previous, stage, reason))
        overview, meddppicc = templates[min(level, 7)]
        close_plan = "[]"
        if level >= 4:
            close_plan = json.dumps(
                [
                    {
                        "id": str(uuid.uuid4()),
                        "description": step,
                        "due_on": (close - day * (30 - 10 * k)).isoformat(),
                        "owner": "customer" if k else rep.name,
                        "done": level >= 6 or k == 0,
                    }
                    for k, step in enumerate(("Pilot sign-off", "Security review", "Signature"))
                ]
            )
        plans.append(
            (
                oid,
                overview,
                meddppicc,
                close_plan,
                None,
                None,
                1 + (level > 1),
                created,
                updated,
                rep.id if level > 1 else None,
            )
        )
        if len(opps) >= CHUNK:
            yield opps, history, plans
            opps, history, plans = [], [], []
    if opps:
        yield opps, history, plans


def _accumulate(weights: Sequence[float]) -> Iterator[float]:
    total = sum(weights)
    running = 0.0
    for w in weights:
        running += w / total
        yield running


def _pick(cumulative: Sequence[float], x: float) -> int:
    for i, c in enumerate(cumulative):
        if x < c:
            return i
    return len(cumulative) - 1


async def load_quotas(
    conn: asyncpg.Connection, org: Org, sizes: Sizes, quarters: Quarters, rng: random.Random
) -> None:
    """Explicit quotas for every rep; managers' are the sums of their reports' (not stored)."""
    per_rep = sizes.opportunities / sizes.reps
    rows = []
    for rep in org.reps:
        for label in quarters.labels:
            base = per_rep * 0.2 * 0.3 * 45_000 * rng.uniform(0.9, 1.4)
            rows.append((rep.id, label, Decimal(f"{round(base, -3):.2f}")))
    await copy(conn, "quotas", ("user_id", "period", "amount"), rows)


# --------------------------------------------------------------------------- submissions

SUBMISSION_WEEKS = 52
SUBMISSION_COLUMNS = (
    "id",
    "user_id",
    "period",
    "week",
    "gross_commit",
    "gross_best_case",
    "renewal_loss_commit",
    "renewal_loss_best_case",
    "net_most_likely",
    "notes",
    "submitted_at",
    "system",
    "version",
    "created_at",
    "updated_at",
)


def _system_figures(rng: random.Random, scale: float) -> dict[str, Any]:
    """What the roll-up said when the call was made (a RollupFigures document)."""
    closed = scale * rng.uniform(0.2, 0.6)
    realised = closed * rng.uniform(0.0, 0.05)
    commit = closed + scale * rng.uniform(0.1, 0.3)
    best = commit + scale * rng.uniform(0.1, 0.4)
    loss_commit = realised + scale * rng.uniform(0.0, 0.03)
    loss_best = loss_commit + scale * rng.uniform(0.0, 0.03)
    quota = scale * 1.1
    figures = {
        "closed_won": closed,
        "realised_renewal_loss": realised,
        "net_closed": closed - realised,
        "gross_commit": commit,
        "gross_best_case": best,
        "renewal_loss_commit": loss_commit,
        "renewal_loss_best_case": loss_best,
        "net_commit": commit - loss_commit,
        "net_best_case": best - loss_best,
        "quota": quota,
        "gap_to_quota_commit": quota - (commit - loss_commit),
        "gap_to_quota_best_case": quota - (best - loss_best),
    }
    document: dict[str, Any] = {k: f"{v:.2f}" for k, v in figures.items()}
    document["attainment"] = round((closed - realised) / quota, 4)
    return document


async def load_submissions(
    conn: asyncpg.Connection, org: Org, sizes: Sizes, rng: random.Random
) -> int:
    """A year of weekly calls: every rep, manager and the VP, one submission a week for the 52
    weeks up to this one, each for the fiscal quarter its Monday falls in (January start)."""
    per_rep = sizes.opportunities / sizes.reps * 0.2 * 0.3 * 45_000
    now = now_utc()
    monday = now.date() - timedelta(days=now.date().weekday())
    people = [(rep, per_rep) for rep in org.reps]
    people += [(m, per_rep * len(org.reps) / len(org.managers)) for m in org.managers]
    people.append((org.vp, per_rep * len(org.reps)))
    rows = []
    for person, scale in people:
        for back in range(SUBMISSION_WEEKS):
            day = monday - timedelta(weeks=back)
            at = datetime(day.year, day.month, day.day, 16, tzinfo=UTC) + timedelta(days=4)
            at = min(at, now)
            year, week, _ = day.isocalendar()
            system = _system_figures(rng, scale)
            call = {
                k: Decimal(system[k]) * Decimal(f"{rng.uniform(0.9, 1.1):.3f}")
                for k in (
                    "gross_commit",
                    "gross_best_case",
                    "renewal_loss_commit",
                    "renewal_loss_best_case",
                    "net_commit",
                )
            }
            rows.append(
                (
                    uuid.uuid4(),
                    person.id,
                    period_for(day, 1).label,
                    f"{year:04d}-W{week:02d}",
                    round(call["gross_commit"], 2),
                    round(max(call["gross_best_case"], call["gross_commit"]), 2),
                    round(call["renewal_loss_commit"], 2),
                    round(max(call["renewal_loss_best_case"], call["renewal_loss_commit"]), 2),
                    round(call["net_commit"] * Decimal("1.05"), 2),
                    None,
                    at,
                    json.dumps(system),
                    1,
                    at,
                    at,
                )
            )
    await copy(conn, "forecast_submissions", SUBMISSION_COLUMNS, rows)
    return len(rows)


# --------------------------------------------------------------------------- leads

LEAD_COLUMNS = (
    "id",
    "source",
    "external_id",
    "email",
    "first_name",
    "last_name",
    "title",
    "phone",
    "company",
    "domain",
    "account_id",
    "persona",
    "bpm_stage",
    "inbound",
    "status",
    "owner_id",
    "disqualify_reason",
    "received_at",
    "first_response_at",
    "last_touch_at",
    "touch_count",
    "converted_at",
    "created_by",
    "version",
    "created_at",
    "updated_at",
)
LEAD_STATUSES = (("new", 0.25), ("working", 0.20), ("nurture", 0.15), ("disqualified", 0.15))


def generate_leads(org: Org, sizes: Sizes, rng: random.Random) -> Iterator[list[tuple[Any, ...]]]:
    now = now_utc()
    reps = org.reps
    domains = org.domains
    chunk: list[tuple[Any, ...]] = []
    rand = rng.random
    randint = rng.randint
    for i in range(sizes.leads):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        if rand() < 0.3:
            domain, account_id, owner = domains[randint(0, len(domains) - 1)]
            company = domain.split(".", 1)[0]
        else:
            company = f"company{randint(0, 199_999)}"
            domain, account_id, owner = f"{company}.example.net", None, None
        email = f"{first}.{last}.{i}@{domain}".lower()
        if rand() < 0.4:
            source, external_id, creator = "webform", f"wf-{i}", org.webform.id
            if owner is None and rand() < 0.7:
                owner = reps[i % len(reps)].id
        else:
            rep = reps[i % len(reps)]
            source, external_id, creator = "manual", None, rep.id
            owner = owner or rep.id
        x = rand()
        status = "converted"
        acc = 0.0
        for name, share in LEAD_STATUSES:
            acc += share
            if x < acc:
                status = name
                break
        received = now - timedelta(days=randint(0, 400), seconds=randint(0, 86_399))
        first_response = last_touch = converted = None
        touches = 0
        if status != "new":
            first_response = received + timedelta(minutes=randint(5, 4_320))
            touches = randint(1, 8)
            last_touch = min(now, first_response + timedelta(days=randint(0, 30)))
        if status == "converted":
            converted = min(now, received + timedelta(days=randint(5, 60)))
        updated = max(t for t in (received, last_touch, converted) if t is not None)
        chunk.append(
            (
                uuid.uuid4(),
                source,
                external_id,
                email,
                first,
                last,
                rng.choice(TITLES),
                f"+1 555 {randint(1_000_000, 9_999_999)}",
                company,
                domain,
                account_id,
                rng.choice(PERSONAS) if rand() < 0.6 else None,
                rng.choice(BPM_STAGES) if rand() < 0.4 else None,
                rand() < 0.5,
                status,
                owner,
                "No budget this year" if status == "disqualified" else None,
                received,
                first_response,
                last_touch,
                touches,
                converted,
                creator,
                1 + touches,
                received,
                updated,
            )
        )
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --------------------------------------------------------------------------- the whole load


async def load(
    database: str, scale: float, seed: int = 7, opportunities: bool = True
) -> dict[str, Any]:
    sizes = Sizes.for_scale(scale)
    rng = random.Random(seed)
    timer = Timer()
    quarters = Quarters.around(date.today())
    print(
        f"loading {database}: scale {scale} -> {sizes.opportunities:,} opportunities, "
        f"{sizes.leads:,} leads, {sizes.reps} reps, {sizes.big_accounts} x "
        f"{sizes.units_per_account} analysis territory; quarters {', '.join(quarters.labels)}",
        flush=True,
    )
    t = time.perf_counter()
    await recreate_database(database)
    migrate(database)
    timer.step("create and migrate", t)

    conn = await asyncpg.connect(database_dsn(database))
    try:
        await conn.execute(
            "SET synchronous_commit = off; SET maintenance_work_mem = '512MB';"
            " SET max_parallel_maintenance_workers = 2"
        )
        seeded = await seed_stages(conn)
        if seeded:
            print(f"  seeded {seeded} stages (the migrations had not)", flush=True)

        t = time.perf_counter()
        org = org_for(sizes)
        await load_people(conn, org)
        await load_territories(conn, org, sizes, rng)
        await load_quotas(conn, org, sizes, quarters, rng)
        timer.step("users, tokens, territories, accounts, units, quotas", t)

        t = time.perf_counter()
        submissions = await load_submissions(conn, org, sizes, rng)
        timer.step(f"{submissions:,} weekly forecast submissions", t)

        t = time.perf_counter()
        indexes = await drop_secondary_indexes(conn)
        loaded = history = 0
        # Without opportunities (`--no-opportunities`): a quicker data set for lead scenarios.
        batches = generate_opportunities(org, sizes, rng, quarters) if opportunities else ()
        for opps, hist, plans in batches:
            await copy(conn, "opportunities", OPPORTUNITY_COLUMNS, opps)
            await copy(conn, "opportunity_history", HISTORY_COLUMNS, hist)
            await copy(conn, "command_plans", PLAN_COLUMNS, plans)
            loaded += len(opps)
            history += len(hist)
            if loaded % 200_000 == 0:
                print(f"    {loaded:,} opportunities", flush=True)
        timer.step(f"{loaded:,} opportunities, {history:,} history rows, plans", t)

        t = time.perf_counter()
        leads = 0
        for chunk in generate_leads(org, sizes, rng):
            await copy(conn, "leads", LEAD_COLUMNS, chunk)
            leads += len(chunk)
        timer.step(f"{leads:,} leads", t)

        t = time.perf_counter()
        for _name, definition in indexes:
            await conn.execute(definition)
        timer.step(f"rebuild {len(indexes)} indexes", t)

        t = time.perf_counter()
        await conn.execute("VACUUM (ANALYZE)")
        timer.step("VACUUM ANALYZE", t)
        counts = {
            table: await conn.fetchval(f"SELECT count(*) FROM {table}")
            for table in (
                "users",
                "territories",
                "accounts",
                "units",
                "opportunities",
                "opportunity_history",
                "command_plans",
                "leads",
                "forecast_submissions",
            )
        }
        size = await conn.fetchval("SELECT pg_size_pretty(pg_database_size(current_database()))")
    finally:
        await conn.close()

    summary = {
        "database": database,
        "scale": scale,
        "seconds": timer.total,
        "steps": timer.steps,
        "counts": counts,
        "size": size,
        "quarters": quarters.labels,
    }
    write_tokens(
        org,
        sizes,
        database,
        {
            "big_territory_id": str(org.big_territory_id),
            "big_territory_owner": org.reps[0].email,
            "migrations": migrations_digest(),
            "load": summary,
        },
    )
    print(f"loaded in {timer.total:.0f} s ({size}); tokens in {TOKENS_PATH}", flush=True)
    return summary


def run(database: str, scale: float, seed: int, opportunities: bool = True) -> dict[str, Any]:
    if not math.isfinite(scale) or scale <= 0 or scale > 1:
        raise SystemExit("--scale must be in (0, 1]")
    return asyncio.run(load(database, scale, seed, opportunities))
