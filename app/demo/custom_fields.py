"""Demo custom fields (API.md section 13): the admin defines a lead score and a tier on leads
and a tier on accounts; the marketing integration posts its scores as a batch update by
external id, the admin tiers a few leads and the accounts. All through the services."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.schemas import AccountUpdate
from app.custom_fields import service
from app.custom_fields.schemas import CustomFieldCreate
from app.demo.leads import _ids
from app.leads import batch
from app.leads import service as leads_service
from app.leads.schemas import LeadUpdate

if TYPE_CHECKING:
    from app.demo import DemoContext

TIERS = ["standard", "gold", "platinum"]
FIELDS = [
    {"object": "lead", "key": "lead_score", "label": "Lead score", "type": "number"},
    {"object": "lead", "key": "tier", "label": "Tier", "type": "select", "options": TIERS},
    {"object": "account", "key": "tier", "label": "Tier", "type": "select", "options": TIERS},
]
# Editable leads (not converted or disqualified) get a tier by their position.
OPEN = frozenset({"new", "working", "nurture"})


async def load_custom_fields(session: AsyncSession, ctx: DemoContext) -> None:
    admin = ctx.principal("admin")
    for definition in FIELDS:
        await service.create_field(session, admin, CustomFieldCreate.model_validate(definition))
    scored: list[dict[str, Any]] = []
    for n, lead_id in enumerate(_ids(ctx.ids.get("leads"))):
        lead = await leads_service.get_lead(session, admin, lead_id)
        if lead.status not in OPEN:
            continue
        if lead.source == "marketo" and lead.external_id:
            scored.append(
                {
                    "email": lead.email,
                    "external_id": lead.external_id,
                    "custom": {"lead_score": 40 + 13 * n % 60},
                }
            )
        else:
            custom = {"tier": TIERS[n % len(TIERS)], "lead_score": 55 + 7 * n % 45}
            await leads_service.update_lead(
                session, admin, lead_id, LeadUpdate.model_validate({"custom": custom}), None
            )
    if scored:
        await batch.run(session, ctx.principal("marketo"), scored, "skip")
    for n, account_id in enumerate(_ids(ctx.ids.get("accounts"))):
        patch = AccountUpdate.model_validate({"custom": {"tier": TIERS[n % len(TIERS)]}})
        await accounts_service.update_account(session, admin, account_id, patch, None)
