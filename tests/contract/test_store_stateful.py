"""Hypothesis state machine: every backend agrees with a plain dict model."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from store_backends import BACKENDS, WireServer, kinds, make_store

from conman_adapters.store.base import DocumentStore, IndexSpec
from conman_domain.errors import Conflict

IDS = st.sampled_from([f"{n:024x}" for n in range(8)])
STATES = st.sampled_from(["draft", "queued", "done"])
EMAILS = st.sampled_from(["a@x", "b@x", "c@x", "d@x"])
SETTINGS = settings(
    max_examples=25,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def machine_for(
    kind: str, tmp: Path, uri: str | None, shared: DocumentStore | None = None
) -> type[RuleBasedStateMachine]:
    class StoreAgreesWithModel(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # ``shared`` (the wire server): one client and database for every example,
            # emptied at the start, instead of a new database per example.
            self.store: DocumentStore = shared or make_store(
                kind, tmp, uri, name=f"s{uuid.uuid4().hex}"
            )
            self.store.ensure_indexes(
                [IndexSpec(collection="docs", keys=(("email", 1),), unique=True)]
            )
            self.coll = self.store.collection("docs")
            self.coll.delete_many({})
            self.model: dict[str, dict[str, Any]] = {}

        def teardown(self) -> None:
            if shared is None:
                self.store.close()

        def _email_taken(self, email: str, by: str) -> bool:
            return any(d["email"] == email and i != by for i, d in self.model.items())

        @rule(doc_id=IDS, email=EMAILS, state=STATES, n=st.integers(-5, 5))
        def insert(self, doc_id: str, email: str, state: str, n: int) -> None:
            doc = {"email": email, "state": state, "n": n, "version": 0}
            if doc_id in self.model or self._email_taken(email, doc_id):
                with pytest.raises(Conflict):
                    self.coll.insert_one({"_id": doc_id, **doc})
            else:
                self.coll.insert_one({"_id": doc_id, **doc})
                self.model[doc_id] = doc

        @rule(doc_id=IDS, version=st.integers(0, 2), state=STATES, email=EMAILS)
        def compare_and_set(self, doc_id: str, version: int, state: str, email: str) -> None:
            current = self.model.get(doc_id)
            update = {"$set": {"state": state, "email": email}, "$inc": {"version": 1}}
            matches = current is not None and current["version"] == version
            if matches and self._email_taken(email, doc_id):
                with pytest.raises(Conflict):
                    self.coll.update_one({"_id": doc_id, "version": version}, update)
                return
            assert self.coll.update_one({"_id": doc_id, "version": version}, update) is matches
            if current is not None and matches:
                current.update(state=state, email=email, version=version + 1)

        @rule(state=STATES, n=st.integers(-5, 5))
        def claim_smallest(self, state: str, n: int) -> None:
            candidates = sorted(
                (d["n"], i) for i, d in self.model.items() if d["state"] == state and d["n"] >= n
            )
            got = self.coll.find_one_and_update(
                {"state": state, "n": {"$gte": n}},
                {"$set": {"state": "done"}, "$inc": {"version": 1}},
                sort=[("n", 1), ("_id", 1)],
            )
            if not candidates:
                assert got is None
                return
            assert got is not None and got["_id"] == candidates[0][1]
            doc = self.model[candidates[0][1]]
            doc.update(state="done", version=doc["version"] + 1)

        @rule(doc_id=IDS)
        def delete(self, doc_id: str) -> None:
            assert self.coll.delete_one({"_id": doc_id}) is (doc_id in self.model)
            self.model.pop(doc_id, None)

        @rule(states=st.lists(STATES, max_size=2), n=st.integers(-5, 5))
        def query(self, states: list[str], n: int) -> None:
            flt = {"state": {"$in": states}, "n": {"$lt": n}}
            want = sorted(
                (i for i, d in self.model.items() if d["state"] in states and d["n"] < n),
                reverse=True,
            )
            assert [d["_id"] for d in self.coll.find(flt, sort=[("_id", -1)])] == want
            assert self.coll.count(flt) == len(want)

        @invariant()
        def contents_agree(self) -> None:
            stored = {d.pop("_id"): d for d in self.coll.find({})}
            assert stored == self.model

    return StoreAgreesWithModel


@pytest.mark.parametrize("kind", kinds(BACKENDS))
def test_backend_agrees_with_a_dict_model_under_random_operations(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if kind != "wire":
        run_state_machine_as_test(machine_for(kind, tmp_path, None), settings=SETTINGS)
        return
    server: WireServer = request.getfixturevalue("wire_server")
    shared = make_store(kind, tmp_path, server.uri, name=f"s{uuid.uuid4().hex}")
    try:
        machine = machine_for(kind, tmp_path, server.uri, shared)
        run_state_machine_as_test(machine, settings=SETTINGS)
    finally:
        shared.close()
