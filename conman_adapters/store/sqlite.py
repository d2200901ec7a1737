"""``SqliteStore``: the embedded default backend (stdlib ``sqlite3``, WAL).

One JSON document table per collection, expression indexes (unique and partial
unique ones enforced by SQLite itself), one connection per thread in autocommit
mode. Single-document writes are single statements; find-one-and-update and upserts
run inside ``BEGIN IMMEDIATE``. WAL and ``busy_timeout`` make it safe across threads
and across processes on one machine. TTL indexes are applied by ``purge_expired``.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import msgspec

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
from conman_adapters.store.query import apply_update, upsert_seed
from conman_adapters.store.sqlite_sql import (
    compile_filter,
    compile_literal_filter,
    compile_sort,
    compile_update,
    encode_doc,
    field_expr,
    restore_datetimes,
)
from conman_domain.errors import Conflict, ServiceUnavailable

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

SCHEMA_VERSION = 1
T = TypeVar("T")
_decode = msgspec.json.Decoder().decode


def _to_doc(text: str) -> Doc:
    raw = _decode(text)
    doc: Doc = {"_id": raw.pop("id")}
    doc.update(restore_datetimes(raw))
    return doc


def _wrapped(exc: sqlite3.Error, what: str) -> Conflict | ServiceUnavailable:
    if isinstance(exc, sqlite3.IntegrityError):
        return Conflict(f"duplicate key in {what}")
    return ServiceUnavailable(f"sqlite store failed on {what}: {exc}")


@contextmanager
def _errors(what: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise _wrapped(exc, what) from exc


class _SqliteCollection(DocumentCollection):
    def __init__(self, store: SqliteStore, name: str) -> None:
        self.name = name
        self._store = store
        self._table = f'"c_{name}"'
        self._get_sql = f"SELECT doc FROM {self._table} WHERE id = ?"
        self._insert_sql = f"INSERT INTO {self._table}(id, doc) VALUES (?, ?)"

    def _conn(self) -> sqlite3.Connection:
        return self._store._connection()

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
        with _errors(self.name):
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
        with self._store._immediate(self.name) as conn:
            if conn.execute(sql, params).rowcount > 0:
                return True
            seed = apply_update(upsert_seed(flt), update)
            oid, body = encode_doc(seed)
            conn.execute(f"INSERT INTO {self._table}(id, doc) VALUES (?, ?)", (oid, body))
            return True

    def update_many(self, flt: Filter, update: Update) -> int:
        sql, params = self._update_sql(flt, update, single=False)
        with _errors(self.name):
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
        with self._store._immediate(self.name) as conn:
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
        with _errors(self.name):
            return self._conn().execute(sql, params).rowcount > 0

    def delete_many(self, flt: Filter) -> int:
        where, params = compile_filter(flt)
        with _errors(self.name):
            return int(
                self._conn().execute(f"DELETE FROM {self._table} WHERE {where}", params).rowcount
            )


class SqliteStore(DocumentStore):
    """SQLite backend over the file ``path`` (``":memory:"`` is not supported: use MemoryStore)."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 10_000) -> None:
        self.path = str(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._all: list[sqlite3.Connection] = []
        self._collections: dict[str, _SqliteCollection] = {}
        self._closed = False
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    @property
    def backend(self) -> str:
        return "sqlite"

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise ServiceUnavailable("sqlite store is closed")
            with _errors("connect"):
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
    def _immediate(self, what: str) -> Iterator[sqlite3.Connection]:
        conn = self._connection()
        with _errors(what):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self) -> None:
        with self._immediate("schema") as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS _conman_schema (version INTEGER NOT NULL)")
            row = conn.execute("SELECT max(version) FROM _conman_schema").fetchone()
            current = int(row[0] or 0)
            # Version 1 is the layout described in the module docstring; later
            # versions append their steps here, each guarded by ``current``.
            if current < SCHEMA_VERSION:
                conn.execute("INSERT INTO _conman_schema(version) VALUES (?)", (SCHEMA_VERSION,))

    def ping(self) -> None:
        with _errors("ping"):
            self._connection().execute("SELECT 1").fetchone()

    def collection(self, name: str) -> DocumentCollection:
        coll = self._collections.get(name)
        if coll is None:
            if not name.replace("_", "").isalnum():
                raise ValueError(f"bad collection name {name!r}")
            with _errors(name):
                self._connection().execute(
                    f'CREATE TABLE IF NOT EXISTS "c_{name}" '
                    "(id TEXT PRIMARY KEY, doc TEXT NOT NULL)"
                )
            coll = self._collections[name] = _SqliteCollection(self, name)
        return coll

    def _index_sql(self, spec: IndexSpec) -> str:
        keys = ", ".join(f"{field_expr(f)}{' DESC' if d < 0 else ''}" for f, d in spec.keys)
        where = f" WHERE {compile_literal_filter(spec.partial)}" if spec.partial else ""
        unique = "UNIQUE " if spec.unique else ""
        name = f'"{spec.collection}__{spec.name}"'
        return f'CREATE {unique}INDEX IF NOT EXISTS {name} ON "c_{spec.collection}" ({keys}){where}'

    def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        for spec in specs:
            self.collection(spec.collection)
            with _errors(spec.collection):
                self._connection().execute(self._index_sql(spec))

    def info(self, specs: Sequence[IndexSpec]) -> StoreInfo:
        with _errors("info"):
            conn = self._connection()
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' "
                    "AND name LIKE 'c\\_%' ESCAPE '\\'"
                )
            ]
            counts = {
                t[2:]: int(conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
                for t in sorted(tables)
            }
            names = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")
            }
        statuses = [
            IndexStatus(
                collection=s.collection,
                name=s.name,
                present=f"{s.collection}__{s.name}" in names,
            )
            for s in specs
        ]
        return StoreInfo(
            backend="sqlite", version=sqlite3.sqlite_version, collections=counts, indexes=statuses
        )

    def purge_expired(self, specs: Sequence[IndexSpec], now: datetime) -> int:
        removed = 0
        for spec in specs:
            if spec.ttl_seconds is None:
                continue
            cutoff = now - timedelta(seconds=spec.ttl_seconds)
            field = spec.keys[0][0]
            removed += self.collection(spec.collection).delete_many({field: {"$lte": cutoff}})
        return removed

    def close(self) -> None:
        self._closed = True
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
        self._local = threading.local()
