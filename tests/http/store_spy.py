"""Test-only spies on the store: a ``DocumentStore`` wrapper counting collection calls,
and an SQL recorder for ``SqliteStore`` (every statement each connection runs)."""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TypeVar

import pytest

from conman_adapters.store.base import (
    Doc,
    DocumentCollection,
    DocumentStore,
    Filter,
    IndexSpec,
    SortSpec,
    StoreInfo,
    Update,
)
from conman_adapters.store.sqlite_collection import SqliteConnections

__all__ = ["CountingStore", "SqlRecorder", "record_sql"]

T = TypeVar("T")


class _CountingCollection(DocumentCollection):
    """Delegates every call to ``inner`` and counts it under the collection name."""

    def __init__(self, inner: DocumentCollection, calls: collections.Counter[str]) -> None:
        self.name = inner.name
        self._inner = inner
        self._calls = calls

    def _hit(self) -> None:
        self._calls[self.name] += 1

    def insert_one(self, doc: Doc) -> None:
        self._hit()
        self._inner.insert_one(doc)

    def find_one(self, flt: Filter, sort: SortSpec | None = None) -> Doc | None:
        self._hit()
        return self._inner.find_one(flt, sort)

    def find(
        self, flt: Filter, sort: SortSpec | None = None, skip: int = 0, limit: int = 0
    ) -> list[Doc]:
        self._hit()
        return self._inner.find(flt, sort, skip, limit)

    def find_one_as(self, flt: Filter, cls: type[T], sort: SortSpec | None = None) -> T | None:
        self._hit()
        return self._inner.find_one_as(flt, cls, sort)

    def find_as(
        self,
        flt: Filter,
        cls: type[T],
        sort: SortSpec | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[T]:
        self._hit()
        return self._inner.find_as(flt, cls, sort, skip, limit)

    def find_one_and_update_as(
        self, flt: Filter, update: Update, cls: type[T], sort: SortSpec | None = None
    ) -> T | None:
        self._hit()
        return self._inner.find_one_and_update_as(flt, update, cls, sort)

    def count(self, flt: Filter) -> int:
        self._hit()
        return self._inner.count(flt)

    def update_one(self, flt: Filter, update: Update, upsert: bool = False) -> bool:
        self._hit()
        return self._inner.update_one(flt, update, upsert)

    def update_many(self, flt: Filter, update: Update) -> int:
        self._hit()
        return self._inner.update_many(flt, update)

    def find_one_and_update(
        self,
        flt: Filter,
        update: Update,
        sort: SortSpec | None = None,
        return_after: bool = True,
    ) -> Doc | None:
        self._hit()
        return self._inner.find_one_and_update(flt, update, sort, return_after)

    def delete_one(self, flt: Filter) -> bool:
        self._hit()
        return self._inner.delete_one(flt)

    def delete_many(self, flt: Filter) -> int:
        self._hit()
        return self._inner.delete_many(flt)


class CountingStore(DocumentStore):
    """``inner`` with every collection call counted in ``calls`` (by collection)."""

    def __init__(self, inner: DocumentStore) -> None:
        self.inner = inner
        self.calls: collections.Counter[str] = collections.Counter()
        self._collections: dict[str, _CountingCollection] = {}

    @property
    def backend(self) -> str:
        return self.inner.backend

    def ping(self) -> None:
        self.inner.ping()

    def collection(self, name: str) -> DocumentCollection:
        coll = self._collections.get(name)
        if coll is None:
            coll = self._collections[name] = _CountingCollection(
                self.inner.collection(name), self.calls
            )
        return coll

    def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        self.inner.ensure_indexes(specs)

    def info(self, specs: Sequence[IndexSpec]) -> StoreInfo:
        return self.inner.info(specs)

    def purge_expired(self, specs: Sequence[IndexSpec], now: datetime) -> int:
        return self.inner.purge_expired(specs, now)

    def close(self) -> None:
        self.inner.close()

    def total(self) -> int:
        """Every call counted so far."""
        return sum(self.calls.values())


class SqlRecorder:
    """The SQL statements (with bound values inlined) run on every ``SqliteStore``."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self._traced: set[int] = set()

    def attach(self, conn: sqlite3.Connection) -> None:
        if id(conn) not in self._traced:
            self._traced.add(id(conn))
            conn.set_trace_callback(self.statements.append)


@contextmanager
def record_sql(monkeypatch: pytest.MonkeyPatch) -> Iterator[SqlRecorder]:
    """Trace every connection ``SqliteConnections`` hands out while the block runs."""
    recorder = SqlRecorder()
    original: Callable[[SqliteConnections], sqlite3.Connection] = SqliteConnections.connection

    def traced(self: SqliteConnections) -> sqlite3.Connection:
        conn = original(self)
        recorder.attach(conn)
        return conn

    monkeypatch.setattr(SqliteConnections, "connection", traced)
    yield recorder
    monkeypatch.setattr(SqliteConnections, "connection", original)
