"""SQL for accounts: visible when their territory is."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from app.core.repository import Repository
from app.core.visibility import Viewer, territory_visible
from app.models import Account


class AccountRepository(Repository[Account]):
    model = Account
    endpoint = "accounts"

    def visible(self, viewer: Viewer) -> ColumnElement[bool]:
        return territory_visible(viewer, Account.territory_id)
