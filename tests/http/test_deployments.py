"""Approvals, deploy and promote requests, the lock, listing and cancel (API.md §12;
DOMAIN.md §14.1-§14.3, §14.7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conman_domain.model import JobState, JobType
from tests.http.changeset_world import World, changeset_world
from tests.http.test_deployments_support import (
    approval,
    deploy,
    env_ids,
    published,
    run_deploy,
)


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def test_deploy_to_the_first_stage_creates_a_pending_deployment_and_its_job(w: World) -> None:
    release = published(w, "config/a.json")
    dev = env_ids(w)[0]
    response = deploy(w, dev, "deploy", {"release_id": release["id"]})
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["state"] == "pending"
    assert data["kind"] == "deploy"
    assert data["environment_id"] == dev
    assert data["logs_ref"] == f"jobs/{data['job_id']}/logs"
    job = w.queue.get(data["job_id"])
    assert job.job_type == JobType.DEPLOY_RELEASE
    assert job.entity_id == data["id"]
    assert job.max_attempts == 1
    assert "deployment.created" in w.audit_actions()
    got = w.call("GET", w.author, f"/deployments/{data['id']}")
    assert got.status_code == 200
    assert got.json()["data"] == data


def test_a_second_deployment_to_a_busy_environment_is_refused(w: World) -> None:
    release = published(w, "config/a.json")
    dev = env_ids(w)[0]
    assert deploy(w, dev, "deploy", {"release_id": release["id"]}).status_code == 201
    again = deploy(w, dev, "deploy", {"release_id": release["id"]})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert "environment has an active deployment" in again.json()["error"]["message"]


def test_a_release_that_is_not_published_cannot_be_deployed(w: World) -> None:
    created = w.call("POST", w.cm, "/releases", {"changeset_ids": []})
    release_id = created.json()["data"]["id"]
    response = deploy(w, env_ids(w)[0], "deploy", {"release_id": release_id})
    assert response.status_code == 400
    missing = deploy(w, env_ids(w)[0], "deploy", {"release_id": "a" * 24})
    assert missing.status_code == 404


def test_deploying_beyond_the_next_stage_needs_skip_stage_and_two_approvers(w: World) -> None:
    release = published(w, "config/a.json")
    rid, qa = release["id"], env_ids(w)[1]
    plain = deploy(w, qa, "deploy", {"release_id": rid})
    assert plain.status_code == 400
    assert "skip_stage" in plain.json()["error"]["message"]
    unapproved = deploy(w, qa, "deploy", {"release_id": rid, "skip_stage": True})
    assert unapproved.status_code == 400
    one = [approval(w, w.rev1, qa, rid)]
    single = deploy(
        w, qa, "deploy", {"release_id": rid, "skip_stage": True, "approval_tokens": one}
    )
    assert single.status_code == 400
    tokens = [approval(w, w.rev1, qa, rid), approval(w, w.rev2, qa, rid)]
    body = {"release_id": rid, "skip_stage": True, "approval_tokens": tokens}
    ok = deploy(w, qa, "deploy", body)
    assert ok.status_code == 201, ok.text
    data = ok.json()["data"]
    assert data["skip_stage"] is True
    assert sorted(data["approval_user_ids"]) == sorted([w.rev1.id, w.rev2.id])
    assert {a["role"] for a in data["approvals"]} == {"reviewer"}


def test_each_bad_approval_token_is_reported_on_its_own(w: World) -> None:
    release = published(w, "config/a.json")
    rid, qa = release["id"], env_ids(w)[1]
    used = approval(w, w.rev1, qa, rid)
    body = {"release_id": rid, "skip_stage": True,
            "approval_tokens": [used, approval(w, w.rev2, qa, rid)]}  # fmt: skip
    first = deploy(w, qa, "deploy", body).json()["data"]
    assert w.call("POST", w.cm, f"/deployments/{first['id']}/cancel").status_code == 200
    other_env = approval(w, w.rev2, env_ids(w)[2], rid)
    no_skip = approval(w, w.rev2, qa, rid, skip_stage=False)
    tokens = [used, other_env, "not-a-token", no_skip]
    response = deploy(
        w, qa, "deploy", {"release_id": rid, "skip_stage": True, "approval_tokens": tokens}
    )
    assert response.status_code == 400
    fields = response.json()["error"]["details"]["fields"]
    assert [f["field"] for f in fields] == [f"approval_tokens[{i}]" for i in range(4)]
    messages = [f["message"] for f in fields]
    assert "already used" in messages[0]
    assert "another environment" in messages[1]
    assert "skip_stage" in messages[3]


def test_approval_tokens_are_issued_to_reviewers_without_caching(w: World) -> None:
    release = published(w, "config/a.json")
    dev = env_ids(w)[0]
    response = deploy(w, dev, "approvals", {"release_id": release["id"]}, w.rev1)
    assert response.status_code == 201
    assert response.headers["cache-control"] == "no-store"
    data = response.json()["data"]
    assert data["approver_user_id"] == w.rev1.id
    assert data["skip_stage"] is True
    assert "deployment_approval.issued" in w.audit_actions()
    denied = deploy(w, dev, "approvals", {"release_id": release["id"]}, w.author)
    assert denied.status_code == 403


def test_promote_needs_an_earlier_succeeded_stage_and_targets_the_next(w: World) -> None:
    release = published(w, "config/a.json")
    rid, envs = release["id"], env_ids(w)
    early = deploy(w, envs[1], "promote", {"release_id": rid})
    assert early.status_code == 400
    assert "earlier stage" in early.json()["error"]["message"]
    assert deploy(w, envs[0], "deploy", {"release_id": rid}).status_code == 201
    job, result, _ = run_deploy(w)
    assert job.state == JobState.SUCCEEDED, result
    skipping = deploy(w, envs[2], "promote", {"release_id": rid})
    assert skipping.status_code == 400
    promoted = deploy(w, envs[1], "promote", {"release_id": rid})
    assert promoted.status_code == 201, promoted.text
    assert promoted.json()["data"]["kind"] == "promote"
    assert "deployment.promoted" in w.audit_actions()


def test_a_concurrent_deploy_of_the_same_release_needs_approvals(w: World) -> None:
    release = published(w, "config/a.json")
    rid, envs = release["id"], env_ids(w)
    assert deploy(w, envs[0], "deploy", {"release_id": rid}).status_code == 201
    # Development is reached by nobody yet, so position 0 is next; QA is beyond it.
    tokens = [approval(w, w.rev1, envs[1], rid), approval(w, w.rev2, envs[1], rid)]
    body = {"release_id": rid, "skip_stage": True, "approval_tokens": tokens}
    response = deploy(w, envs[1], "deploy", body)
    assert response.status_code == 201, response.text
    assert response.json()["data"]["concurrent"] is True


def test_listing_filters_by_environment_release_and_state(w: World) -> None:
    release = published(w, "config/a.json")
    rid, envs = release["id"], env_ids(w)
    first = deploy(w, envs[0], "deploy", {"release_id": rid}).json()["data"]
    run_deploy(w)
    listed = w.call("GET", w.author, f"/deployments?environment_id={envs[0]}&state=succeeded")
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()["data"]] == [first["id"]]
    assert listed.json()["pagination"]["total"] == 1
    none = w.call("GET", w.author, "/deployments?state=pending")
    assert none.json()["data"] == []
    assert w.call("GET", w.author, "/deployments?state=bogus").status_code == 400
    assert w.call("GET", w.author, "/deployments?release_id=nope").status_code == 400
    assert w.call("GET", w.author, "/deployments?colour=red").status_code == 400


def test_canceling_a_pending_deployment_cancels_it_and_its_job(w: World) -> None:
    release = published(w, "config/a.json")
    dev = env_ids(w)[0]
    data = deploy(w, dev, "deploy", {"release_id": release["id"]}).json()["data"]
    response = w.call("POST", w.cm, f"/deployments/{data['id']}/cancel")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["state"] == "canceled"
    assert w.queue.get(data["job_id"]).state == JobState.CANCELED
    assert "deployment.canceled" in w.audit_actions()
    again = w.call("POST", w.cm, f"/deployments/{data['id']}/cancel")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"
    # The lock is free again.
    assert deploy(w, dev, "deploy", {"release_id": release["id"]}).status_code == 201


def test_canceling_a_queued_deploy_job_cancels_the_deployment(w: World) -> None:
    release = published(w, "config/a.json")
    data = deploy(w, env_ids(w)[0], "deploy", {"release_id": release["id"]}).json()["data"]
    response = w.call("POST", w.cm, f"/jobs/{data['job_id']}/cancel")
    assert response.status_code == 200, response.text
    got = w.call("GET", w.cm, f"/deployments/{data['id']}").json()["data"]
    assert got["state"] == "canceled"


def test_users_cannot_deploy_or_cancel(w: World) -> None:
    release = published(w, "config/a.json")
    dev = env_ids(w)[0]
    assert deploy(w, dev, "deploy", {"release_id": release["id"]}, w.author).status_code == 403
    data = deploy(w, dev, "deploy", {"release_id": release["id"]}).json()["data"]
    assert w.call("POST", w.author, f"/deployments/{data['id']}/cancel").status_code == 403


def test_deploy_bodies_are_strict(w: World) -> None:
    release = published(w, "config/a.json")
    dev = env_ids(w)[0]
    extra = deploy(w, dev, "deploy", {"release_id": release["id"], "force": True})
    assert extra.status_code == 400
    many = deploy(w, dev, "deploy", {"release_id": release["id"], "approval_tokens": ["x"] * 11})
    assert many.status_code == 400
    bad_id = deploy(w, dev, "deploy", {"release_id": "zz"})
    assert bad_id.status_code == 400
