"""Rollback: redeploy_prior_tag and revert_and_release (DOMAIN.md §14.6; API.md §12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.model import JobState
from conman_domain.usecases.apps import repo_ref
from tests.http.changeset_world import World, changeset_world
from tests.http.test_deployments_support import deploy, published, run_deploy


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _deployed_twice(w: World) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Development ran T (config/a.json) and then C (config/b.json)."""
    dev = w.environments()[0].id
    target = published(w, "config/a.json")
    deploy(w, dev, "deploy", {"release_id": target["id"]})
    run_deploy(w)
    current = published(w, "config/b.json")
    deploy(w, dev, "deploy", {"release_id": current["id"]})
    job, result, _ = run_deploy(w)
    assert job.state == JobState.SUCCEEDED, result
    return dev, target, current


def _release(w: World, release_id: str) -> dict[str, Any]:
    data: dict[str, Any] = w.call("GET", w.cm, f"/releases/{release_id}").json()["data"]
    return data


def test_redeploy_prior_tag_deploys_the_target_and_rolls_back_the_current(w: World) -> None:
    dev, target, current = _deployed_twice(w)
    body = {"mode": "redeploy_prior_tag", "target_release_id": target["id"]}
    response = deploy(w, dev, "rollback", body)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    assert data["kind"] == "rollback"
    assert data["release_id"] == target["id"]
    assert data["rollback_mode"] == "redeploy_prior_tag"
    assert data["rollback_source_release_id"] == current["id"]
    assert data["rollback_target_release_id"] == target["id"]
    assert "deployment.rolled_back" in w.audit_actions()
    job, result, _ = run_deploy(w)
    assert job.state == JobState.SUCCEEDED, result
    env = w.repos.environments.get(dev)
    assert env.current_release_id == target["id"]
    assert w.git.resolve(repo_ref(w.app), env.branch_ref) == target["published_sha"]
    assert _release(w, current["id"])["state"] == "rolled_back"
    assert "release.rolled_back" in w.audit_actions()


def test_revert_and_release_publishes_a_revert_release_and_deploys_it(w: World) -> None:
    dev, target, current = _deployed_twice(w)
    head = w.integration_head()
    body = {"mode": "revert_and_release", "target_release_id": target["id"]}
    response = deploy(w, dev, "rollback", body)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    revert = _release(w, data["release_id"])
    assert revert["source"] == "revert"
    assert revert["state"] == "published"
    assert revert["reverts_release_id"] == current["id"]
    assert revert["tag"] is not None
    new_head = w.integration_head()
    assert new_head == revert["published_sha"] != head
    commit = w.git.find_commit(repo_ref(w.app), new_head)
    assert commit is not None and commit.parents == [head]
    assert w.git.get_entry(repo_ref(w.app), new_head, "config/b.json") is None
    assert w.git.get_entry(repo_ref(w.app), new_head, "config/a.json") is not None
    assert w.git.resolve(repo_ref(w.app), f"refs/heads/conman/revert/{revert['id']}") is None
    actions = w.audit_actions()
    assert {"release.created", "release.published", "deployment.rolled_back"} <= set(actions)
    job, result, _ = run_deploy(w)
    assert job.state == JobState.SUCCEEDED, result
    assert _release(w, current["id"])["state"] == "rolled_back"
    assert w.repos.environments.get(dev).current_release_id == revert["id"]


def test_rollback_refuses_a_target_that_never_ran_here_or_is_current(w: World) -> None:
    dev, target, current = _deployed_twice(w)
    same = deploy(w, dev, "rollback", {"mode": "redeploy_prior_tag",
                                       "target_release_id": current["id"]})  # fmt: skip
    assert same.status_code == 400
    qa = w.environments()[1].id
    none = deploy(w, qa, "rollback", {"mode": "redeploy_prior_tag",
                                      "target_release_id": target["id"]})  # fmt: skip
    assert none.status_code == 400
    assert "no current release" in none.json()["error"]["message"]
    never = published(w, "config/c.json")
    body = {"mode": "revert_and_release", "target_release_id": never["id"]}
    assert deploy(w, dev, "rollback", body).status_code == 400
    bad_mode = deploy(w, dev, "rollback", {"mode": "undo", "target_release_id": target["id"]})
    assert bad_mode.status_code == 400


def test_rollback_respects_the_environment_lock(w: World) -> None:
    dev, target, current = _deployed_twice(w)
    assert deploy(w, dev, "deploy", {"release_id": current["id"]}).status_code == 201
    body = {"mode": "redeploy_prior_tag", "target_release_id": target["id"]}
    response = deploy(w, dev, "rollback", body)
    assert response.status_code == 409
    assert "active deployment" in response.json()["error"]["message"]


def test_a_revert_conflict_is_409_with_paths_and_changes_nothing(w: World) -> None:
    dev, target, _current = _deployed_twice(w)
    published(w, "config/b.json", b'{"changed": true}')
    head = w.integration_head()
    body = {"mode": "revert_and_release", "target_release_id": target["id"]}
    response = deploy(w, dev, "rollback", body)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["details"]["conflicting_paths"] == ["config/b.json"]
    assert w.integration_head() == head
    revert_releases = w.repos.releases.all({"app_id": w.app_id, "source": "revert"})
    assert revert_releases == []
    assert w.repos.deployments.count({"environment_id": dev, "active": True}) == 0


def test_reverting_to_an_identical_tree_is_nothing_to_revert(w: World) -> None:
    dev = w.environments()[0].id
    target = published(w, "config/a.json")
    deploy(w, dev, "deploy", {"release_id": target["id"]})
    run_deploy(w)
    same = published(w, "config/a.json")
    deploy(w, dev, "deploy", {"release_id": same["id"]})
    run_deploy(w)
    body = {"mode": "revert_and_release", "target_release_id": target["id"]}
    response = deploy(w, dev, "rollback", body)
    assert response.status_code == 400, response.text
    assert "nothing to revert" in response.json()["error"]["message"]


def test_blocking_drift_refuses_deploys_and_enqueues_a_check(w: World) -> None:
    dev = w.environments()[0]
    release = published(w, "config/a.json")
    deploy(w, dev.id, "deploy", {"release_id": release["id"]})
    run_deploy(w)
    edit = w.call(
        "PATCH", w.admin, f"/runtime-profiles/{dev.runtime_profile_id}",
        {"env_vars": {"NEW_KEY": {"type": "string", "value": "x"}}},
    )  # fmt: skip
    assert edit.status_code == 200, edit.text
    for job in w.queue.list({"job_type": "runtime_profile_drift_check"}).items:
        w.queue.cancel(job.id, w.env.clock.now())
    response = deploy(w, dev.id, "deploy", {"release_id": release["id"]})
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "drift_detected"
    assert error["details"]["drift"]["blocking"] is True
    checks = w.queue.list({"job_type": "runtime_profile_drift_check", "state": "queued"})
    assert checks.total == 1
    assert w.outbox_for("deployment_blocked_by_drift")
    assert w.repos.deployments.count({"environment_id": dev.id, "active": True}) == 0
