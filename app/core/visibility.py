"""Who can see what (API.md section 2), as SQL the domain repositories put in their WHERE clauses.

A rep's query never loads other reps' rows to filter them in Python: every helper here returns
a SQL expression or subquery evaluated by PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Protocol

from sqlalchemy import ARRAY
from sqlalchemy import ColumnElement
from sqlalchemy import Select
from sqlalchemy import Uuid
from sqlalchemy import and_
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy import false
from sqlalchemy import func
from sqlalchemy import or_
from sqlalchemy import select
from sqlalchemy import true
from sqlalchemy import union

from app.core.enums import Role
from app.models import Account
from app.models import Activity
from app.models import Lead
from app.models import Opportunity
from app.models import Territory
from app.models import TerritoryMember
from app.models import User


class Viewer(Protocol):
    """Whom visibility is computed for: a `Principal`, or a `BoundViewer`."""

    @property
    def id(self) -> Any: ...

    @property
    def role(self) -> str: ...


VIEWER_ID = "viewer_id"


@dataclass(frozen=True)
class BoundViewer:
    """A caller of `role` whose id is the parameter `:viewer_id`: a hot statement is built once
    per role and run with `{"viewer_id": principal.id}` (building a select with five nested
    subqueries costs more than PostgreSQL takes to run it)."""

    role: str
    id: Any = field(default_factory=lambda: bindparam(VIEWER_ID, type_=Uuid()))


def subtree_ids(root_id: Any) -> Select[Any]:
    """Ids of `root_id` and everyone below it in the manager tree (the engage_subtree SQL
    function: one index range of `user_ancestors`; usable several times and for several roots
    in one statement)."""
    tree = func.engage_subtree(root_id).table_valued("id")
    return select(tree.c.id)


def owner_ids(principal: Viewer) -> Select[Any] | None:
    """The users whose rep-level visibility the caller has; None means everyone (admin)."""
    if principal.role == "admin":
        return None
    if principal.role == "manager":
        return subtree_ids(principal.id)
    return select(User.id).where(User.id == principal.id)


def is_manager_of(principal: Viewer, user_id: Any) -> ColumnElement[bool]:
    """True when `user_id` is in the caller's subtree (caller included); admins manage all."""
    if principal.role == "admin":
        return true()
    if principal.role != "manager":
        return false()
    expression: ColumnElement[bool] = user_id.in_(subtree_ids(principal.id))
    return expression


def visible_territory_ids(principal: Viewer) -> Select[Any] | None:
    """Territories the caller can see; None means all (admin)."""
    owners = owner_ids(principal)
    if owners is None:
        return None
    if principal.role == "integration":
        return select(Territory.id).where(false())
    owned = select(Territory.id).where(Territory.owner_id.in_(owners))
    member_of = select(TerritoryMember.territory_id).where(TerritoryMember.user_id.in_(owners))
    return select(union(owned, member_of).subquery().c[0])


def territory_visible(principal: Viewer, territory_id: Any) -> ColumnElement[bool]:
    ids = visible_territory_ids(principal)
    return true() if ids is None else territory_id.in_(ids)


def visible_account_ids(principal: Viewer) -> Select[Any] | None:
    territories = visible_territory_ids(principal)
    if territories is None:
        return None
    return select(Account.id).where(Account.territory_id.in_(territories))


def account_visible(principal: Viewer, account_id: Any) -> ColumnElement[bool]:
    ids = visible_account_ids(principal)
    return true() if ids is None else account_id.in_(ids)


def lead_visible(principal: Viewer) -> ColumnElement[bool]:
    """Leads the caller owns (or their subtree owns), of visible accounts, or, for managers,
    unassigned ones; an integration sees the leads it created."""
    if principal.role == "admin":
        return true()
    if principal.role == "integration":
        created: ColumnElement[bool] = Lead.created_by == principal.id
        return created
    owners = owner_ids(principal)
    assert owners is not None
    clauses = [Lead.owner_id.in_(owners), account_visible(principal, Lead.account_id)]
    if principal.role == "manager":
        clauses.append(Lead.owner_id.is_(None))
    return or_(*clauses)


def opportunity_visible(principal: Viewer) -> ColumnElement[bool]:
    if principal.role == "admin":
        return true()
    if principal.role == "integration":
        return false()
    owners = owner_ids(principal)
    assert owners is not None
    # A rep's own on `owner_id` itself, which an index serves.
    owned = (
        Opportunity.owner_id == principal.id
        if principal.role == "rep"
        else Opportunity.owner_id.in_(owners)
    )
    return or_(owned, account_visible(principal, Opportunity.account_id))


def opportunity_visible_parts(principal: Viewer) -> tuple[ColumnElement[bool], ...]:
    """The opportunities the caller sees, as conditions any one of which is enough, each for a
    page of its own: a rep's own (on `owner_id` itself, which an index serves) and those at the
    accounts of their territories; one condition for the other roles.

    The rep's accounts part reads the accounts first, as one array, and finds their
    opportunities, sort keys included, in the (account_id, created_at, id) index. Written
    `IN (subquery)`, the planner may instead walk every opportunity in sort order testing each
    against the accounts: 9,183 index entries for one rep's first page, 27-74 ms instead of 5-8."""
    if principal.role != "rep":
        return (opportunity_visible(principal),)
    accounts = visible_account_ids(principal)
    assert accounts is not None
    in_accounts = Opportunity.account_id == any_(
        func.array(accounts.scalar_subquery(), type_=ARRAY(Uuid()))
    )
    return (Opportunity.owner_id == principal.id, in_accounts)


def activity_visible(principal: Viewer) -> ColumnElement[bool]:
    if principal.role == "integration":
        created: ColumnElement[bool] = Activity.created_by == principal.id
        return created
    return territory_visible(principal, Activity.territory_id)


def user_in_scope(principal: Viewer) -> ColumnElement[bool]:
    """The users whose work the caller answers for (owners they may name, reports they may
    read): admins every user, managers their subtree, others themselves."""
    if principal.role == "admin":
        return true()
    if principal.role == "manager":
        return User.id.in_(subtree_ids(principal.id))
    itself: ColumnElement[bool] = User.id == principal.id
    return itself


def user_visible(principal: Viewer) -> ColumnElement[bool]:
    """The directory (API.md section 10): admins see every user; managers and reps every
    active human user (and themselves); an integration only itself."""
    if principal.role == "admin":
        return true()
    itself: ColumnElement[bool] = User.id == principal.id
    if principal.role == "integration":
        return itself
    return or_(itself, and_(User.active.is_(True), User.role != Role.INTEGRATION))
