"""Base structs shared by every stored entity.

Conventions relied on by the persistence adapters:

- ``id`` is 24 lowercase hex characters (an ObjectId); stores map it to ``_id``.
- ``created_at`` (and ``updated_at`` for mutable entities) are timezone-aware UTC.
- ``version`` is the compare-and-set counter of mutable entities, incremented on
  every update by the repository that writes it.
- ``msgspec.to_builtins(entity, builtin_types=(datetime,))`` and
  ``msgspec.convert(doc, EntityType)`` round-trip every entity.
"""

from __future__ import annotations

from datetime import datetime

import msgspec

__all__ = ["Entity", "MutableEntity", "Value"]


class Value(msgspec.Struct, frozen=True, kw_only=True):
    """Base of immutable value objects."""


class Entity(msgspec.Struct, kw_only=True):
    """A stored document that is written once (append-only or insert-then-delete)."""

    id: str
    created_at: datetime


class MutableEntity(Entity, kw_only=True):
    """A stored document that changes; every update bumps ``version`` (CAS)."""

    updated_at: datetime
    version: int = 0
