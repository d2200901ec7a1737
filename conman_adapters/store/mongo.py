"""``MongoStore``: the production backend (pymongo).

State collections are written with majority write concern and journaling, audit with
``w=1``; writes are retryable. Hex-string ids become ``ObjectId`` at this boundary
and back. Every driver error is wrapped: duplicate keys become ``Conflict``,
unreachable / stepped-down / timed-out servers become ``ServiceUnavailable``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from bson import ObjectId
from bson.errors import InvalidId
from pymongo import MongoClient, ReturnDocument
from pymongo.collection import Collection
from pymongo.errors import (
    ConnectionFailure,
    DuplicateKeyError,
    OperationFailure,
    PyMongoError,
    WriteConcernError,
)
from pymongo.write_concern import WriteConcern

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
from conman_domain.errors import Conflict, Internal, ServiceUnavailable

__all__ = ["AUDIT_COLLECTIONS", "MongoStore"]

AUDIT_COLLECTIONS = frozenset({"audit_events"})
# Server error codes that mean "not available right now" rather than "bad request".
_UNAVAILABLE_CODES = frozenset(
    {6, 7, 50, 64, 89, 91, 133, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436}
)


def _oid(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 24:
        try:
            return ObjectId(value)
        except InvalidId:
            return value
    return value


def _id_in(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {
            op: [_oid(v) for v in arg] if op in ("$in", "$nin") else _oid(arg)
            for op, arg in value.items()
        }
    return _oid(value)


def _flt(flt: Filter) -> dict[str, Any]:
    out = dict(flt)
    if "_id" in out:
        out["_id"] = _id_in(out["_id"])
    return out


def _out(doc: Any) -> Doc:
    result: Doc = dict(doc)
    oid = result.get("_id")
    if isinstance(oid, ObjectId):
        result["_id"] = str(oid)
    return result


def _sort(sort: SortSpec | None) -> list[tuple[str, int]] | None:
    return [(f, int(d)) for f, d in sort] if sort else None


def _brief(exc: Exception) -> str:
    text = str(exc).split(", Timeout:")[0]
    return f"{type(exc).__name__}: {text[:200]}"


@contextmanager
def _errors(what: str) -> Iterator[None]:
    try:
        yield
    except DuplicateKeyError as exc:
        raise Conflict(f"duplicate key in {what}") from exc
    except (ConnectionFailure, WriteConcernError) as exc:
        raise ServiceUnavailable(f"mongodb unavailable during {what}: {_brief(exc)}") from exc
    except OperationFailure as exc:
        if exc.code in _UNAVAILABLE_CODES or exc.has_error_label("RetryableWriteError"):
            raise ServiceUnavailable(f"mongodb unavailable during {what}: {_brief(exc)}") from exc
        raise Internal(f"mongodb operation failed during {what}: {_brief(exc)}") from exc
    except PyMongoError as exc:
        raise ServiceUnavailable(f"mongodb error during {what}: {_brief(exc)}") from exc


class _MongoCollection(DocumentCollection):
    def __init__(self, coll: Collection[Any]) -> None:
        self.name = coll.name
        self._coll = coll

    def insert_one(self, doc: Doc) -> None:
        body = dict(doc)
        body["_id"] = _oid(body["_id"])
        with _errors(self.name):
            self._coll.insert_one(body)

    def find_one(self, flt: Filter, sort: SortSpec | None = None) -> Doc | None:
        with _errors(self.name):
            doc = self._coll.find_one(_flt(flt), sort=_sort(sort))
        return _out(doc) if doc is not None else None

    def find(
        self, flt: Filter, sort: SortSpec | None = None, skip: int = 0, limit: int = 0
    ) -> list[Doc]:
        with _errors(self.name):
            cursor = self._coll.find(_flt(flt), sort=_sort(sort), skip=skip, limit=limit)
            return [_out(d) for d in cursor]

    def count(self, flt: Filter) -> int:
        with _errors(self.name):
            return int(self._coll.count_documents(_flt(flt)))

    def update_one(self, flt: Filter, update: Update, upsert: bool = False) -> bool:
        if upsert and "_id" not in flt:
            raise ValueError("an upsert needs an _id equality in its filter")
        with _errors(self.name):
            result = self._coll.update_one(_flt(flt), dict(update), upsert=upsert)
        return bool(result.matched_count or result.upserted_id is not None)

    def update_many(self, flt: Filter, update: Update) -> int:
        with _errors(self.name):
            return int(self._coll.update_many(_flt(flt), dict(update)).matched_count)

    def find_one_and_update(
        self,
        flt: Filter,
        update: Update,
        sort: SortSpec | None = None,
        return_after: bool = True,
    ) -> Doc | None:
        after = ReturnDocument.AFTER if return_after else ReturnDocument.BEFORE
        with _errors(self.name):
            doc = self._coll.find_one_and_update(
                _flt(flt), dict(update), sort=_sort(sort), return_document=after
            )
        return _out(doc) if doc is not None else None

    def delete_one(self, flt: Filter) -> bool:
        with _errors(self.name):
            return bool(self._coll.delete_one(_flt(flt)).deleted_count)

    def delete_many(self, flt: Filter) -> int:
        with _errors(self.name):
            return int(self._coll.delete_many(_flt(flt)).deleted_count)


class MongoStore(DocumentStore):
    """MongoDB backend.

    ``client`` replaces the ``MongoClient`` built from ``uri`` (tests pass a
    ``mongomock.MongoClient``). ``partial_unique`` says whether the server enforces
    partial unique indexes; a server that does not (the wire-protocol emulator used by
    the tests) gets those indexes as plain indexes instead of over-broad unique ones.
    """

    def __init__(
        self,
        uri: str,
        db_name: str = "conman",
        *,
        server_selection_timeout_ms: int = 5_000,
        socket_timeout_ms: int = 10_000,
        connect_timeout_ms: int = 5_000,
        client: Any | None = None,
        partial_unique: bool = True,
    ) -> None:
        timeouts = {
            "serverSelectionTimeoutMS": server_selection_timeout_ms,
            "socketTimeoutMS": socket_timeout_ms,
            "connectTimeoutMS": connect_timeout_ms,
        }
        # An option spelled out in the URI wins over the configured default.
        lowered = uri.lower()
        options: dict[str, Any] = {
            k: v for k, v in timeouts.items() if f"{k.lower()}=" not in lowered
        }
        self._client: Any = client or MongoClient(uri, tz_aware=True, retryWrites=True, **options)
        self._db = self._client[db_name]
        self._partial_unique = partial_unique
        self._state_wc = WriteConcern(w="majority", j=True)
        self._audit_wc = WriteConcern(w=1)
        self._collections: dict[str, _MongoCollection] = {}

    @property
    def backend(self) -> str:
        return "mongodb"

    def ping(self) -> None:
        with _errors("ping"):
            self._client.admin.command("ping")

    def collection(self, name: str) -> DocumentCollection:
        coll = self._collections.get(name)
        if coll is None:
            wc = self._audit_wc if name in AUDIT_COLLECTIONS else self._state_wc
            coll = _MongoCollection(self._db.get_collection(name, write_concern=wc))
            self._collections[name] = coll
        return coll

    def ensure_indexes(self, specs: Sequence[IndexSpec]) -> None:
        for spec in specs:
            options: dict[str, Any] = {"name": spec.name}
            unique = spec.unique and (spec.partial is None or self._partial_unique)
            if unique:
                options["unique"] = True
            if spec.partial is not None and self._partial_unique:
                options["partialFilterExpression"] = spec.partial
            if spec.ttl_seconds is not None:
                options["expireAfterSeconds"] = spec.ttl_seconds
            with _errors(f"create index {spec.collection}.{spec.name}"):
                self._db[spec.collection].create_index(list(spec.keys), **options)

    def info(self, specs: Sequence[IndexSpec]) -> StoreInfo:
        with _errors("info"):
            version = str(self._client.server_info().get("version") or "unknown")
            names = sorted(self._db.list_collection_names())
            counts = {n: int(self._db[n].count_documents({})) for n in names}
            present: dict[str, set[tuple[tuple[str, int], ...]]] = {}
            for n in names:
                present[n] = {
                    tuple((k, int(v)) for k, v in ix["key"].items())
                    for ix in self._db[n].list_indexes()
                }
        statuses = [
            IndexStatus(
                collection=s.collection,
                name=s.name,
                present=s.keys in present.get(s.collection, set()),
            )
            for s in specs
        ]
        return StoreInfo(backend="mongodb", version=version, collections=counts, indexes=statuses)

    def purge_expired(self, specs: Sequence[IndexSpec], now: datetime) -> int:
        # MongoDB's TTL monitor removes expired documents itself.
        return 0

    def close(self) -> None:
        self._client.close()
