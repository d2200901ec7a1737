"""``MemoryStore``: a thread-safe in-process document store for tests and ``--backend memory``.

Every operation holds one store-wide lock, so find-one-and-update and compare-and-set
are atomic across threads. Unique and partial unique indexes are enforced on every
write; TTL indexes are applied by ``purge_expired`` (called by the job runner's poll
hook, ``PeriodicTtlPurge``, and by ``conman db init``) because the store has no
background task of its own.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from conman_adapters.store.base import (
    Doc,
    DocumentCollection,
    DocumentStore,
    Filter,
    IndexSpec,
    IndexStatus,
    SortSpec,
    StoreInfo,
    Update,
)
from conman_adapters.store.query import (
    MISSING,
    apply_update,
    get_path,
    matches,
    normalize,
    sort_docs,
    upsert_seed,
)
from conman_domain.errors import Conflict

__all__ = ["MemoryStore"]


class _MemoryCollection(DocumentCollection):
    def __init__(self, name: str, lock: threading.RLock) -> None:
        self.name = name
        self._lock = lock
        self._docs: dict[str, Doc] = {}
        # One map per unique index: index key -> _id of the document holding it.
        self._unique: list[tuple[IndexSpec, dict[tuple[Any, ...], str]]] = []

    @staticmethod
    def _key(spec: IndexSpec, doc: Doc) -> tuple[Any, ...] | None:
        if spec.partial is not None and not matches(doc, spec.partial):
            return None
        return tuple(_key_value(get_path(doc, f)) for f, _ in spec.keys)

    def _index(self, old: Doc | None, new: Doc | None) -> None:
        """Move ``old``'s index keys to ``new``; ``Conflict`` (and no change) on a clash."""
        changes = []
        for spec, keys in self._unique:
            old_key = self._key(spec, old) if old is not None else None
            new_key = self._key(spec, new) if new is not None else None
            if old_key == new_key:
                continue
            if (
                new is not None
                and new_key is not None
                and keys.get(new_key, new["_id"]) != new["_id"]
            ):
                raise Conflict(f"duplicate key in {self.name} index {spec.name}")
            changes.append((keys, old_key, new_key))
        for keys, old_key, new_key in changes:
            if old_key is not None:
                keys.pop(old_key, None)
            if new_key is not None and new is not None:
                keys[new_key] = new["_id"]

    def add_unique(self, spec: IndexSpec) -> None:
        keys: dict[tuple[Any, ...], str] = {}
        for doc in self._docs.values():
            key = self._key(spec, doc)
            if key is None:
                continue
            if key in keys:
                raise Conflict(f"existing duplicates in {self.name} for index {spec.name}")
            keys[key] = doc["_id"]
        self._unique.append((spec, keys))

    def _matching(self, flt: Filter, sort: SortSpec | None) -> list[Doc]:
        oid = flt.get("_id")
        if isinstance(oid, str):
            found = self._docs.get(oid)
            candidates = [found] if found is not None else []
        else:
            candidates = list(self._docs.values())
        hits = [d for d in candidates if matches(d, flt)]
        return sort_docs(hits, sort) if sort else hits

    def insert_one(self, doc: Doc) -> None:
        stored = normalize(doc)
        with self._lock:
            if stored["_id"] in self._docs:
                raise Conflict(f"duplicate _id in {self.name}")
            self._index(None, stored)
            self._docs[stored["_id"]] = stored

    def find_one(self, flt: Filter, sort: SortSpec | None = None) -> Doc | None:
        with self._lock:
            hits = self._matching(flt, sort)
            return copy.deepcopy(hits[0]) if hits else None

    def find(
        self, flt: Filter, sort: SortSpec | None = None, skip: int = 0, limit: int = 0
    ) -> list[Doc]:
        with self._lock:
            hits = self._matching(flt, sort)[skip:]
            if limit:
                hits = hits[:limit]
            return copy.deepcopy(hits)

    def count(self, flt: Filter) -> int:
        with self._lock:
            return len(self._matching(flt, None))

    def _replace(self, old: Doc, update: Update) -> Doc:
        new = apply_update(old, update)
        if new["_id"] != old["_id"]:
            raise ValueError("_id is immutable")
        self._index(old, new)
        self._docs[new["_id"]] = new
        return new

    def update_one(self, flt: Filter, update: Update, upsert: bool = False) -> bool:
        with self._lock:
            hits = self._matching(flt, None)
            if hits:
                self._replace(hits[0], update)
                return True
            if not upsert:
                return False
            seed = upsert_seed(flt)
            new = apply_update(seed, update)
            self.insert_one(new)
            return True

    def update_many(self, flt: Filter, update: Update) -> int:
        with self._lock:
            hits = self._matching(flt, None)
            for doc in hits:
                self._replace(doc, update)
            return len(hits)

    def find_one_and_update(
        self,
        flt: Filter,
        update: Update,
        sort: SortSpec | None = None,
        return_after: bool = True,
    ) -> Doc | None:
        with self._lock:
            hits = self._matching(flt, sort)
            if not hits:
                return None
            new = self._replace(hits[0], update)
            return copy.deepcopy(new if return_after else hits[0])

    def delete_one(self, flt: Filter) -> bool:
        with self._lock:
            hits = self._matching(flt, None)
            if hits:
                self._index(hits[0], None)
                del self._docs[hits[0]["_id"]]
            return bool(hits)

    def delete_many(self, flt: Filter) -> int:
        with self._lock:
            hits = self._matching(flt, None)
            for doc in hits:
                self._index(doc, None)
                del self._docs[doc["_id"]]
            return len(hits)


def _key_value(value: Any) -> Any:
    # A missing field and null are the same index key, as in MongoDB.
    return None if value is MISSING or value is None else repr(value)


class MemoryStore(DocumentStore):
    """Thread-safe in-memory backend; data lives as long as the object."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._collections: dict[str, _MemoryCollection] = {}
        self._indexes: dict[str, IndexSpec] = {}

    @property
    def backend(self) -> str:
        return "memory"

    def ping(self) -> None:
        return None

    def collection(self, name: str) -> DocumentCollection:
        return self._collection(name)

    def _collection(self, name: str) -> _MemoryCollection:
        with self._lock:
            coll = self._collections.get(name)
            if coll is None:
                coll = self._collections[name] = _MemoryCollection(name, self._lock)
            return coll

    def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        with self._lock:
            for spec in specs:
                key = f"{spec.collection}.{spec.name}"
                if key in self._indexes:
                    continue
                if spec.unique:
                    self._collection(spec.collection).add_unique(spec)
                self._indexes[key] = spec

    def info(self, specs: Sequence[IndexSpec]) -> StoreInfo:
        with self._lock:
            counts = {name: len(c._docs) for name, c in sorted(self._collections.items())}
            statuses = [
                IndexStatus(
                    collection=s.collection,
                    name=s.name,
                    present=f"{s.collection}.{s.name}" in self._indexes,
                )
                for s in specs
            ]
        return StoreInfo(backend="memory", version="memory", collections=counts, indexes=statuses)

    def purge_expired(self, specs: Sequence[IndexSpec], now: datetime) -> int:
        removed = 0
        for spec in specs:
            if spec.ttl_seconds is None:
                continue
            cutoff = normalize(now) - timedelta(seconds=spec.ttl_seconds)
            removed += self.collection(spec.collection).delete_many(
                {spec.keys[0][0]: {"$lte": cutoff}}
            )
        return removed

    def close(self) -> None:
        return None
