"""`POST /leads/{id}/convert`: a lead becomes a contact of an account (found or created) and,
when asked, an opportunity. Everything happens in the request's one transaction, so a failure
at any step (an unqualified lead refused an opportunity, say) leaves nothing behind."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts import service as accounts_service
from app.accounts.repository import AccountRepository
from app.accounts.schemas import AccountCreate
from app.contacts import service as contacts_service
from app.contacts.repository import ContactRepository
from app.core import events
from app.core.changes import snapshot
from app.core.enums import EventResource
from app.core.enums import EventType
from app.core.errors import InvalidTransition
from app.core.errors import field_error
from app.core.errors import not_visible
from app.core.security import Principal
from app.leads.opportunity import open_from_lead
from app.leads.repository import LeadRepository
from app.leads.rules import account_domain_for
from app.leads.schemas import ConvertRequest
from app.leads.service import get_lead
from app.models import Account
from app.models import Contact
from app.models import Lead
from app.models import Opportunity
from app.territories.repository import TerritoryRepository

NEW_ACCOUNT_VERTICAL = "other"
NEW_ACCOUNT_TYPE = "net_new"
# What a contact takes from the lead it is converted from.
CONTACT_FROM_LEAD = ("first_name", "last_name", "email", "title", "persona")


@dataclass(frozen=True)
class Conversion:
    lead: Lead
    contact: Contact
    account: Account
    opportunity: Opportunity | None


def _account_name(lead: Lead, domain: str | None) -> str:
    """The company, else the (company) domain, else the person: a one-person account."""
    person = " ".join(p for p in (lead.first_name, lead.last_name) if p)
    return (lead.company or domain or person or lead.email)[:200]


async def _territory_for_new_account(
    session: AsyncSession, principal: Principal, lead: Lead, territory_id: uuid.UUID | None
) -> uuid.UUID:
    territories = TerritoryRepository(session)
    if territory_id is not None:
        if not await territories.is_visible(principal, territory_id):
            raise not_visible("territory_id")
        return territory_id
    owner_id = lead.owner_id or principal.id
    owned = await territories.owned_by(owner_id)
    if len(owned) == 1:
        return owned[0]
    if not owned:
        raise field_error(
            "territory_id",
            "required",
            "No account matches the lead and its owner has no territory: give territory_id.",
        )
    raise field_error(
        "territory_id",
        "ambiguous",
        "The lead's owner has several territories: give territory_id for the new account.",
    )


async def _account(
    session: AsyncSession, principal: Principal, lead: Lead, body: ConvertRequest
) -> Account:
    """The lead's account, or `account_id`, or the account with the lead's domain, or a new
    one from the lead's company and domain."""
    accounts = AccountRepository(session)
    if lead.account_id is not None:
        if body.account_id is not None and body.account_id != lead.account_id:
            raise field_error(
                "account_id",
                "conflicts_with_lead",
                "The lead belongs to another account; it converts into that one.",
            )
        account = await accounts.get(lead.account_id)
        assert account is not None
        return account
    if body.account_id is not None:
        account = await accounts.get_visible(principal, body.account_id)
        if account is None:
            raise not_visible("account_id")
        return account
    domain = account_domain_for(lead.domain)
    if domain is not None and (found := await accounts.by_domain(domain)):
        return found
    territory_id = await _territory_for_new_account(session, principal, lead, body.territory_id)
    # Created through the accounts service: its rules (domain, territory) hold here too, but
    # not required custom fields: a conversion request cannot give their values.
    return await accounts_service.create_account(
        session,
        principal,
        AccountCreate(
            territory_id=territory_id,
            name=_account_name(lead, domain),
            domain=domain,
            vertical=NEW_ACCOUNT_VERTICAL,
            account_type=NEW_ACCOUNT_TYPE,
        ),
        custom_required=False,
    )


async def _contact(
    session: AsyncSession, principal: Principal, lead: Lead, account: Account
) -> Contact:
    """A contact of the account with the lead's email, else a new one from the lead."""
    contacts = ContactRepository(session)
    existing = await contacts.first_with_email(account.id, lead.email)
    if existing is not None:
        if existing.lead_id is None:
            # Attribute the known person to this lead (activity performance counts through it).
            link = {"lead_id": lead.id}
            before = snapshot(existing, link)
            await contacts.apply_patch(existing, link)
            await events.emit_update(
                session,
                EventResource.CONTACT,
                existing.id,
                existing.version,
                before,
                link,
                principal.id,
            )
        return existing
    carried = snapshot(lead, CONTACT_FROM_LEAD)
    contact = Contact(account_id=account.id, lead_id=lead.id, **carried)
    return await contacts_service.store(session, contact, principal.id)


async def convert_lead(
    session: AsyncSession,
    principal: Principal,
    lead_id: uuid.UUID,
    body: ConvertRequest,
    if_match: str | None,
) -> Conversion:
    lead = await get_lead.for_change(session, principal, lead_id, if_match)
    if lead.status == "converted":
        raise InvalidTransition("The lead is already converted.")
    if body.opportunity is not None and not body.create_opportunity:
        raise field_error(
            "opportunity", "not_allowed", "opportunity goes with create_opportunity: true."
        )
    account = await _account(session, principal, lead, body)
    contact = await _contact(session, principal, lead, account)
    opportunity = None
    if body.create_opportunity:
        opportunity = await open_from_lead(
            session, principal, lead=lead, contact=contact, account=account, spec=body.opportunity
        )
    now = datetime.now(UTC)
    await LeadRepository(session).save_lead(
        lead,
        {
            "status": "converted",
            "account_id": account.id,
            "converted_at": now,
            "converted_contact_id": contact.id,
            "converted_opportunity_id": opportunity.id if opportunity is not None else None,
            "version": lead.version + 1,
            "updated_at": now,
        },
    )
    await events.emit(
        session, EventType.LEAD_CONVERTED, EventResource.LEAD, lead.id, principal.id, lead.version
    )
    return Conversion(lead, contact, account, opportunity)
