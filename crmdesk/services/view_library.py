"""Views a person saves in crmdesk (filters, sort, columns), kept on this computer.

One JSON file per account, written atomically. Account saved searches (``/searches``) are
not stored here: they come from the store and are read-only in crmdesk.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from typing import Any

from crmdesk.domain.entities import Entity
from crmdesk.domain.errors import CrmError
from crmdesk.domain.sync_status import RecordSync
from crmdesk.services.atomic_file import atomic_write
from crmdesk.services.table_types import Filter, SavedView, Sort, ViewOrigin, ViewSpec

_VERSION = 1


class ViewLibraryError(CrmError):
    """The views file cannot be read or written; the message says which and why."""


def filter_to_json(value: Filter) -> dict[str, Any]:
    """A filter as JSON (only the fields that are set)."""
    out: dict[str, Any] = {}
    for spec in fields(value):
        item = getattr(value, spec.name)
        if item in (None, (), ""):
            continue
        if isinstance(item, datetime | date):
            out[spec.name] = item.isoformat()
        elif isinstance(item, tuple):
            out[spec.name] = [str(v) if isinstance(v, RecordSync) else v for v in item]
        else:
            out[spec.name] = item
    return out


def filter_from_json(data: Any) -> Filter:
    """The filter a ``filter_to_json`` dict stands for; unknown or bad keys are skipped."""
    if not isinstance(data, dict):
        return Filter()
    values: dict[str, Any] = {}
    for spec in fields(Filter):
        if spec.name not in data:
            continue
        item = data[spec.name]
        try:
            if spec.name in ("close_from", "close_to"):
                values[spec.name] = date.fromisoformat(item)
            elif spec.name in ("modified_from", "modified_to"):
                values[spec.name] = datetime.fromisoformat(item)
            elif spec.name == "sync":
                values[spec.name] = tuple(RecordSync(v) for v in item)
            elif spec.name == "person_types":
                values[spec.name] = tuple(str(v) for v in item)
            elif spec.name.endswith(("_ids", "statuses")):
                values[spec.name] = tuple(int(v) for v in item)
            elif spec.name in ("value_min", "value_max"):
                values[spec.name] = None if item is None else float(item)
            elif spec.name == "is_customer":
                values[spec.name] = None if item is None else bool(item)
            elif spec.name == "text":
                values[spec.name] = str(item)
        except (TypeError, ValueError):
            continue
    return Filter(**values)


def spec_to_json(spec: ViewSpec) -> dict[str, Any]:
    """A view spec as JSON."""
    return {
        "entity": spec.entity.value,
        "filter": filter_to_json(spec.filter),
        "sort": {"key": spec.sort.key, "descending": spec.sort.descending},
        "columns": list(spec.columns),
    }


def spec_from_json(data: Any) -> ViewSpec:
    """The spec of a ``spec_to_json`` dict; ValueError when the entity is unknown."""
    if not isinstance(data, dict):
        raise ValueError("a view must be a JSON object")
    entity = Entity(str(data.get("entity")))
    raw_sort = data.get("sort")
    sort: dict[str, Any] = raw_sort if isinstance(raw_sort, dict) else {}
    raw_columns = data.get("columns")
    columns: list[Any] = raw_columns if isinstance(raw_columns, list) else []
    return ViewSpec(
        entity,
        filter_from_json(data.get("filter")),
        Sort(str(sort.get("key") or "name"), bool(sort.get("descending"))),
        tuple(str(c) for c in columns),
    )


class ViewLibrary:
    """The locally saved views of one account (``path`` is a JSON file)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._views: list[SavedView] = []
        self._load()

    def _load(self) -> None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return
        except OSError as exc:
            raise ViewLibraryError(f"Saved views cannot be read from {self.path}: {exc}") from None
        try:
            data = json.loads(text)
            entries = data["views"]
        except (ValueError, KeyError, TypeError):
            # A damaged file must not cost the person their app: keep it aside, start empty.
            self.path.replace(self.path.with_suffix(".damaged.json"))
            return
        for entry in entries if isinstance(entries, list) else []:
            try:
                spec = spec_from_json(entry.get("spec"))
                self._views.append(
                    SavedView(str(entry["id"]), str(entry["name"]), ViewOrigin.LOCAL, spec)
                )
            except (ValueError, KeyError, TypeError, AttributeError):
                continue

    def _save(self) -> None:
        payload = {
            "version": _VERSION,
            "views": [
                {"id": v.id, "name": v.name, "spec": spec_to_json(v.spec)} for v in self._views
            ],
        }
        try:
            with atomic_write(self.path) as handle:
                json.dump(payload, handle, indent=2)
        except OSError as exc:
            raise ViewLibraryError(f"The view could not be saved to {self.path}: {exc}") from None

    def views(self, entity: Entity) -> list[SavedView]:
        """Saved views of ``entity``, by name."""
        found = [v for v in self._views if v.spec.entity is entity]
        return sorted(found, key=lambda v: v.name.lower())

    def save(self, name: str, spec: ViewSpec) -> SavedView:
        """Save ``spec`` under ``name``; a view of the same entity and name is replaced."""
        name = name.strip()
        if not name:
            raise ViewLibraryError("A view needs a name.")
        existing = next(
            (v for v in self._views if v.spec.entity is spec.entity and v.name == name), None
        )
        view = SavedView(
            existing.id if existing else uuid.uuid4().hex, name, ViewOrigin.LOCAL, spec
        )
        previous = list(self._views)
        self._views = [v for v in self._views if v is not existing] + [view]
        try:
            self._save()
        except ViewLibraryError:
            self._views = previous
            raise
        return view

    def delete(self, view_id: str) -> bool:
        """Forget a view; False when there was none with that id."""
        previous = list(self._views)
        self._views = [v for v in self._views if v.id != view_id]
        if len(self._views) == len(previous):
            return False
        try:
            self._save()
        except ViewLibraryError:
            self._views = previous
            raise
        return True
