"""`engage demo`: opportunities in every stage, with qualifications, command plans, meetings,
reviews and the history their walks through the stages leave behind.

Uses the accounts earlier loaders stored in `ctx.ids["accounts"]` (Riley's, the demo rep's,
territory) where it can, and creates a small territory of its own for the rest; everything
goes through the services.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from collections.abc import Mapping
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts
from app.accounts.schemas import AccountCreate
from app.accounts.schemas import UnitCreate
from app.command_plans import service as command_plans
from app.command_plans.schemas import CommandPlanUpdate
from app.command_plans.schemas import ReviewCreate
from app.contacts import service as contacts
from app.contacts.schemas import ContactCreate
from app.contacts.schemas import ContactFilters
from app.core.config import get_settings
from app.core.pagination import PageParams
from app.core.security import Principal
from app.meetings import service as meetings
from app.meetings.schemas import MeetingCreate
from app.models import Account
from app.models import Contact
from app.models import Opportunity
from app.models import Territory
from app.opportunities import service
from app.opportunities import stage_moves
from app.opportunities.schemas import OpportunityCreate
from app.opportunities.schemas import OpportunityUpdate
from app.opportunities.schemas import StageChange
from app.qualification import service as qualification
from app.qualification.schemas import QualificationCreate
from app.stages.rules import DEFAULT_STAGES
from app.territories import service as territories
from app.territories.schemas import TerritoryCreate

if TYPE_CHECKING:
    from app.demo import DemoContext

# discovery .. awaiting_signature, then closed_won: the way a deal is walked up.
WALK = tuple(stage.slug for stage in DEFAULT_STAGES if 1 <= stage.number <= 7)


def _plan(customer: str, contact: Contact, today: date) -> dict[str, Any]:
    return {
        "overview": {
            "why_do_anything": f"{customer} ships quarterly; the board wants monthly releases.",
            "why_now": "Their Jenkins contract renews next quarter and an audit is due.",
            "why_us": "One platform for SCM, CI/CD and security scanning.",
            "primary_value_driver": "Faster, safer software delivery",
            "required_capabilities": "SaaS, SSO, merge-request pipelines, SAST and DAST",
        },
        "meddppicc": {
            "metrics": "Lead time from 21 days to 2; 30% less spent on toolchain upkeep.",
            "economic_buyer": {"notes": "CTO owns the platform budget."},
            "decision_criteria": "Total cost, security scanning built in, scales to 800 devs.",
            "decision_process": "Four-week proof of value, then the architecture board.",
            "paper_process": "Procurement and legal review, about three weeks; CFO signs.",
            "partners": "None: buying direct.",
            "identify_pain": "Releases wait days for manual security sign-off.",
            "champion": {"contact_id": str(contact.id), "notes": "Leads the platform team."},
            "competition": "GitHub Enterprise, and staying on Jenkins.",
        },
        "close_plan": [
            {
                "description": "Proof of value read-out",
                "due_on": (today + timedelta(days=7)).isoformat(),
            },
            {
                "description": "Security questionnaire",
                "due_on": (today + timedelta(days=14)).isoformat(),
            },
            {
                "description": "Order form signed",
                "due_on": (today + timedelta(days=30)).isoformat(),
            },
        ],
        "risks": "Budget may slip into next fiscal year.",
        "help_needed": "An executive sponsor call before the architecture board.",
    }


def _qualification(today: date) -> QualificationCreate:
    return QualificationCreate.model_validate(
        {
            "authority": {"involvement": "decision_maker"},
            "initiative": {
                "kind": "top_2_priority",
                "driver": "modernization",
                "description": "Replace the self-managed CI estate this year.",
            },
            "fit": {
                "current_tools": ["Jenkins", "Bitbucket", "SonarQube"],
                "entry_use_case": "ci",
                "potential_seats": 400,
            },
            "timing": {
                "meeting_on": today.isoformat(),
                "next_step_at": (datetime.now(UTC) + timedelta(days=10)).isoformat(),
            },
        }
    )


def _ids(values: object) -> list[uuid.UUID]:
    """The ids in what an earlier loader stored: a list of ids or rows, or a name -> id map."""
    if isinstance(values, Mapping):
        values = list(values.values())
    if not isinstance(values, Iterable) or isinstance(values, str | bytes):
        return []
    found = []
    for value in values:
        value = getattr(value, "id", value)
        if isinstance(value, uuid.UUID):
            found.append(value)
    return found


async def _own_territory(session: AsyncSession, ctx: DemoContext) -> Territory:
    """A small Commercial territory of the demo's own: its units move with the deals without
    changing the figures of the territory an earlier loader built."""
    data = {"name": "Commercial East", "owner_id": ctx.users["rep"].id, "segment": "mid_market"}
    return await territories.create_territory(
        session,
        ctx.principal("manager"),
        TerritoryCreate.model_validate({**data, "region": "US East"}),
    )


async def _account(
    session: AsyncSession,
    rep: Principal,
    territory: Territory,
    name: str,
    domain: str,
    vertical: str,
    kind: str,
) -> Account:
    data = {"name": name, "domain": domain, "vertical": vertical, "account_type": kind}
    return await accounts.create_account(
        session, rep, AccountCreate.model_validate({"territory_id": territory.id, **data})
    )


async def _accounts(
    session: AsyncSession, rep: Principal, ctx: DemoContext, own: Territory
) -> tuple[Account, Account]:
    """A net-new and a customer account: an earlier loader's (the rep's territory) when there
    are such, else new ones in the demo's own territory."""
    known = [await accounts.get_account(session, rep, i) for i in _ids(ctx.ids.get("accounts"))]
    owned = sorted(known, key=lambda a: a.name)
    net_new = next((a for a in owned if a.account_type == "net_new"), None)
    if net_new is None:
        net_new = await _account(
            session, rep, own, "Fabrikam Retail", "fabrikam-retail.example", "retail", "net_new"
        )
    customer = next((a for a in owned if a.account_type == "customer"), None)
    if customer is None:
        customer = await _account(
            session,
            rep,
            own,
            "Contoso Health",
            "contoso-health.example",
            "healthcare",
            "customer",
        )
    return net_new, customer


async def _contact(
    session: AsyncSession, rep: Principal, account: Account, first: str, last: str, title: str
) -> Contact:
    """The account's first contact, else a new one."""
    existing, _ = await contacts.list_contacts(
        session,
        rep,
        PageParams(1, None),
        ContactFilters(account_id=(account.id,)),
        "created_at",
        (),
    )
    if existing:
        return existing[0].record
    domain = account.domain or "example.com"
    data = {
        "account_id": account.id,
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}@{domain}",
        "title": title,
        "persona": "technology_leader",
    }
    return await contacts.create_contact(session, rep, ContactCreate.model_validate(data))


async def _units(session: AsyncSession, rep: Principal, account: Account) -> dict[str, uuid.UUID]:
    units: dict[str, uuid.UUID] = {}
    for name, adoption in (
        ("Route Planning", "red"),
        ("Fleet Telematics", "yellow"),
        ("Warehouse Systems", "red"),
        ("Finance IT", "none"),
    ):
        data = {"kind": "department", "name": name, "adoption": adoption}
        unit = await accounts.create_unit(session, rep, account.id, UnitCreate.model_validate(data))
        units[name] = unit.id
    return units


async def _walk(session: AsyncSession, rep: Principal, opportunity_id: uuid.UUID, to: str) -> None:
    tz = get_settings().tz
    for stage in WALK[: WALK.index(to) + 1]:
        await stage_moves.change_stage(
            session,
            rep,
            opportunity_id,
            StageChange(to=stage),
            None,
            tz,
        )


async def load_opportunities(session: AsyncSession, ctx: DemoContext) -> None:
    rep, manager = ctx.principal("rep"), ctx.principal("manager")
    tz = get_settings().tz
    today = datetime.now(tz).date()
    own = await _own_territory(session, ctx)
    net_new, customer = await _accounts(session, rep, ctx, own)
    northwind = await _account(
        session,
        rep,
        own,
        "Northwind Logistics",
        "northwind-logistics.example",
        "transportation",
        "net_new",
    )
    buyer = await _contact(session, rep, net_new, "Priya", "Raman", "VP Engineering")
    renewal_buyer = await _contact(
        session, rep, customer, "Tomás", "Ortega", "Director of Platform"
    )
    northwind_buyer = await _contact(session, rep, northwind, "Dana", "Okafor", "CTO")
    units = await _units(session, rep, northwind)
    activities = _ids(ctx.ids.get("activities"))

    created: list[uuid.UUID] = []

    async def open_deal(name: str, *, contact: Contact = buyer, **fields: Any) -> Opportunity:
        data = {
            "name": name,
            "contact_id": contact.id,
            "amount": "96000",
            "next_step": "Proof-of-value kickoff",
            "next_step_at": datetime.now(UTC) + timedelta(days=10),
            "entry_use_case": "ci",
            "potential_seats": 400,
            "close_date": today + timedelta(days=45),
            **fields,
        }
        opportunity = await service.create(session, rep, OpportunityCreate.model_validate(data))
        created.append(opportunity.id)
        return opportunity

    companies = {buyer.id: net_new.name, renewal_buyer.id: customer.name}
    companies[northwind_buyer.id] = northwind.name

    async def prepare(opportunity: Opportunity, contact: Contact = buyer) -> None:
        await qualification.qualify_opportunity(
            session, rep, opportunity.id, _qualification(today), tz
        )
        await command_plans.update(
            session,
            rep,
            opportunity.id,
            CommandPlanUpdate.model_validate(_plan(companies[contact.id], contact, today)),
            None,
        )

    # One deal per open stage and one won, each walked there stage by stage.
    stages = ("pending_acceptance", *WALK)
    for number, stage in enumerate(stages):
        extra: dict[str, Any] = {}
        if stage in ("negotiating", "awaiting_signature", "closed_won"):
            extra["proposal_sent_on"] = today - timedelta(days=5)
        if stage in ("awaiting_signature", "closed_won"):
            extra["signature_requested_on"] = today - timedelta(days=1)
        contact = buyer
        # Linked units move with these two: red to yellow, then red or yellow to green.
        if stage == "technical_evaluation":
            extra["unit_ids"] = [units["Warehouse Systems"]]
            contact = northwind_buyer
        if stage == "closed_won":
            extra["unit_ids"] = [units["Route Planning"], units["Fleet Telematics"]]
            contact = northwind_buyer
        if activities and stage in ("discovery", "proposal", "awaiting_signature"):
            extra["activity_id"] = activities[0]
        account_name = northwind.name if contact is northwind_buyer else net_new.name
        deal = await open_deal(
            f"{account_name}: CI/CD platform, wave {number + 1}",
            contact=contact,
            amount=str(Decimal(48000 + 12000 * number)),
            **extra,
        )
        if stage != "pending_acceptance":
            await prepare(deal, contact)
            await _walk(session, rep, deal.id, stage)
        if stage == "proposal":
            await command_plans.add_review(
                session,
                manager,
                deal.id,
                ReviewCreate(notes="Economic buyer not met yet: book the CTO before the board."),
            )
            await meetings.create(
                session,
                rep,
                MeetingCreate.model_validate(
                    {
                        "opportunity_id": deal.id,
                        "scheduled_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
                        "persona": "financial_leader",
                        "attendee_contact_ids": [buyer.id],
                        "objectives": [
                            "Walk through total cost of ownership",
                            "Agree paper process",
                        ],
                        "pre_call_questions": ["Is this spend in this year's budget?"],
                        "agenda": [
                            {
                                "topic": "Tool consolidation savings",
                                "questions": ["Which licences end this year?"],
                                "statements": ["Customers retire four tools on average."],
                                "case_study": "A regional bank cut toolchain spend by a third.",
                            }
                        ],
                        "research": {"crm": "Two earlier evaluations, 2023 and 2024."},
                    }
                ),
            )

    # Lost after scoping, unqualified at acceptance, and a duplicate.
    lost = await open_deal(f"{net_new.name}: security scanning add-on", amount="30000")
    await prepare(lost)
    await _walk(session, rep, lost.id, "scoping")
    await stage_moves.change_stage(
        session,
        rep,
        lost.id,
        StageChange(
            to="lost", loss_reason="competitor", loss_details="Chose GitHub Advanced Security."
        ),
        None,
        tz,
    )
    # Closed is final: the loss is booked to the day the customer said so, which only an admin
    # corrects afterwards, with the reason the history keeps.
    await service.update(
        session,
        ctx.principal("admin"),
        lost.id,
        OpportunityUpdate(
            close_date=max(today - timedelta(days=2), today.replace(day=1)),
            change_reason="The customer told us on the call two days ago; booked late.",
        ),
        None,
    )
    unqualified = await open_deal(f"{net_new.name}: data team pilot", amount="8000")
    await stage_moves.change_stage(
        session,
        rep,
        unqualified.id,
        StageChange(to="unqualified", reason="No initiative or budget."),
        None,
        tz,
    )
    duplicate = await open_deal(f"{net_new.name}: CI/CD platform (entered twice)")
    await stage_moves.change_stage(
        session,
        rep,
        duplicate.id,
        StageChange(to="duplicate", duplicate_of_id=created[0]),
        None,
        tz,
    )

    # A renewal expected to shrink, and a forecast override by the owner.
    renewal = await open_deal(
        f"{customer.name}: annual renewal",
        contact=renewal_buyer,
        type="renewal",
        amount="110000",
        renewal_arr="125000",
        renewal_forecast_category="best_case",
    )
    await prepare(renewal, renewal_buyer)
    await _walk(session, rep, renewal.id, "proposal")
    await service.update(
        session,
        rep,
        renewal.id,
        OpportunityUpdate.model_validate({"forecast_category": "commit"}),
        None,
    )
    ctx.ids["opportunities"] = created
