"""MongoStore specifics: write concerns and the mapping of every driver error."""

from __future__ import annotations

from typing import Any

import mongomock
import pytest
from pymongo.errors import (
    AutoReconnect,
    DuplicateKeyError,
    NetworkTimeout,
    NotPrimaryError,
    OperationFailure,
    ServerSelectionTimeoutError,
    WriteConcernError,
)

from conman_adapters.store import MongoStore
from conman_domain.errors import Conflict, ConmanError, Internal, ServiceUnavailable


def test_state_collections_write_with_majority_and_journal_audit_with_w1() -> None:
    client = mongomock.MongoClient(tz_aware=True)
    store = MongoStore("mongodb://mock", "wc", client=client)
    state = store.collection("changesets")._coll.write_concern  # type: ignore[attr-defined]
    audit = store.collection("audit_events")._coll.write_concern  # type: ignore[attr-defined]
    assert state.document == {"w": "majority", "j": True}
    assert audit.document == {"w": 1}


class _Failing:
    """A pymongo-shaped client whose every collection call raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getitem__(self, _name: str) -> _Failing:
        return self

    def get_collection(self, name: str, **_kwargs: Any) -> _Failing:
        self.name = name
        return self

    def __getattr__(self, _attr: str) -> Any:
        def fail(*_args: Any, **_kwargs: Any) -> None:
            raise self.error

        return fail


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (DuplicateKeyError("E11000 duplicate key", 11000), Conflict),
        (ServerSelectionTimeoutError("no servers"), ServiceUnavailable),
        (AutoReconnect("connection reset"), ServiceUnavailable),
        (NetworkTimeout("timed out"), ServiceUnavailable),
        (NotPrimaryError("not primary"), ServiceUnavailable),
        (OperationFailure("primary stepped down", 189), ServiceUnavailable),
        (OperationFailure("shutting down", 91), ServiceUnavailable),
        (WriteConcernError("waiting for replication timed out", 64), ServiceUnavailable),
        (OperationFailure("bad value", 2), Internal),
    ],
)
def test_driver_errors_become_domain_errors(error: Exception, expected: type[ConmanError]) -> None:
    store = MongoStore("mongodb://unused", "x", client=_Failing(error))
    coll = store.collection("users")
    calls = [
        lambda: coll.insert_one({"_id": "a" * 24}),
        lambda: coll.find_one({"_id": "a" * 24}),
        lambda: coll.update_one({"_id": "a" * 24}, {"$set": {"n": 1}}),
        lambda: coll.find_one_and_update({}, {"$set": {"n": 1}}),
        lambda: coll.count({}),
        lambda: coll.delete_many({}),
    ]
    for call in calls:
        with pytest.raises(expected) as caught:
            call()
        assert caught.value.__cause__ is error
