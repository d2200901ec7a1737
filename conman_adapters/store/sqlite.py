"""``SqliteStore``: the embedded default backend (stdlib ``sqlite3``, WAL).

One JSON document table per collection, expression indexes (unique and partial
unique ones enforced by SQLite itself), one connection per thread in autocommit
mode. Single-document writes are single statements; find-one-and-update and upserts
run inside ``BEGIN IMMEDIATE``. WAL and ``busy_timeout`` make it safe across threads
and across processes on one machine. The schema version lives in ``_conman_schema``
and is migrated at start-up. TTL indexes are applied by ``purge_expired``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from conman_adapters.store.base import (
    DocumentCollection,
    DocumentStore,
    IndexSpec,
    IndexStatus,
    StoreInfo,
)
from conman_adapters.store.sqlite_collection import (
    SqliteCollection,
    SqliteConnections,
    sqlite_errors,
)
from conman_adapters.store.sqlite_sql import compile_literal_filter, field_expr

__all__ = ["SCHEMA_VERSION", "SqliteStore"]

SCHEMA_VERSION = 1


class SqliteStore(DocumentStore):
    """SQLite backend over the file ``path`` (``":memory:"`` is not supported: use MemoryStore)."""

    def __init__(self, path: str | Path, busy_timeout_ms: int = 10_000) -> None:
        self.path = str(path)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._connections = SqliteConnections(self.path, busy_timeout_ms)
        self._collections: dict[str, SqliteCollection] = {}
        self._migrate()

    @property
    def backend(self) -> str:
        return "sqlite"

    def _migrate(self) -> None:
        with self._connections.immediate("schema") as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS _conman_schema (version INTEGER NOT NULL)")
            row = conn.execute("SELECT max(version) FROM _conman_schema").fetchone()
            current = int(row[0] or 0)
            # Version 1 is the layout described in the module docstring; later
            # versions append their steps here, each guarded by ``current``.
            if current < SCHEMA_VERSION:
                conn.execute("INSERT INTO _conman_schema(version) VALUES (?)", (SCHEMA_VERSION,))

    def ping(self) -> None:
        with sqlite_errors("ping"):
            self._connections.connection().execute("SELECT 1").fetchone()

    def collection(self, name: str) -> DocumentCollection:
        coll = self._collections.get(name)
        if coll is None:
            if not name.replace("_", "").isalnum():
                raise ValueError(f"bad collection name {name!r}")
            with sqlite_errors(name):
                self._connections.connection().execute(
                    f'CREATE TABLE IF NOT EXISTS "c_{name}" '
                    "(id TEXT PRIMARY KEY, doc TEXT NOT NULL)"
                )
            coll = self._collections[name] = SqliteCollection(self._connections, name)
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
            with sqlite_errors(spec.collection):
                self._connections.connection().execute(self._index_sql(spec))

    def info(self, specs: Sequence[IndexSpec]) -> StoreInfo:
        with sqlite_errors("info"):
            conn = self._connections.connection()
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
        self._connections.close()
