"""Audit endpoints (API.md §15): listing with filters and chain verification."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conman_domain.model import Role
from tests.http.identity_harness import Env, identity_env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with identity_env(tmp_path) as e:
        yield e


def test_audit_list_filters_and_orders_newest_first(env: Env) -> None:
    ann, bob = env.user("ann@example.com"), env.user("bob@example.com")
    shop = env.app(ann)
    env.add_member(shop, bob, Role.USER)
    headers = env.headers(ann)
    env.client.patch(f"/api/apps/{shop}/settings", headers=headers, json={"required_approvals": 3})
    env.client.patch(
        f"/api/apps/{shop}/members/{bob.id}", headers=headers, json={"role": "reviewer"}
    )
    path = f"/api/apps/{shop}/audit"
    everything = env.client.get(path, headers=headers).json()
    seqs = [e["seq"] for e in everything["data"]]
    assert seqs == sorted(seqs, reverse=True) and everything["pagination"]["total"] == 9
    first = everything["data"][0]
    assert first["action"] == "membership.role_changed"
    assert first["before"]["role"] == "user" and first["after"]["role"] == "reviewer"
    assert first["context"]["request_id"] and first["actor_user_id"] == ann.id
    assert len(first["hash"]) == 64 and "chain_key" not in first
    bare = env.client.get(path, headers=headers, params={"action": "created"}).json()
    assert {e["action"] for e in bare["data"]} == {
        "app.created", "membership.created", "runtime_profile.created"
    }  # fmt: skip
    typed = env.client.get(path, headers=headers, params={"entity_type": "app"}).json()
    assert {e["action"] for e in typed["data"]} == {"app.created", "app.settings_updated"}
    by_actor = env.client.get(path, headers=headers, params={"actor_user_id": bob.id}).json()
    assert by_actor["data"] == []
    late = first["occurred_at"]
    window = env.client.get(path, headers=headers, params={"from": late}).json()
    assert [e["seq"] for e in window["data"]] == [first["seq"]]
    for bad in ({"from": "yesterday"}, {"colour": "red"}, {"action": "exploded"}):
        assert env.client.get(path, headers=headers, params=bad).status_code == 400


def test_verify_detects_an_edited_event(env: Env) -> None:
    ann = env.user("ann@example.com")
    shop = env.app(ann)
    headers = env.headers(ann)
    path = f"/api/apps/{shop}/audit/verify"
    good = env.client.get(path, headers=headers).json()["data"]
    assert good == {
        "app_id": shop, "verified": True, "events_checked": 7, "first_seq": 1, "last_seq": 7,
        "broken_at": None,
    }  # fmt: skip
    third = env.repos.audit.chain(shop)[2]
    env.container.store().collection("audit_events").update_one(
        {"_id": third.id}, {"$set": {"after": {"name": "forged"}}}
    )
    bad = env.client.get(path, headers=headers).json()["data"]
    assert bad["verified"] is False
    assert bad["broken_at"] == {"seq": 3, "event_id": third.id, "reason": "hash_mismatch"}
