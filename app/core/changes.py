"""Which fields an `*.updated` event lists (API.md section 15): the fields whose value
changed, custom fields as `custom.<key>`. Every path that updates a record (PATCH, upsert,
batch, CSV import, merge, transfer) asks this one function, so they cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from typing import Any

CUSTOM = "custom"
# The attribute holding the stored custom values (the `custom` attribute is the read view).
STORED_CUSTOM = "custom_values"
# Written on every change; never "what changed".
BOOKKEEPING = frozenset({"version", "updated_at"})


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The names of `after`'s fields whose value differs from `before` (absent counts as
    null), sorted; the custom values object (as `custom` or `custom_values`) contributes one
    `custom.<key>` per changed key."""
    names: list[str] = []
    for name, value in after.items():
        if name in BOOKKEEPING:
            continue
        old = before.get(name)
        if name in (CUSTOM, STORED_CUSTOM):
            old_values: Mapping[str, Any] = old or {}
            new_values: Mapping[str, Any] = value or {}
            names.extend(
                f"{CUSTOM}.{key}"
                for key in old_values.keys() | new_values.keys()
                if old_values.get(key) != new_values.get(key)
            )
        elif old != value:
            names.append(name)
    return sorted(names)


def updated_data(changed: Iterable[str]) -> dict[str, Any]:
    """The `data` of an `*.updated` event."""
    return {"changed": sorted(changed)}


def snapshot(entity: Any, names: Iterable[str]) -> dict[str, Any]:
    """The current values of `names` on a loaded record (what `before` is for a PATCH).

    Custom values are the stored ones, never the read view: the view leaves out archived
    keys, so a value still stored under one would look new and be listed as changed."""
    return {name: getattr(entity, STORED_CUSTOM if name == CUSTOM else name) for name in names}
