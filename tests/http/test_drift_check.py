"""POST environments/:envId/drift/check and the ``runtime_profile_drift_check`` job: the
deploy gate on E's current release commit (else the integration head) with the desired
state resolved; pass → acknowledgement and audit, fail → the job fails with the gate
result; a queued or running check is reused (API.md §12; DOMAIN.md §15.9, §17.1)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from conman_domain.errors import GateFailed
from conman_domain.model import JobState
from conman_domain.usecases.drift import DriftService
from conman_domain.usecases.drift_check import notify_blocked
from tests.http.changeset_world import World
from tests.http.profile_support import no_plaintext
from tests.http.test_drift_support import (
    applied,
    drift,
    drift_world,
    edit,
    env_at,
    published,
    run_check,
    set_deploy_command,
)

SECRET = "drift-Check-secret-0001"


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with drift_world(tmp_path) as world:
        yield world


def _drifted(w: World) -> str:
    """Environment 0 deployed, then its base_url edited directly; returns the release's
    published commit."""
    release = published(w, {"config/app.json": b'{"ok": true}'})
    env = applied(w, env_at(w), release)
    edit(w, env.runtime_profile_id, {"base_url": "https://moved.example.com"})
    assert release.published_sha is not None
    return release.published_sha


def test_a_passing_check_acknowledges_the_drift_and_audits_it(w: World) -> None:
    _drifted(w)
    env = env_at(w)
    response = w.call("POST", w.cm, f"/environments/{env.id}/drift/check")
    assert response.status_code == 202, response.text
    queued = response.json()["data"]
    assert (queued["job_type"], queued["entity_id"]) == ("runtime_profile_drift_check", env.id)
    job, result, _ctx = run_check(w)
    assert job.id == queued["id"] and job.state is JobState.SUCCEEDED
    assert isinstance(result, dict) and result["passed"] is True
    assert result["acknowledged"] is True
    report = drift(w, env)
    assert (report["drifted"], report["acknowledged"], report["blocking"]) == (True, True, False)
    (ack,) = w.repos.drift_acknowledgements.all({"environment_id": env.id})
    assert ack.job_id == job.id
    assert ack.profile_revision_id == report["desired"]["profile_revision_id"]
    assert "environment.drift_acknowledged" in w.audit_actions()


def test_a_failing_deploy_gate_fails_the_job_with_the_gate_result(w: World) -> None:
    _drifted(w)
    env = env_at(w)
    set_deploy_command(w, "./deploy-check.sh")
    assert w.call("POST", w.cm, f"/environments/{env.id}/drift/check").status_code == 202
    job, outcome, _ctx = run_check(w, verdict=lambda _tree: 3)
    assert isinstance(outcome, GateFailed)
    assert job.state is JobState.FAILED
    assert job.result is not None and job.result["passed"] is False
    assert job.result["exit_code"] == 3
    assert job.error_message is not None and "deploy gate failed" in job.error_message
    assert w.repos.drift_acknowledgements.count({"environment_id": env.id}) == 0
    assert drift(w, env)["blocking"] is True
    assert "environment.drift_acknowledged" not in w.audit_actions()


def test_the_gate_command_runs_on_the_release_commit_with_the_desired_state(w: World) -> None:
    sha = _drifted(w)
    env = env_at(w)
    edit(w, env.runtime_profile_id, {"secrets": {"API_KEY": SECRET}})
    set_deploy_command(w, "./deploy-check.sh")
    trees: list[Path] = []

    def verdict(tree: Path) -> int:
        trees.append(tree)
        return 0

    w.call("POST", w.cm, f"/environments/{env.id}/drift/check")
    job, result, ctx = run_check(w, verdict)
    assert job.state is JobState.SUCCEEDED
    assert isinstance(result, dict) and result["commit_sha"] == sha
    (run_env,) = ctx.envs
    assert run_env.secrets["API_KEY"] == SECRET
    assert run_env.metadata.gate == "deploy" and run_env.metadata.commit_sha == sha
    assert (trees[0] / "config" / "app.json").read_bytes() == b'{"ok": true}'
    assert no_plaintext(str(job.result) + str(job.payload), SECRET)


def test_an_environment_without_a_release_is_checked_on_the_integration_head(w: World) -> None:
    env = env_at(w, 1)
    w.call("POST", w.cm, f"/environments/{env.id}/drift/check")
    job, result, _ctx = run_check(w)
    assert job.state is JobState.SUCCEEDED
    assert isinstance(result, dict) and result["commit_sha"] == w.integration_head()
    assert w.repos.drift_acknowledgements.count({"environment_id": env.id}) == 1


def test_a_check_enqueued_by_a_profile_edit_is_reused_and_runs(w: World) -> None:
    _drifted(w)
    env = env_at(w)
    (edit_job,) = w.queue.list(
        {"job_type": "runtime_profile_drift_check", "entity_id": env.id}, limit=10
    ).items
    response = w.call("POST", w.cm, f"/environments/{env.id}/drift/check")
    assert response.json()["data"]["id"] == edit_job.id
    job, _result, _ctx = run_check(w)
    assert job.id == edit_job.id and job.state is JobState.SUCCEEDED
    assert drift(w, env)["acknowledged"] is True


def test_a_queued_or_running_check_is_returned_instead_of_a_new_one(w: World) -> None:
    env = env_at(w, 2)
    first = w.call("POST", w.cm, f"/environments/{env.id}/drift/check").json()["data"]
    second = w.call("POST", w.admin, f"/environments/{env.id}/drift/check").json()["data"]
    assert first["id"] == second["id"]
    w.env.clock.advance(seconds=1)
    claimed = w.queue.claim("w/1", w.env.clock.now(), 60, ["runtime_profile_drift_check"])
    assert claimed is not None and claimed.id == first["id"]
    running = w.call("POST", w.cm, f"/environments/{env.id}/drift/check").json()["data"]
    assert (running["id"], running["state"]) == (first["id"], "running")
    w.queue.complete(claimed.id, "w/1", {"passed": True}, w.env.clock.now())
    fresh = w.call("POST", w.cm, f"/environments/{env.id}/drift/check").json()["data"]
    assert fresh["id"] != first["id"] and fresh["state"] == "queued"
    other = w.call("POST", w.cm, f"/environments/{env_at(w, 3).id}/drift/check").json()["data"]
    assert other["id"] != fresh["id"]


def test_concurrent_check_requests_enqueue_one_job(w: World) -> None:
    env = env_at(w, 3)
    service: DriftService = w.env.container.drift()
    app = w.app
    ids: list[str] = []
    barrier = threading.Barrier(6)

    def request() -> None:
        barrier.wait()
        ids.append(service.enqueue_check(app, env, w.cm.id).id)

    threads = [threading.Thread(target=request) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(ids) == 6 and len(set(ids)) == 1
    jobs = w.queue.list({"job_type": "runtime_profile_drift_check", "entity_id": env.id})
    assert jobs.total == 1


def test_only_config_managers_and_admins_request_checks(w: World) -> None:
    env = env_at(w)
    for user in (w.author, w.rev1):
        response = w.call("POST", user, f"/environments/{env.id}/drift/check")
        assert response.status_code == 403, response.text
    assert w.call("POST", w.admin, f"/environments/{env.id}/drift/check").status_code == 202
    path = f"/environments/{env.id}/drift/check"
    assert w.call("POST", w.cm, path, {"x": 1}).status_code == 400
    assert w.call("POST", w.cm, f"/environments/{'0' * 24}/drift/check").status_code == 404


def test_the_blocked_notification_goes_to_managers_but_not_the_actor(w: World) -> None:
    env = env_at(w)
    deps = w.env.container.flow_deps()
    assert notify_blocked(deps, w.app, env, w.cm.id) == 1
    assert w.outbox_for("deployment_blocked_by_drift") == {"admin@example.com"}
    assert notify_blocked(deps, w.app, env, None) == 2
    assert w.outbox_for("deployment_blocked_by_drift") == {"admin@example.com", "cm@example.com"}
