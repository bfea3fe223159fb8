"""`engage demo`: Riley's DACH territory, a dozen accounts in three verticals covering every
analysis status, its extended team, two strategic plans and engagement activities of several
types. Loaded through the services, as a rep, a manager and an integration would."""

from __future__ import annotations

from typing import TYPE_CHECKING
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.schemas import AccountCreate
from app.accounts.schemas import UnitCreate
from app.accounts.schemas import UnitUpdate
from app.activities import service as activities_service
from app.activities.schemas import ActivityCreate
from app.territories import service
from app.territories.schemas import PlanCreate
from app.territories.schemas import TeamReplace
from app.territories.schemas import TerritoryCreate

if TYPE_CHECKING:
    from app.demo import DemoContext

# name, vertical, type, domain, routes, partners, cloud providers, it support, units.
# A unit is (name, kind, adoption, headcount, children); a unit marked "->green" is mapped
# first with the adoption before the arrow and then converted, so the history shows it.
Unit = tuple[str, str, str, int | None, tuple[Any, ...]]
ACCOUNTS: list[
    tuple[str, str, str, str, list[str], list[dict[str, str]], list[str], str, tuple[Unit, ...]]
] = [
    (
        "Northwind Bank",
        "financial_services",
        "customer",
        "northwind-bank.example",
        ["direct", "channel"],
        [{"kind": "si", "name": "Accenture"}],
        ["aws"],
        "in_house",
        (
            (
                "Retail Banking",
                "division",
                "none",
                None,
                (
                    ("Munich branch IT", "branch", "red->green", 40, ()),
                    ("Frankfurt branch IT", "branch", "green", 35, ()),
                    ("Hamburg branch IT", "branch", "red", 30, ()),
                ),
            ),
            ("Corporate Banking", "division", "red", 120, ()),
            ("Wealth Management", "department", "yellow", 25, ()),
            ("Group HR", "department", "none", None, ()),
        ),
    ),
    (
        "Contoso Versicherung",
        "financial_services",
        "customer",
        "contoso-versicherung.example",
        ["direct"],
        [],
        ["azure"],
        "in_house",
        (
            ("Claims IT", "department", "green", 60, ()),
            ("Underwriting Platforms", "department", "green", 45, ()),
            ("Facilities", "department", "none", None, ()),
        ),
    ),
    (
        "Fabrikam Capital",
        "financial_services",
        "net_new",
        "fabrikam-capital.example",
        ["channel"],
        [{"kind": "reseller", "name": "SoftwareOne"}],
        ["aws", "gcp"],
        "outsourced",
        (
            ("Trading Platforms", "division", "red", 150, ()),
            ("Risk Engineering", "department", "red", 70, ()),
            ("Compliance", "department", "none", None, ()),
        ),
    ),
    (
        "Alpine Privatbank",
        "financial_services",
        "net_new",
        "alpine-privatbank.example",
        ["direct"],
        [],
        [],
        "in_house",
        (
            ("Digital Channels", "department", "yellow", 30, ()),
            ("Core Banking", "department", "red", 55, ()),
        ),
    ),
    (
        "Rhein Sparkasse",
        "financial_services",
        "net_new",
        "rhein-sparkasse.example",
        ["programs"],
        [],
        [],
        "outsourced",
        (
            ("Online Banking", "department", "red", 20, ()),
            ("Branch Operations", "department", "none", None, ()),
        ),
    ),
    (
        "Helvetia Klinikum",
        "healthcare",
        "customer",
        "helvetia-klinikum.example",
        ["direct", "programs"],
        [{"kind": "cloud", "name": "Microsoft Azure"}],
        ["azure"],
        "in_house",
        (
            ("Clinical Systems", "division", "yellow->green", 50, ()),
            ("Research Computing", "department", "yellow", 40, ()),
            ("Billing", "department", "red", 15, ()),
        ),
    ),
    (
        "Isar Health Group",
        "healthcare",
        "net_new",
        "isar-health.example",
        ["channel"],
        [{"kind": "si", "name": "Capgemini"}],
        ["aws"],
        "outsourced",
        (
            ("Patient Portal", "department", "yellow", 18, ()),
            ("Administration", "department", "none", None, ()),
        ),
    ),
    (
        "Spree Pharma",
        "healthcare",
        "net_new",
        "spree-pharma.example",
        ["direct"],
        [],
        [],
        "outsourced",
        (
            ("Sales", "department", "none", None, ()),
            ("Finance", "department", "none", None, ()),
        ),
    ),
    (
        "Lakeside Diagnostics",
        "healthcare",
        "net_new",
        "lakeside-diagnostics.example",
        ["programs"],
        [],
        ["gcp"],
        "in_house",
        (
            ("Imaging Software", "department", "red", 35, ()),
            ("Lab Automation", "department", "red", 22, ()),
        ),
    ),
    (
        "Bavaria Motors",
        "manufacturing",
        "customer",
        "bavaria-motors.example",
        ["direct", "channel"],
        [{"kind": "oem", "name": "Siemens"}],
        ["aws", "azure"],
        "in_house",
        (
            (
                "Connected Car",
                "division",
                "none",
                None,
                (
                    ("Embedded Software", "department", "green", 200, ()),
                    ("Infotainment", "department", "yellow", 80, ()),
                ),
            ),
            ("Plant IT", "division", "red", 90, ()),
        ),
    ),
    (
        "Neckar Maschinenbau",
        "manufacturing",
        "net_new",
        "neckar-maschinenbau.example",
        ["channel"],
        [{"kind": "reseller", "name": "Bechtle"}],
        [],
        "outsourced",
        (
            ("PLC Engineering", "department", "red", 45, ()),
            ("ERP Team", "department", "red", 12, ()),
            ("Design Studio", "department", "none", None, ()),
        ),
    ),
    (
        "Donau Robotics",
        "manufacturing",
        "customer",
        "donau-robotics.example",
        ["direct"],
        [],
        ["gcp"],
        "in_house",
        (
            ("Firmware", "department", "green", 65, ()),
            ("Cloud Platform", "department", "yellow->green", 30, ()),
        ),
    ),
]

PLANS = [
    {
        "vertical": "financial_services",
        "objectives": [
            "Turn Northwind's red corporate banking division green by leveraging the "
            "Frankfurt branch team's success",
            "Find a point of entry at Fabrikam Capital and Rhein Sparkasse",
        ],
        "tactics": [
            {
                "activity_type": "lunch_and_learn",
                "description": "CI/CD lunch for Northwind corporate banking hosted by the "
                "Frankfurt branch team",
            },
            {
                "activity_type": "si_partner",
                "description": "Joint compliance-automation pitch with Accenture",
            },
            {
                "activity_type": "industry_membership",
                "description": "Sponsor the regional FinTech DevOps circle",
            },
        ],
    },
    {
        "vertical": "healthcare",
        "objectives": ["Land Lakeside Diagnostics through a secure-SDLC workshop"],
        "tactics": [
            {
                "activity_type": "workshop",
                "description": "Hands-on security scanning workshop for lab software teams",
            },
            {
                "activity_type": "cloud_partner",
                "description": "Azure co-sell with Helvetia Klinikum as the reference",
            },
        ],
    },
]


def _activities(account_ids: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(who creates it, the activity) for the demo territory."""
    return [
        (
            "rep",
            {
                "type": "lunch_and_learn",
                "name": "CI/CD lunch at Northwind corporate banking",
                "starts_on": "2026-12-03",
                "vertical": "financial_services",
                "account_ids": [account_ids["Northwind Bank"]],
                "status": "done",
            },
        ),
        (
            "rep",
            {
                "type": "si_partner",
                "name": "Compliance automation with Accenture",
                "starts_on": "2027-01-20",
                "vertical": "financial_services",
                "account_ids": [account_ids["Fabrikam Capital"], account_ids["Rhein Sparkasse"]],
                "partner": {"kind": "si", "name": "Accenture"},
            },
        ),
        (
            "rep",
            {
                "type": "workshop",
                "name": "Secure SDLC workshop for lab software",
                "starts_on": "2027-02-10",
                "ends_on": "2027-02-11",
                "vertical": "healthcare",
                "account_ids": [account_ids["Lakeside Diagnostics"]],
            },
        ),
        (
            "rep",
            {
                "type": "cloud_partner",
                "name": "Azure co-sell day",
                "starts_on": "2027-02-24",
                "vertical": "healthcare",
                "account_ids": [account_ids["Helvetia Klinikum"], account_ids["Isar Health Group"]],
                "partner": {"kind": "cloud", "name": "Microsoft Azure"},
            },
        ),
        (
            "rep2",
            {
                "type": "trade_show",
                "name": "DevOps Days Munich",
                "starts_on": "2027-03-15",
                "ends_on": "2027-03-16",
                "vertical": "manufacturing",
                "account_ids": [account_ids["Neckar Maschinenbau"], account_ids["Bavaria Motors"]],
            },
        ),
        (
            "marketo",
            {
                "type": "marketing_campaign",
                "name": "Platform engineering nurture",
                "starts_on": "2027-01-05",
                "status": "planned",
            },
        ),
    ]


async def _add_units(
    session: AsyncSession,
    ctx: DemoContext,
    account_id: Any,
    units: tuple[Any, ...],
    parent_id: Any = None,
) -> None:
    rep = ctx.principal("rep")
    for name, kind, adoption, headcount, children in units:
        first, _, then = adoption.partition("->")
        created = await accounts_service.create_unit(
            session,
            rep,
            account_id,
            UnitCreate.model_validate(
                {
                    "name": name,
                    "kind": kind,
                    "adoption": first,
                    "devops_headcount": headcount,
                    "parent_id": parent_id,
                }
            ),
        )
        if then:
            await accounts_service.update_unit(
                session, rep, created.id, UnitUpdate.model_validate({"adoption": then}), None
            )
        await _add_units(session, ctx, account_id, children, created.id)


async def load_territory(session: AsyncSession, ctx: DemoContext) -> None:
    manager, rep = ctx.principal("manager"), ctx.principal("rep")
    territory = await service.create_territory(
        session,
        manager,
        TerritoryCreate.model_validate(
            {
                "name": "DACH Enterprise",
                "owner_id": rep.id,
                "segment": "enterprise",
                "region": "Germany, Austria, Switzerland",
                "description": "Banks, hospitals and manufacturers in the DACH region.",
            }
        ),
    )
    ctx.ids["territory"] = territory.id
    await service.replace_team(
        session,
        manager,
        territory.id,
        TeamReplace.model_validate(
            {
                "members": [
                    {"user_id": ctx.users["rep2"].id, "role": "sdr"},
                    {"name": "Ben Keller", "role": "isr"},
                    {"name": "Priya Raman", "role": "sa"},
                    {"name": "Jonas Weber", "role": "csm"},
                    {"name": "Lea Fischer", "role": "reseller_channel_manager"},
                    {"name": "Marco Rossi", "role": "si_channel_manager"},
                    {"name": "Hannah Schulz", "role": "oem_cloud_channel_manager"},
                    {"name": "Tom Becker", "role": "field_marketing"},
                ]
            }
        ),
        None,
    )
    account_ids: dict[str, Any] = {}
    for name, vertical, kind, domain, routes, partners, clouds, support, units in ACCOUNTS:
        account = await accounts_service.create_account(
            session,
            rep,
            AccountCreate.model_validate(
                {
                    "territory_id": territory.id,
                    "name": name,
                    "domain": domain,
                    "vertical": vertical,
                    "account_type": kind,
                    "routes_to_market": routes,
                    "partners": partners,
                    "cloud_providers": clouds,
                    "it_support": support,
                }
            ),
        )
        account_ids[name] = account.id
        await _add_units(session, ctx, account.id, units)
    ctx.ids["accounts"] = account_ids
    for plan in PLANS:
        await service.create_plan(session, rep, territory.id, PlanCreate.model_validate(plan))
    activity_ids: dict[str, Any] = {}
    for who, activity in _activities(account_ids):
        created = await activities_service.create_activity(
            session,
            ctx.principal(who),
            ActivityCreate.model_validate({"territory_id": territory.id, **activity}),
        )
        activity_ids[activity["name"]] = created.id
    ctx.ids["activities"] = activity_ids
