"""Field patches: the changed fields of one record, as wire values.

A patch is a flat mapping ``{field name: wire value}``; custom fields appear under their
``custom_label_<id>`` names. On the wire they are nested in ``custom_fields`` - the helpers
here do that translation, so nothing else needs to know.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.fields import JSON, FieldSet, custom_label_id, same_value

Patch = dict[str, JSON]


def read_field(record: Mapping[str, Any], name: str) -> JSON:
    """The value of field ``name`` in a record as the server sent it (custom fields too)."""
    if custom_label_id(name) is not None:
        custom = record.get("custom_fields")
        return custom.get(name) if isinstance(custom, Mapping) else None
    return record.get(name)


def read_fields(record: Mapping[str, Any], names: Iterable[str]) -> Patch:
    """``{name: read_field(record, name)}`` for each name."""
    return {name: read_field(record, name) for name in names}


def apply_patch(record: Mapping[str, Any], patch: Mapping[str, JSON]) -> dict[str, Any]:
    """A copy of ``record`` with ``patch`` laid over it (custom fields nested)."""
    result = copy.deepcopy(dict(record))
    for name, value in patch.items():
        if custom_label_id(name) is not None:
            custom = result.get("custom_fields")
            custom = dict(custom) if isinstance(custom, Mapping) else {}
            custom[name] = copy.deepcopy(value)
            result["custom_fields"] = custom
        else:
            result[name] = copy.deepcopy(value)
    return result


def wire_body(entity: Entity, patch: Mapping[str, JSON]) -> dict[str, Any]:
    """The request body for a create/update: ``{"deal": {..., "custom_fields": {...}}}``."""
    inner: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    for name, value in patch.items():
        if custom_label_id(name) is not None:
            custom[name] = value
        else:
            inner[name] = value
    if custom:
        inner["custom_fields"] = custom
    return {entity.wrapper: inner}


def changed_only(record: Mapping[str, Any], patch: Mapping[str, JSON], fields: FieldSet) -> Patch:
    """The part of ``patch`` that really changes ``record`` (no-op fields dropped)."""
    return {
        name: value
        for name, value in patch.items()
        if not same_value(fields.get(name), read_field(record, name), value)
    }


def coalesce(earlier: Mapping[str, JSON], later: Mapping[str, JSON]) -> Patch:
    """One patch with the effect of ``earlier`` then ``later``."""
    merged = dict(earlier)
    merged.update(later)
    return merged
