"""Small SQL building blocks the repositories share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy import any_
from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def in_array(column: Any, values: Iterable[Any]) -> ColumnElement[bool]:
    """`column = ANY(:array)`: one array parameter, where `column.in_(values)` sends one
    parameter per value. With a thousand values (a lead batch) the IN list costs PostgreSQL a
    plan per distinct length and took 200 ms where the array takes 7."""
    array = bindparam(None, list(values), type_=ARRAY(column.type))
    condition: ColumnElement[bool] = column == any_(array)
    return condition
