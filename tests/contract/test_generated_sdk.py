"""A Python SDK generated from openapi/openapi.json with openapi-python-client
(--fail-on-warning) drives a real scenario against a running Engage: a territory and account,
leads posted in a batch, one qualified and converted, its opportunity walked to closed_won, and
the forecast roll-up read back."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from app.forecasts.fiscal import period_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    out = tmp_path_factory.mktemp("sdk")
    generator = Path(sys.executable).with_name("openapi-python-client")
    completed = subprocess.run(
        [
            str(generator),
            "generate",
            "--path",
            str(ROOT / "openapi" / "openapi.json"),
            "--config",
            str(ROOT / "sdk" / "openapi-python-client.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(out / "engage_client"),
            "--fail-on-warning",
        ],
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    sys.path.insert(0, str(out))
    try:
        return importlib.import_module("engage_client")
    finally:
        sys.path.remove(str(out))


class Api:
    """Calls a generated operation by its operationId with plain dicts as bodies, the way an
    integrator's script would, and returns the parsed (typed) answer."""

    def __init__(self, sdk: ModuleType, base_url: str, token: str) -> None:
        self.sdk = sdk
        self.client = sdk.AuthenticatedClient(base_url=base_url, token=token)
        api = importlib.import_module("engage_client.api")
        self.modules = {
            name.rsplit(".", 1)[-1]: name
            for _, name, is_package in pkgutil.walk_packages(api.__path__, "engage_client.api.")
            if not is_package
        }

    def operation(self, name: str) -> ModuleType:
        return importlib.import_module(self.modules[name])

    def __call__(self, operation_id: str, expect: int, **kwargs: Any) -> Any:
        module = self.operation(operation_id.replace("-", "_"))
        if isinstance(kwargs.get("body"), dict):
            kind = module.sync_detailed.__annotations__["body"]
            if isinstance(kind, str):
                kind = getattr(module, kind.split(" | ")[0])
            kind = next(k for k in getattr(kind, "__args__", (kind,)) if hasattr(k, "from_dict"))
            kwargs["body"] = kind.from_dict(kwargs["body"])
        response = module.sync_detailed(client=self.client, **kwargs)
        assert response.status_code == expect, (
            operation_id,
            response.status_code,
            response.content,
        )
        return response.parsed


def test_scenario_through_the_generated_sdk(sdk: ModuleType, live_server: tuple[str, str]) -> None:
    base, admin_token = live_server
    admin = Api(sdk, base, admin_token)
    tag = datetime.now(UTC).strftime("%H%M%S%f")

    rep_user = admin(
        "users-create",
        201,
        body={"email": f"sdk-{tag}@example.com", "name": "SDK Rep", "role": "rep"},
    )
    token = admin("users-tokens-create", 201, user_id=rep_user.id, body={"name": "sdk"})
    rep = Api(sdk, base, token.token)
    assert rep("me-get", 200).email == f"sdk-{tag}@example.com"

    territory = admin(
        "territories-create",
        201,
        body={"name": f"SDK {tag}", "owner_id": str(rep_user.id), "segment": "mid_market"},
    )
    domain = f"acme-{tag}.example"
    account = rep(
        "accounts-create",
        201,
        body={
            "territory_id": str(territory.id),
            "name": "Acme",
            "domain": domain,
            "vertical": "technology",
            "account_type": "net_new",
        },
    )
    rep(
        "units-create",
        201,
        account_id=account.id,
        body={"kind": "department", "name": "Platform", "adoption": "red"},
    )

    batch = admin(
        "leads-batch",
        200,
        body={
            "items": [
                {"email": f"pat@{domain}", "first_name": "Pat", "company": "Acme"},
                {"email": f"sam-{tag}@elsewhere.example", "first_name": "Sam"},
                {"email": "not-an-email"},
            ]
        },
    )
    assert [r.status for r in batch.results] == ["created", "created", "invalid"]
    lead_id = batch.results[0].id
    lead = rep("leads-get", 200, lead_id=lead_id)
    assert str(lead.account_id) == str(account.id) and str(lead.owner_id) == str(rep_user.id)

    today = date.today()
    rep(
        "leads-qualification-create",
        201,
        lead_id=lead_id,
        body={
            "authority": {"involvement": "decision_maker"},
            "initiative": {
                "kind": "top_2_priority",
                "driver": "modernization",
                "description": "CI",
            },
            "fit": {"current_tools": ["Jenkins"], "entry_use_case": "ci", "potential_seats": 80},
            "timing": {
                "meeting_on": today.isoformat(),
                "next_step_at": (datetime.now(UTC) + timedelta(days=20)).isoformat(),
            },
        },
    )
    converted = rep(
        "leads-convert",
        200,
        lead_id=lead_id,
        body={
            "create_opportunity": True,
            "opportunity": {
                "name": "Acme CI",
                "type": "new_business",
                "amount": "120000",
                "close_date": today.isoformat(),
            },
        },
    )
    opportunity_id = converted.opportunity.id

    rep(
        "command-plans-update",
        200,
        opportunity_id=opportunity_id,
        body={
            "overview": {
                "why_do_anything": "Slow releases",
                "why_now": "Mandate",
                "why_us": "One app",
                "primary_value_driver": "Speed",
                "required_capabilities": "CI",
            },
            "meddppicc": {
                "metrics": "Lead time",
                "economic_buyer": {"notes": "CTO"},
                "decision_criteria": "SaaS",
                "decision_process": "POV",
                "paper_process": "Legal",
                "partners": "None",
                "identify_pain": "Upkeep",
                "champion": {"notes": "Lead"},
                "competition": "Status quo",
            },
            "close_plan": [
                {"description": "Sign", "due_on": (today + timedelta(days=5)).isoformat()}
            ],
        },
    )
    rep(
        "opportunities-update",
        200,
        opportunity_id=opportunity_id,
        body={
            "proposal_sent_on": today.isoformat(),
            "signature_requested_on": today.isoformat(),
        },
    )
    stages = [
        "discovery",
        "scoping",
        "technical_evaluation",
        "proposal",
        "negotiating",
        "awaiting_signature",
        "closed_won",
    ]
    for stage in stages:
        moved = rep(
            "opportunities-change-stage",
            200,
            opportunity_id=opportunity_id,
            body={"to": stage},
        )
        assert moved.stage == stage
    assert moved.probability == 100 and moved.forecast_category == "closed"

    # Errors come back typed as problem documents, not raw bytes.
    missing = rep("leads-get", 404, lead_id="00000000-0000-4000-8000-000000000000")
    assert type(missing).__name__ == "Problem" and missing.type_ == "/problems/not-found"

    period = period_for(today, 1).label
    rollup = rep("forecasts-rollup", 200, period=period)
    assert rollup.figures.closed_won == "120000.00"
    assert rollup.figures.net_closed == "120000.00"
