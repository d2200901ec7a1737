"""SQLite connections (one per thread) and the collection table operations.

Single-document writes are single autocommit statements; find-one-and-update and
upserts run inside ``BEGIN IMMEDIATE``. Every ``sqlite3`` error is wrapped:
``IntegrityError`` (a unique index) becomes ``Conflict``, anything else
``ServiceUnavailable``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import msgspec

from conman_adapters.store.base import Doc, DocumentCollection, Filter, SortSpec, Update
from conman_adapters.store.query import apply_update, upsert_seed
from conman_adapters.store.sqlite_sql import (
    compile_filter,
    compile_sort,
    compile_update,
    encode_doc,
    restore_datetimes,
)
from conman_domain.errors import Conflict, Internal, ServiceUnavailable

__all__ = ["SqliteCollection", "SqliteConnections", "sqlite_errors"]

T = TypeVar("T")
_decode = msgspec.json.Decoder().decode


def _to_doc(text: str) -> Doc:
    raw = _decode(text)
    doc: Doc = {"_id": raw.pop("id")}
    doc.update(restore_datetimes(raw))
    return doc


def _wrapped(exc: sqlite3.Error, what: str) -> Conflict | Internal | ServiceUnavailable:
    if isinstance(exc, sqlite3.IntegrityError):
        if "UNIQUE constraint failed" in str(exc):
            return Conflict(f"duplicate key in {what}")
        # Any other integrity error (a datatype mismatch, e.g. an OFFSET beyond 64 bits)
        # is a bug in the caller, not a duplicate and not an outage.
        return Internal(f"sqlite rejected {what}: {exc}")
    return ServiceUnavailable(f"sqlite store failed on {what}: {exc}")


@contextmanager
def sqlite_errors(what: str) -> Iterator[None]:
    """Wrap ``sqlite3`` errors raised inside the block into domain errors."""
    try:
        yield
    except sqlite3.Error as exc:
        raise _wrapped(exc, what) from exc


class SqliteConnections:
    """One autocommit connection per thread to ``path`` (WAL, busy timeout)."""

    def __init__(self, path: str, busy_timeout_ms: int) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._closed = False
        # A forked child must not reuse the parent's connections: it opens its own.
        ref = weakref.ref(self)

        def forget() -> None:
            me = ref()
            if me is not None:
                me._local = threading.local()
                me._all = []

        os.register_at_fork(after_in_child=forget)

    def connection(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise ServiceUnavailable("sqlite store is closed")
            with sqlite_errors("connect"):
                conn = sqlite3.connect(
                    self.path,
                    isolation_level=None,
                    timeout=self._busy_timeout_ms / 1000,
                    cached_statements=512,
                    check_same_thread=False,
                )
                conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @contextmanager
    def immediate(self, what: str) -> Iterator[sqlite3.Connection]:
        """A ``BEGIN IMMEDIATE`` transaction: committed on success, rolled back on error."""
        conn = self.connection()
        with sqlite_errors(what):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every thread's connection; later calls raise ``ServiceUnavailable``."""
        self._closed = True
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()


class SqliteCollection(DocumentCollection):
    """One collection: the table ``c_<name>(id TEXT PRIMARY KEY, doc TEXT)``."""

    def __init__(self, store: SqliteConnections, name: str) -> None:
        self.name = name
        self._store = store
        self._table = f'"c_{name}"'
        self._get_sql = f"SELECT doc FROM {self._table} WHERE id = ?"
        self._insert_sql = f"INSERT INTO {self._table}(id, doc) VALUES (?, ?)"

    def _conn(self) -> sqlite3.Connection:
        return self._store.connection()

    def _select(self, flt: Filter, sort: SortSpec | None, skip: int, limit: int) -> list[str]:
        oid = flt.get("_id")
        if len(flt) == 1 and isinstance(oid, str):
            sql, params = self._get_sql, [oid]
        else:
            where, params = compile_filter(flt)
            sql = f"SELECT doc FROM {self._table} WHERE {where}{compile_sort(sort)}"
            if limit or skip:
                sql += f" LIMIT {int(limit) if limit else -1} OFFSET {int(skip)}"
        try:
            return [row[0] for row in self._conn().execute(sql, params)]
        except sqlite3.Error as exc:
            raise _wrapped(exc, self.name) from exc

    def insert_one(self, doc: Doc) -> None:
        oid, body = encode_doc(doc)
        try:
            self._conn().execute(self._insert_sql, (oid, body))
        except sqlite3.Error as exc:
            raise _wrapped(exc, self.name) from exc

    def find_one(self, flt: Filter, sort: SortSpec | None = None) -> Doc | None:
        rows = self._select(flt, sort, 0, 1)
        return _to_doc(rows[0]) if rows else None

    def find(
        self, flt: Filter, sort: SortSpec | None = None, skip: int = 0, limit: int = 0
    ) -> list[Doc]:
        return [_to_doc(text) for text in self._select(flt, sort, skip, limit)]

    def find_one_as(self, flt: Filter, cls: type[T], sort: SortSpec | None = None) -> T | None:
        rows = self._select(flt, sort, 0, 1)
        return msgspec.json.decode(rows[0], type=cls) if rows else None

    def find_as(
        self,
        flt: Filter,
        cls: type[T],
        sort: SortSpec | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[T]:
        decoder: Callable[[str], T] = msgspec.json.Decoder(cls).decode
        return [decoder(text) for text in self._select(flt, sort, skip, limit)]

    def count(self, flt: Filter) -> int:
        where, params = compile_filter(flt)
        with sqlite_errors(self.name):
            row = self._conn().execute(f"SELECT count(*) FROM {self._table} WHERE {where}", params)
            return int(row.fetchone()[0])

    def _update_sql(self, flt: Filter, update: Update, single: bool) -> tuple[str, list[Any]]:
        new_doc, params = compile_update(update)
        where, where_params = compile_filter(flt)
        if single and not isinstance(flt.get("_id"), str):
            where = f"id = (SELECT id FROM {self._table} WHERE {where} LIMIT 1)"
        return f"UPDATE {self._table} SET doc = {new_doc} WHERE {where}", params + where_params

    def update_one(self, flt: Filter, update: Update, upsert: bool = False) -> bool:
        sql, params = self._update_sql(flt, update, single=True)
        if not upsert:
            try:
                return self._conn().execute(sql, params).rowcount > 0
            except sqlite3.Error as exc:
                raise _wrapped(exc, self.name) from exc
        with self._store.immediate(self.name) as conn:
            if conn.execute(sql, params).rowcount > 0:
                return True
            seed = apply_update(upsert_seed(flt), update)
            oid, body = encode_doc(seed)
            conn.execute(f"INSERT INTO {self._table}(id, doc) VALUES (?, ?)", (oid, body))
            return True

    def update_many(self, flt: Filter, update: Update) -> int:
        sql, params = self._update_sql(flt, update, single=False)
        with sqlite_errors(self.name):
            return int(self._conn().execute(sql, params).rowcount)

    def find_one_and_update(
        self,
        flt: Filter,
        update: Update,
        sort: SortSpec | None = None,
        return_after: bool = True,
    ) -> Doc | None:
        text = self._find_one_and_update(flt, update, sort, return_after)
        return _to_doc(text) if text is not None else None

    def find_one_and_update_as(
        self, flt: Filter, update: Update, cls: type[T], sort: SortSpec | None = None
    ) -> T | None:
        text = self._find_one_and_update(flt, update, sort, True)
        return msgspec.json.decode(text, type=cls) if text is not None else None

    def _find_one_and_update(
        self, flt: Filter, update: Update, sort: SortSpec | None, return_after: bool
    ) -> str | None:
        where, params = compile_filter(flt)
        new_doc, update_params = compile_update(update)
        select = f"SELECT id, doc FROM {self._table} WHERE {where}{compile_sort(sort)} LIMIT 1"
        with self._store.immediate(self.name) as conn:
            row = conn.execute(select, params).fetchone()
            if row is None:
                return None
            after = conn.execute(
                f"UPDATE {self._table} SET doc = {new_doc} WHERE id = ? RETURNING doc",
                [*update_params, row[0]],
            ).fetchone()
            return str(after[0] if return_after else row[1])

    def delete_one(self, flt: Filter) -> bool:
        where, params = compile_filter(flt)
        pick = f"SELECT id FROM {self._table} WHERE {where} LIMIT 1"
        sql = f"DELETE FROM {self._table} WHERE id = ({pick})"
        with sqlite_errors(self.name):
            return self._conn().execute(sql, params).rowcount > 0

    def delete_many(self, flt: Filter) -> int:
        where, params = compile_filter(flt)
        with sqlite_errors(self.name):
            return int(
                self._conn().execute(f"DELETE FROM {self._table} WHERE {where}", params).rowcount
            )
