"""The document-collection interface every store backend implements.

It is the subset of the pymongo ``Collection`` API that the repositories need
(ARCHITECTURE.md §3). Documents are plain dicts whose ``_id`` is a string (24-hex
ObjectId text, or a free string such as a runner id); MongoDB stores hex ids as
``ObjectId`` and converts at its boundary. Values are JSON types plus timezone-aware
``datetime`` (UTC, millisecond precision on every backend).

Supported filter language: equality (``None`` also matches a missing field),
``$eq``, ``$ne``, ``$in``, ``$nin``, ``$gt``, ``$gte``, ``$lt``, ``$lte``,
``$exists``, ``$type: "string"`` and dotted paths into sub-documents, combined by
implicit AND. Supported updates: ``$set``, ``$inc``, ``$push``, ``$unset``.
Arrays are values, not query targets: equality against an array field compares the
whole array.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

import msgspec

from conman_domain.ports.health import StoreHealthPort

__all__ = [
    "Doc",
    "DocumentCollection",
    "DocumentStore",
    "Filter",
    "IndexSpec",
    "IndexStatus",
    "SortSpec",
    "StoreInfo",
    "Update",
    "from_doc",
]

Doc = dict[str, Any]
Filter = Mapping[str, Any]
Update = Mapping[str, Mapping[str, Any]]
SortSpec = Sequence[tuple[str, int]]
T = TypeVar("T")


def from_doc(doc: Doc, cls: type[T]) -> T:
    """Convert a document to ``cls`` (a msgspec Struct with an ``id`` field)."""
    body = dict(doc)
    body["id"] = body.pop("_id")
    return msgspec.convert(body, cls)


class IndexSpec(msgspec.Struct, frozen=True, kw_only=True):
    """One index of DOMAIN.md §20, as data.

    ``keys`` are (field, 1|-1) pairs; ``partial`` is a filter in the language above;
    ``ttl_seconds`` expires a document that many seconds after the (single) key's
    datetime value.
    """

    collection: str
    keys: tuple[tuple[str, int], ...]
    unique: bool = False
    partial: dict[str, Any] | None = None
    ttl_seconds: int | None = None

    @property
    def name(self) -> str:
        """A stable index name derived from the keys (and ``uniq``/``ttl`` markers)."""
        parts = "_".join(f"{field.replace('.', '_')}_{direction}" for field, direction in self.keys)
        suffix = "_u" if self.unique else ""
        suffix += "_p" if self.partial is not None else ""
        suffix += "_ttl" if self.ttl_seconds is not None else ""
        return f"cm_{parts}{suffix}"


class IndexStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a declared index exists in the backend."""

    collection: str
    name: str
    present: bool


class StoreInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What ``conman db check`` prints."""

    backend: str
    version: str
    collections: dict[str, int]
    indexes: list[IndexStatus]


class DocumentCollection(abc.ABC):
    """A named collection of documents. Every method is atomic for one document.

    Errors: a unique-index violation raises ``Conflict``; an unreachable or failing
    backend raises ``ServiceUnavailable``. No driver exception escapes.
    """

    name: str

    @abc.abstractmethod
    def insert_one(self, doc: Doc) -> None:
        """Insert ``doc`` (it carries ``_id``). Duplicate ``_id`` or unique key → ``Conflict``."""

    @abc.abstractmethod
    def find_one(self, flt: Filter, sort: SortSpec | None = None) -> Doc | None:
        """The first matching document (in ``sort`` order when given) or ``None``."""

    @abc.abstractmethod
    def find(
        self, flt: Filter, sort: SortSpec | None = None, skip: int = 0, limit: int = 0
    ) -> list[Doc]:
        """Matching documents in ``sort`` order; ``limit=0`` means no limit."""

    def find_one_as(self, flt: Filter, cls: type[T], sort: SortSpec | None = None) -> T | None:
        """``find_one`` converted to the Struct ``cls`` (``_id`` becomes ``id``)."""
        doc = self.find_one(flt, sort)
        return from_doc(doc, cls) if doc is not None else None

    def find_as(
        self,
        flt: Filter,
        cls: type[T],
        sort: SortSpec | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[T]:
        """``find`` converted to the Struct ``cls``."""
        return [from_doc(d, cls) for d in self.find(flt, sort, skip, limit)]

    def find_one_and_update_as(
        self, flt: Filter, update: Update, cls: type[T], sort: SortSpec | None = None
    ) -> T | None:
        """``find_one_and_update`` (returning the document after) converted to ``cls``."""
        doc = self.find_one_and_update(flt, update, sort, True)
        return from_doc(doc, cls) if doc is not None else None

    @abc.abstractmethod
    def count(self, flt: Filter) -> int:
        """Number of matching documents."""

    @abc.abstractmethod
    def update_one(self, flt: Filter, update: Update, upsert: bool = False) -> bool:
        """Apply ``update`` to one matching document; ``True`` if one matched (or was upserted).

        With ``upsert`` and no match, inserts the filter's equality fields plus the update;
        the filter must then name ``_id``.
        A unique-index violation raises ``Conflict`` and leaves the document unchanged.
        """

    @abc.abstractmethod
    def update_many(self, flt: Filter, update: Update) -> int:
        """Apply ``update`` to every matching document; returns how many matched."""

    @abc.abstractmethod
    def find_one_and_update(
        self,
        flt: Filter,
        update: Update,
        sort: SortSpec | None = None,
        return_after: bool = True,
    ) -> Doc | None:
        """Atomically update the first match in ``sort`` order and return it.

        Returns the document after (or before) the update, or ``None`` when nothing
        matched. Two concurrent callers never update the same document unless it still
        matches the filter after the first update.
        """

    @abc.abstractmethod
    def delete_one(self, flt: Filter) -> bool:
        """Delete one matching document; ``True`` if one was deleted."""

    @abc.abstractmethod
    def delete_many(self, flt: Filter) -> int:
        """Delete every matching document; returns how many."""


class DocumentStore(StoreHealthPort, abc.ABC):
    """A database of named collections plus index management."""

    @property
    @abc.abstractmethod
    def backend(self) -> str:
        """``"sqlite"``, ``"mongodb"`` or ``"memory"``."""

    @abc.abstractmethod
    def ping(self) -> None:
        """Round-trip to the backend; raises ``ServiceUnavailable`` when it does not answer."""

    @abc.abstractmethod
    def collection(self, name: str) -> DocumentCollection:
        """The collection called ``name`` (created on first use)."""

    @abc.abstractmethod
    def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        """Create the declared indexes; idempotent, safe to run on every start-up."""

    @abc.abstractmethod
    def info(self, specs: Sequence[IndexSpec]) -> StoreInfo:
        """Backend, server version, document counts and whether each index exists."""

    @abc.abstractmethod
    def purge_expired(self, specs: Sequence[IndexSpec], now: datetime) -> int:
        """Delete documents past their TTL index; returns how many (0 where native TTL)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections. The store is unusable afterwards."""
