"""The document-collection contract, run against every store backend."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_backends import (
    BACKENDS,
    WIRE_COUNT_ID_IN,
    WIRE_INDEX_DIRECTION,
    WIRE_NE_NULL,
    WIRE_NO_PARTIAL,
    WIRE_PUSH_DOC,
    WIRE_SET_BOOL,
    WIRE_SET_DATETIME,
    kinds,
    store_fixture,
    wire_xfail,
)

from conman_adapters.store import INDEXES
from conman_adapters.store.base import DocumentStore, IndexSpec
from conman_domain.errors import Conflict

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(params=kinds(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    yield from store_fixture(request, tmp_path)


def oid(n: int) -> str:
    return f"{n:024x}"


def seed(store: DocumentStore) -> None:
    coll = store.collection("things")
    for n in range(6):
        coll.insert_one(
            {
                "_id": oid(n),
                "app_id": "a" if n < 4 else "b",
                "state": ["draft", "queued", "draft", "closed", "draft", "queued"][n],
                "n": n,
                "at": T0 + timedelta(minutes=n),
                "meta": {"kind": "x" if n % 2 else "y", "deep": {"v": n}},
                **({"opt": n} if n % 3 == 0 else {}),
            }
        )


def ids(docs: list[dict[str, object]]) -> list[int]:
    return [int(str(d["_id"]), 16) for d in docs]


def test_inserted_document_reads_back_with_its_values_and_aware_datetimes(
    store: DocumentStore,
) -> None:
    coll = store.collection("things")
    doc = {"_id": oid(1), "s": "x", "b": True, "f": 1.5, "l": [1, "a"], "d": {"k": None}}
    coll.insert_one({**doc, "at": T0})
    got = coll.find_one({"_id": oid(1)})
    assert got == {**doc, "at": T0}
    assert got is not None and got["at"].utcoffset() == timedelta(0)


def test_inserting_an_existing_id_raises_conflict(store: DocumentStore) -> None:
    coll = store.collection("things")
    coll.insert_one({"_id": oid(1), "n": 1})
    with pytest.raises(Conflict):
        coll.insert_one({"_id": oid(1), "n": 2})
    assert coll.find_one({"_id": oid(1)}) == {"_id": oid(1), "n": 1}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"app_id": "a"}, [0, 1, 2, 3]),
        ({"state": {"$in": ["queued", "closed"]}}, [1, 3, 5]),
        ({"state": {"$nin": ["draft"]}, "app_id": "a"}, [1, 3]),
        ({"n": {"$gt": 1, "$lte": 4}}, [2, 3, 4]),
        ({"n": {"$gte": 4}}, [4, 5]),
        ({"n": {"$lt": 1}}, [0]),
        ({"state": {"$ne": "draft"}}, [1, 3, 5]),
        ({"opt": {"$exists": True}}, [0, 3]),
        ({"opt": {"$exists": False}}, [1, 2, 4, 5]),
        ({"opt": None}, [1, 2, 4, 5]),
        ({"opt": {"$ne": None}}, [0, 3]),
        ({"meta.kind": "x"}, [1, 3, 5]),
        ({"meta.deep.v": {"$in": [2, 5]}}, [2, 5]),
        ({"at": {"$gte": T0 + timedelta(minutes=2), "$lt": T0 + timedelta(minutes=4)}}, [2, 3]),
        ({"_id": {"$in": [oid(1), oid(4), oid(9)]}}, [1, 4]),
        ({"missing.path": "x"}, []),
        ({}, [0, 1, 2, 3, 4, 5]),
    ],
)
def test_filters_select_the_same_documents_on_every_backend(
    store: DocumentStore,
    flt: dict[str, object],
    expected: list[int],
    request: pytest.FixtureRequest,
) -> None:
    if flt == {"opt": {"$ne": None}}:
        wire_xfail(request, WIRE_NE_NULL)
    if "_id" in flt:
        wire_xfail(request, WIRE_COUNT_ID_IN)
    seed(store)
    coll = store.collection("things")
    assert sorted(ids(coll.find(flt))) == expected
    assert coll.count(flt) == len(expected)


def test_sort_skip_and_limit_page_through_results(store: DocumentStore) -> None:
    seed(store)
    coll = store.collection("things")
    order = [("state", 1), ("at", -1)]
    assert ids(coll.find({}, sort=order)) == [3, 4, 2, 0, 5, 1]
    assert ids(coll.find({}, sort=order, skip=2, limit=3)) == [2, 0, 5]
    assert ids(coll.find({}, sort=order, skip=6, limit=3)) == []
    assert ids(coll.find({"app_id": "a"}, sort=[("_id", -1)], limit=2)) == [3, 2]


def test_update_operators_set_inc_push_and_unset(
    store: DocumentStore, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_PUSH_DOC)
    seed(store)
    coll = store.collection("things")
    update = {
        "$set": {"state": "done", "meta.deep.v": 42, "at": T0},
        "$inc": {"n": 10, "counter": 1},
        "$push": {"log": {"m": "hi"}},
        "$unset": {"opt": ""},
    }
    assert coll.update_one({"_id": oid(0)}, update) is True
    doc = coll.find_one({"_id": oid(0)})
    assert doc is not None
    assert (doc["state"], doc["n"], doc["counter"], doc["log"]) == ("done", 10, 1, [{"m": "hi"}])
    assert doc["meta"] == {"kind": "y", "deep": {"v": 42}} and "opt" not in doc
    coll.update_one({"_id": oid(0)}, {"$push": {"log": {"m": "again"}}})
    again = coll.find_one({"_id": oid(0)})
    assert again is not None and [e["m"] for e in again["log"]] == ["hi", "again"]


def test_conditional_update_only_applies_when_the_filter_still_matches(
    store: DocumentStore,
) -> None:
    seed(store)
    coll = store.collection("things")
    assert coll.update_one({"_id": oid(1), "n": 1}, {"$inc": {"n": 1}}) is True
    assert coll.update_one({"_id": oid(1), "n": 1}, {"$inc": {"n": 1}}) is False
    assert coll.update_one({"_id": oid(99)}, {"$set": {"n": 1}}) is False
    doc = coll.find_one({"_id": oid(1)})
    assert doc is not None and doc["n"] == 2


def test_update_many_and_delete_report_how_many_matched(store: DocumentStore) -> None:
    seed(store)
    coll = store.collection("things")
    assert coll.update_many({"state": "draft"}, {"$set": {"state": "old"}}) == 3
    assert coll.count({"state": "old"}) == 3
    assert coll.delete_one({"state": "old"}) is True
    assert coll.delete_many({"state": "old"}) == 2
    assert coll.delete_one({"state": "old"}) is False
    assert coll.count({}) == 3


def test_upsert_inserts_the_filter_id_then_updates_in_place(
    store: DocumentStore, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_SET_DATETIME)
    coll = store.collection("beats")
    assert coll.update_one({"_id": "runner-1"}, {"$set": {"at": T0}}, upsert=True) is True
    coll.update_one({"_id": "runner-1"}, {"$set": {"at": T0 + timedelta(1)}}, upsert=True)
    assert coll.find({}) == [{"_id": "runner-1", "at": T0 + timedelta(1)}]


def test_find_one_and_update_takes_the_first_in_sort_order(store: DocumentStore) -> None:
    seed(store)
    coll = store.collection("things")
    after = coll.find_one_and_update(
        {"state": "draft"}, {"$set": {"state": "taken"}}, sort=[("n", -1)]
    )
    assert after is not None and after["_id"] == oid(4) and after["state"] == "taken"
    before = coll.find_one_and_update(
        {"state": "draft"}, {"$set": {"state": "taken"}}, sort=[("n", 1)], return_after=False
    )
    assert before is not None and before["_id"] == oid(0) and before["state"] == "draft"
    assert coll.count({"state": "taken"}) == 2
    assert coll.find_one_and_update({"state": "nope"}, {"$set": {"n": 0}}) is None


def test_unique_index_rejects_duplicates_with_conflict_on_insert_and_update(
    store: DocumentStore,
) -> None:
    store.ensure_indexes([IndexSpec(collection="users", keys=(("email", 1),), unique=True)])
    users = store.collection("users")
    users.insert_one({"_id": oid(1), "email": "a@x"})
    users.insert_one({"_id": oid(2), "email": "b@x"})
    with pytest.raises(Conflict):
        users.insert_one({"_id": oid(3), "email": "a@x"})
    with pytest.raises(Conflict):
        users.update_one({"_id": oid(2)}, {"$set": {"email": "a@x"}})
    assert users.find_one({"_id": oid(2)}) == {"_id": oid(2), "email": "b@x"}
    assert users.count({}) == 2


def test_compound_unique_index_allows_the_same_value_under_another_key(
    store: DocumentStore,
) -> None:
    store.ensure_indexes(
        [IndexSpec(collection="m", keys=(("app_id", 1), ("user_id", 1)), unique=True)]
    )
    coll = store.collection("m")
    coll.insert_one({"_id": oid(1), "app_id": "a", "user_id": "u"})
    coll.insert_one({"_id": oid(2), "app_id": "b", "user_id": "u"})
    with pytest.raises(Conflict):
        coll.insert_one({"_id": oid(3), "app_id": "a", "user_id": "u"})


def test_partial_unique_index_only_constrains_matching_documents(
    store: DocumentStore, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_NO_PARTIAL)
    spec = IndexSpec(
        collection="changesets",
        keys=(("app_id", 1), ("workspace_id", 1)),
        unique=True,
        partial={"is_open": True},
    )
    store.ensure_indexes([spec])
    coll = store.collection("changesets")
    coll.insert_one({"_id": oid(1), "app_id": "a", "workspace_id": "w", "is_open": False})
    coll.insert_one({"_id": oid(2), "app_id": "a", "workspace_id": "w", "is_open": False})
    coll.insert_one({"_id": oid(3), "app_id": "a", "workspace_id": "w", "is_open": True})
    with pytest.raises(Conflict):
        coll.insert_one({"_id": oid(4), "app_id": "a", "workspace_id": "w", "is_open": True})
    with pytest.raises(Conflict):
        coll.update_one({"_id": oid(1)}, {"$set": {"is_open": True}})
    coll.update_one({"_id": oid(3)}, {"$set": {"is_open": False}})
    coll.update_one({"_id": oid(1)}, {"$set": {"is_open": True}})
    assert coll.count({"is_open": True}) == 1


def test_partial_unique_index_on_string_type_ignores_missing_tags(
    store: DocumentStore, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_NO_PARTIAL)
    store.ensure_indexes([s for s in INDEXES if s.collection == "release_batches"])
    coll = store.collection("release_batches")
    coll.insert_one({"_id": oid(1), "app_id": "a", "tag": None, "state": "draft_release"})
    coll.insert_one({"_id": oid(2), "app_id": "a", "tag": None, "state": "draft_release"})
    coll.insert_one({"_id": oid(3), "app_id": "a", "tag": "r2026.01.01.1", "state": "x"})
    with pytest.raises(Conflict):
        coll.insert_one({"_id": oid(4), "app_id": "a", "tag": "r2026.01.01.1", "state": "x"})


def test_ensuring_every_domain_index_twice_is_idempotent_and_reported(
    store: DocumentStore, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_INDEX_DIRECTION)
    store.ensure_indexes(INDEXES)
    store.ensure_indexes(INDEXES)
    info = store.info(INDEXES)
    assert info.backend == store.backend
    assert [s.name for s in info.indexes if not s.present] == []
    store.ping()


def test_ttl_purge_removes_expired_documents_where_ttl_is_not_native(
    store: DocumentStore,
) -> None:
    spec = IndexSpec(collection="tokens", keys=(("expires_at", 1),), ttl_seconds=60)
    store.ensure_indexes([spec])
    coll = store.collection("tokens")
    coll.insert_one({"_id": oid(1), "expires_at": T0})
    coll.insert_one({"_id": oid(2), "expires_at": T0 + timedelta(hours=1)})
    removed = store.purge_expired([spec], T0 + timedelta(minutes=5))
    if store.backend == "mongodb":
        assert removed == 0  # the server's TTL monitor owns expiry
    else:
        assert removed == 1 and ids(coll.find({})) == [2]


def test_set_keeps_the_json_type_of_each_value_kind(
    store: DocumentStore, request: pytest.FixtureRequest
) -> None:
    wire_xfail(request, WIRE_SET_BOOL)
    coll = store.collection("things")
    coll.insert_one({"_id": oid(1), "v": 0})
    for value in (True, "text", 7, 2.5, None, {"a": [1, {"b": False}]}, ["x"], False, T0):
        coll.update_one({"_id": oid(1)}, {"$set": {"v": value}})
        doc = coll.find_one({"_id": oid(1)})
        assert doc is not None and doc["v"] == value and type(doc["v"]) is type(value)
    assert coll.count({"v": T0}) == 1 and coll.count({"v": {"$lt": T0}}) == 0
