"""``MongoProvisioner``: create, clone, restore and drop temp env databases (pymongo).

- ``create``: the database with one ``_conman_meta`` document (``_id: "meta"``).
- ``clone_from``: every collection of the source database, documents and indexes. On the
  same server the documents are copied server-side with one ``$out`` aggregation per
  collection; across servers, or when the server refuses ``$out`` to another database,
  they are read and inserted in batches (the dump/restore fallback). A failed clone drops
  the partial target.
- ``restore_snapshot``: ``seed_source_ref`` names the snapshot: a database on the target
  server (``snap_2026``), or a MongoDB URI whose path names the database
  (``mongodb://backup:27017/snap_2026``). The snapshot database is cloned into the
  target; conman keeps no snapshot format of its own.
- ``drop``: idempotent.

Driver errors become ``ServiceUnavailable`` (unreachable, timeouts, other driver
errors) or ``Internal`` (the server refused an operation); messages never contain a URI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from conman_domain.errors import ConmanError, Internal, NotFound, ServiceUnavailable
from conman_domain.ports.dbprov import DatabaseProvisionerPort

__all__ = ["META_COLLECTION", "MongoProvisioner"]

META_COLLECTION = "_conman_meta"
_BATCH = 1000
_UNAVAILABLE_CODES = frozenset({6, 7, 50, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435})

ClientFactory = Callable[[str], "MongoClient[dict[str, Any]]"]


def _same_server(a: str, b: str) -> bool:
    return urlsplit(a).netloc == urlsplit(b).netloc


def _brief(exc: Exception) -> str:
    text = str(exc).split(", Timeout:")[0]
    return f"{type(exc).__name__}: {text[:200]}"


@contextmanager
def _errors(what: str) -> Iterator[None]:
    try:
        yield
    except ConnectionFailure as exc:
        raise ServiceUnavailable(f"temp database server unavailable during {what}") from exc
    except OperationFailure as exc:
        if exc.code in _UNAVAILABLE_CODES:
            raise ServiceUnavailable(f"temp database server unavailable during {what}") from exc
        raise Internal(f"temp database {what} failed: {_brief(exc)}") from exc
    except PyMongoError as exc:
        raise ServiceUnavailable(f"temp database error during {what}: {_brief(exc)}") from exc


def snapshot_source(server_uri: str, snapshot_ref: str) -> tuple[str, str]:
    """``(uri, database)`` of a snapshot ref: a URI naming its database, else a
    database name on ``server_uri``."""
    if snapshot_ref.startswith(("mongodb://", "mongodb+srv://")):
        name = unquote(urlsplit(snapshot_ref).path.lstrip("/"))
        if not name:
            raise NotFound("snapshot", "(a URI without a database name)")
        return snapshot_ref, name
    return server_uri, snapshot_ref


class MongoProvisioner(DatabaseProvisionerPort):
    """One client per server URI, created on first use (``client_factory`` for tests).
    ``server_side_copy=False`` always uses the batched copy (for emulators without
    cross-database ``$out``)."""

    def __init__(
        self,
        client_factory: ClientFactory | None = None,
        *,
        timeout_ms: int = 5000,
        server_side_copy: bool = True,
    ) -> None:
        self._server_side_copy = server_side_copy
        self._factory = client_factory or self._default_client
        self._timeout_ms = timeout_ms
        self._clients: dict[str, MongoClient[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    def _default_client(self, uri: str) -> MongoClient[dict[str, Any]]:
        ms = self._timeout_ms
        return MongoClient(
            uri, serverSelectionTimeoutMS=ms, connectTimeoutMS=ms, socketTimeoutMS=ms * 6,
            tz_aware=True,
        )  # fmt: skip

    def _client(self, uri: str) -> MongoClient[dict[str, Any]]:
        with self._lock:
            client = self._clients.get(uri)
            if client is None:
                with _errors("connect"):
                    client = self._factory(uri)
                self._clients[uri] = client
            return client

    def close(self) -> None:
        """Close every client this provisioner opened."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()

    def create(self, server_uri: str, db_name: str, meta: dict[str, Any]) -> None:
        with _errors("create"):
            db = self._client(server_uri)[db_name]
            db[META_COLLECTION].replace_one({"_id": "meta"}, {**meta, "_id": "meta"}, upsert=True)

    def clone_from(self, server_uri: str, source_uri: str, source_db: str, db_name: str) -> None:
        source_client = self._client(source_uri)
        with _errors("clone"):
            if source_db not in source_client.list_database_names():
                raise NotFound("database", source_db)
        target = self._client(server_uri)[db_name]
        try:
            with _errors("clone"):
                self._copy(
                    source_client[source_db],
                    target,
                    same_server=self._server_side_copy and _same_server(source_uri, server_uri),
                )
        except ConmanError:
            with _errors("drop after a failed clone"):
                target.client.drop_database(db_name)
            raise

    def restore_snapshot(self, server_uri: str, snapshot_ref: str, db_name: str) -> None:
        uri, name = snapshot_source(server_uri, snapshot_ref)
        try:
            self.clone_from(server_uri, uri, name, db_name)
        except NotFound as exc:
            raise NotFound("snapshot", snapshot_ref) from exc

    def drop(self, server_uri: str, db_name: str) -> None:
        with _errors("drop"):
            self._client(server_uri).drop_database(db_name)

    def _copy(
        self,
        source: Database[dict[str, Any]],
        target: Database[dict[str, Any]],
        *,
        same_server: bool,
    ) -> None:
        for name in sorted(source.list_collection_names()):
            if name.startswith("system."):
                continue
            if not (same_server and self._server_side(source, target, name)):
                self._batched(source, target, name)
            self._indexes(source, target, name)

    def _server_side(
        self, source: Database[dict[str, Any]], target: Database[dict[str, Any]], name: str
    ) -> bool:
        """One ``$out`` into the other database; False when the server refuses it."""
        target.drop_collection(name)
        try:
            source[name].aggregate([{"$out": {"db": target.name, "coll": name}}])
        except OperationFailure:
            return False
        return target[name].estimated_document_count() == source[name].estimated_document_count()

    def _batched(
        self, source: Database[dict[str, Any]], target: Database[dict[str, Any]], name: str
    ) -> None:
        target.drop_collection(name)
        target.create_collection(name)
        batch: list[dict[str, Any]] = []
        for doc in source[name].find({}):
            batch.append(doc)
            if len(batch) >= _BATCH:
                target[name].insert_many(batch, ordered=False)
                batch = []
        if batch:
            target[name].insert_many(batch, ordered=False)

    def _indexes(
        self, source: Database[dict[str, Any]], target: Database[dict[str, Any]], name: str
    ) -> None:
        for index_name, info in source[name].index_information().items():
            if index_name == "_id_":
                continue
            options = {k: v for k, v in info.items() if k not in ("key", "v", "ns")}
            target[name].create_index(list(info["key"]), name=index_name, **options)
