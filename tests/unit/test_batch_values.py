"""A batch item's values are what pydantic would dump for the fields sent."""

from __future__ import annotations

import uuid
from typing import Any
from typing import cast

from app.core.security import Principal
from app.leads.batch import BatchRun
from app.leads.schemas import LeadCreate


def test_values_read_from_the_model_equal_its_dump() -> None:
    full: dict[str, Any] = {
        "email": "Ada@Example.com",
        "external_id": "crm-1",
        "activity_id": str(uuid.uuid4()),
        "first_name": "Ada",
        "last_name": "Lovelace",
        "title": "CTO",
        "phone": "+44 20 7946 0000",
        "company": "Analytical Engines",
        "domain": "https://www.Example.com/about",
        "account_id": str(uuid.uuid4()),
        "persona": "technology_leader",
        "bpm_stage": "evaluation",
        "inbound": True,
        "status": "disqualified",
        "owner_id": str(uuid.uuid4()),
        "disqualify_reason": "No budget",
        "received_at": "2026-11-27T09:30:00+01:00",
        "custom": {"lead_score": 87, "tier": "gold"},
    }
    assert set(full) == set(LeadCreate.model_fields)  # every field, so a new one is covered
    principal = Principal(uuid.uuid4(), "i@x.io", "Hook", "integration", None, "hook", uuid.uuid4())
    run = BatchRun(cast(Any, None), principal, "skip")
    items = run._validate_chunk([(0, full), (1, {"email": "b@example.com", "first_name": None})])
    for item, raw in zip(
        items, [full, {"email": "b@example.com", "first_name": None}], strict=True
    ):
        model = LeadCreate.model_validate(raw)
        assert item.values == model.model_dump(include=set(raw))
        assert item.sent == set(raw)
