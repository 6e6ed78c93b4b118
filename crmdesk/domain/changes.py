"""Change sets: which records changed, and why; published on the event bus for the UI."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from crmdesk.domain.entities import Entity


class ChangeCause(StrEnum):
    """What made records change."""

    LOCAL_EDIT = "local_edit"  # the user edited, created or deleted something
    PULL = "pull"  # the sync engine stored what the server sent
    PUSH = "push"  # the server confirmed a queued change (ids may be re-mapped)
    CONFLICT = "conflict"  # a queued change met a concurrent server change
    RESOLUTION = "resolution"  # the user resolved a conflict or discarded a change


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """Ids changed per entity, plus local->server id re-mappings of confirmed creates.

    ``reset`` names entities that changed wholesale (first sync, deletion sweep): receivers
    should reload them instead of looking at ids. ``initiator`` is the object that asked for
    the change, so that it can skip refreshing itself.
    """

    ids: Mapping[Entity, frozenset[int]]
    cause: ChangeCause
    remapped: Mapping[int, int] = field(default_factory=lambda: MappingProxyType({}))
    reset: frozenset[Entity] = frozenset()
    lookups: bool = False
    initiator: object | None = field(default=None, compare=False)

    @classmethod
    def of(
        cls,
        entity: Entity,
        ids: Iterable[int],
        cause: ChangeCause,
        initiator: object | None = None,
    ) -> ChangeSet:
        """A change set for one entity."""
        return cls(MappingProxyType({entity: frozenset(ids)}), cause, initiator=initiator)

    def touches(self, entity: Entity) -> bool:
        """True if anything of ``entity`` changed."""
        return entity in self.reset or bool(self.ids.get(entity))

    def ids_of(self, entity: Entity) -> frozenset[int]:
        """Changed ids of ``entity`` (empty when none, or when the entity was reset)."""
        return self.ids.get(entity, frozenset())
