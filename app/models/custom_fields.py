"""Custom field definitions (API.md section 13): admin-defined, typed fields whose values live
in the `custom` jsonb column of leads, contacts, accounts and opportunities."""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean
from sqlalchemy import CheckConstraint
from sqlalchemy import Index
from sqlalchemy import String
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from app.core.enums import OPTION_TYPES
from app.core.enums import CustomFieldObject
from app.core.enums import CustomFieldType
from app.models.base import Base
from app.models.base import Versioned
from app.models.base import enum_check
from app.models.base import uuid_pk

KEY_PATTERN = r"^[a-z][a-z0-9_]{1,39}$"


class CustomField(Versioned, Base):
    __tablename__ = "custom_fields"
    __table_args__ = (
        CheckConstraint(enum_check("object", CustomFieldObject), name="object"),
        CheckConstraint(enum_check("type", CustomFieldType), name="type"),
        CheckConstraint(f"key ~ '{KEY_PATTERN}'", name="key"),
        # Options exist exactly for the select types.
        CheckConstraint(
            f"({enum_check('type', OPTION_TYPES)}) = (options IS NOT NULL)", name="options"
        ),
        Index("uq_custom_fields_object_key", "object", "key", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    object: Mapped[str] = mapped_column(String(20), nullable=False)
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    label: Mapped[str] = mapped_column(String(200), nullable=False)
    type: Mapped[str] = mapped_column(String(20), nullable=False)
    options: Mapped[list[str] | None] = mapped_column(ARRAY(String(200)))
    required: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=text("false"))
