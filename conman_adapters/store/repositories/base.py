"""Generic repositories over a ``DocumentCollection`` (written once for every backend)."""

from __future__ import annotations

import builtins
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from conman_adapters.store.base import Doc, DocumentCollection, DocumentStore
from conman_domain.errors import Conflict, NotFound
from conman_domain.model import Entity, MutableEntity
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.repos import EntityRepoPort, MutableRepoPort, Page, Sort, Where

__all__ = ["MutableStoreRepository", "StoreRepository", "to_doc"]

E = TypeVar("E", bound=Entity)
M = TypeVar("M", bound=MutableEntity)


def to_doc(entity: msgspec.Struct) -> Doc:
    """The stored document of an entity: its fields with ``id`` renamed ``_id``."""
    body: Doc = msgspec.to_builtins(entity, builtin_types=(datetime,))
    body["_id"] = body.pop("id")
    return body


def _sort_with_tiebreak(sort: Sort) -> list[tuple[str, int]]:
    keys = [(f, d) for f, d in sort if f not in ("_id", "id")]
    return [*keys, ("_id", -1)]


def _where(where: Where) -> Where:
    if "id" in where:
        out = dict(where)
        out["_id"] = out.pop("id")
        return out
    return where


class StoreRepository(EntityRepoPort[E], Generic[E]):
    """Insert / get / list / count / delete for one collection of ``entity_type``."""

    def __init__(self, store: DocumentStore, collection: str, entity_type: type[E]) -> None:
        self.collection_name = collection
        self.entity_type = entity_type
        self._coll: DocumentCollection = store.collection(collection)
        self._label = collection.rstrip("s")

    def get(self, entity_id: str) -> E:
        found = self._coll.find_one_as({"_id": entity_id}, self.entity_type)
        if found is None:
            raise NotFound(self._label, entity_id)
        return found

    def find_one(self, where: Where, sort: Sort | None = None) -> E | None:
        return self._coll.find_one_as(_where(where), self.entity_type, sort)

    def insert(self, entity: E) -> E:
        self._coll.insert_one(to_doc(entity))
        return entity

    def list(self, where: Where, sort: Sort = (), page: int = 1, limit: int = 20) -> Page[E]:
        flt = _where(where)
        page, limit = max(page, 1), max(limit, 1)
        items = self._coll.find_as(
            flt, self.entity_type, _sort_with_tiebreak(sort), (page - 1) * limit, limit
        )
        return Page(items=items, total=self._coll.count(flt), page=page, limit=limit)

    def all(self, where: Where, sort: Sort = ()) -> builtins.list[E]:
        return self._coll.find_as(_where(where), self.entity_type, _sort_with_tiebreak(sort))

    def count(self, where: Where) -> int:
        return self._coll.count(_where(where))

    def delete(self, entity_id: str) -> None:
        if not self._coll.delete_one({"_id": entity_id}):
            raise NotFound(self._label, entity_id)


class MutableStoreRepository(StoreRepository[M], MutableRepoPort[M], Generic[M]):
    """Adds compare-and-set writes on ``(id, version)``."""

    def __init__(
        self, store: DocumentStore, collection: str, entity_type: type[M], clock: ClockPort
    ) -> None:
        super().__init__(store, collection, entity_type)
        self._clock = clock

    def _lost(self, entity_id: str, expected_version: int) -> Conflict | NotFound:
        if self._coll.find_one({"_id": entity_id}) is None:
            return NotFound(self._label, entity_id)
        return Conflict(
            f"{self._label} {entity_id} was changed concurrently (expected version "
            f"{expected_version})"
        )

    def save(self, entity: M) -> M:
        now = self._clock.now()
        new = msgspec.structs.replace(entity, version=entity.version + 1, updated_at=now)
        body = to_doc(new)
        del body["_id"]
        if not self._coll.update_one({"_id": entity.id, "version": entity.version}, {"$set": body}):
            raise self._lost(entity.id, entity.version)
        return new

    def set_fields(self, entity_id: str, expected_version: int, changes: Mapping[str, Any]) -> int:
        fields = {k: _builtin(v) for k, v in changes.items()}
        fields["version"] = expected_version + 1
        fields["updated_at"] = self._clock.now()
        if not self._coll.update_one(
            {"_id": entity_id, "version": expected_version}, {"$set": fields}
        ):
            raise self._lost(entity_id, expected_version)
        return expected_version + 1


def _builtin(value: Any) -> Any:
    if value is None or type(value) in (str, int, float, bool, datetime):
        return value
    return msgspec.to_builtins(value, builtin_types=(datetime,))
