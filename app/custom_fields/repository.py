"""SQL for custom field definitions and the set-based work on the values they govern (in the
`custom` jsonb column of leads, contacts, accounts and opportunities)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Text
from sqlalchemy import exists
from sqlalchemy import func
from sqlalchemy import literal
from sqlalchemy import select
from sqlalchemy import update

from app.core.enums import CustomFieldObject
from app.core.enums import CustomFieldType
from app.core.repository import Repository
from app.models import Account
from app.models import Contact
from app.models import CustomField
from app.models import Lead
from app.models import Opportunity
from app.models.base import custom_holds

# The model whose `custom` column holds each object's values.
MODELS: dict[str, Any] = {
    CustomFieldObject.LEAD: Lead,
    CustomFieldObject.CONTACT: Contact,
    CustomFieldObject.ACCOUNT: Account,
    CustomFieldObject.OPPORTUNITY: Opportunity,
}


class CustomFieldRepository(Repository[CustomField]):
    model = CustomField
    endpoint = "custom-fields"
    sort_columns = {"created_at": CustomField.created_at, "key": CustomField.key}
    filter_columns = {"object": CustomField.object, "archived": CustomField.archived}

    async def of_object(self, object_name: str) -> list[CustomField]:
        rows = await self.session.scalars(
            select(CustomField).where(CustomField.object == object_name)
        )
        return list(rows)

    async def count(self, object_name: str) -> int:
        found = await self.session.scalar(
            select(func.count()).where(CustomField.object == object_name)
        )
        return int(found or 0)

    async def with_key(self, object_name: str, key: str) -> Any:
        return await self.session.scalar(
            select(CustomField.id).where(CustomField.object == object_name, CustomField.key == key)
        )

    async def options_in_use(self, field: CustomField, options: Iterable[str]) -> list[str]:
        """Which of `options` some record of the field's object holds (GIN containment)."""
        column = MODELS[field.object].custom_values
        in_use = []
        for option in options:
            value: Any = [option] if field.type == CustomFieldType.MULTI_SELECT else option
            if await self.session.scalar(
                select(exists().where(custom_holds(column, [{field.key: value}])))
            ):
                in_use.append(option)
        return in_use

    async def remove_values(self, object_name: str, key: str) -> None:
        """Drop `key` from every record of the object that holds it, in one UPDATE."""
        model = MODELS[object_name]
        await self.session.execute(
            update(model)
            .where(model.custom_values.has_key(key))
            .values(custom_values=model.custom_values.op("-")(literal(key, Text)))
            .execution_options(synchronize_session=False)
        )
