"""Temp env jobs: provisioning, its failures and cancel, the sweep (warning, grace,
expiry), undo-expire and cleanup (DOMAIN.md §16.2-§16.6, §17.5)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from conman_domain.errors import Internal, ServiceUnavailable
from conman_domain.model import (
    ChangeKind,
    JobState,
    JobType,
    Lifecycle,
    ProfileKind,
    ProvisioningMode,
    RuntimeProfile,
    TypedValue,
    ValueType,
)
from conman_domain.ports.secrets import SecretAad
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.temp_env_jobs import TempEnvJobs
from tests.http.changeset_world import World
from tests.http.release_world import Run
from tests.http.test_temp_envs_support import (
    FakeProvisioner,
    call,
    env_of,
    run_temp_job,
    temp_world,
)

HOOKS = {
    "CONMAN_TEMP_ENV_PROVISION_COMMAND": "./provision.sh",
    "CONMAN_TEMP_ENV_CLEANUP_COMMAND": "./cleanup.sh",
}


@pytest.fixture
def wp(tmp_path: Path) -> Iterator[tuple[World, FakeProvisioner]]:
    with temp_world(tmp_path) as pair:
        yield pair


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _create(w: World, **body: Any) -> dict[str, Any]:
    response = call(w, "POST", "", body or {"workspace_id": w.workspace.id})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _get(w: World, temp_env_id: str) -> dict[str, Any]:
    data: dict[str, Any] = call(w, "GET", f"/{temp_env_id}").json()["data"]
    return data


def _sweep(w: World) -> int:
    jobs: TempEnvJobs = w.env.container.temp_env_jobs()
    return jobs.sweep()


def _set_lifecycle(w: World, profile_id: str, lifecycle: Lifecycle) -> RuntimeProfile:
    profile = w.repos.runtime_profiles.get(profile_id)
    profile.lifecycle = lifecycle
    return w.repos.runtime_profiles.save(profile)


def test_provisioning_creates_branch_profile_and_database_then_activates(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    working = w.write("config/a.json", b"{}")
    ws = w.repos.workspaces.get(w.workspace.id)
    w.repos.workspaces.set_fields(ws.id, ws.version, {"working_sha": working})
    overrides = {"FEATURE": {"type": "boolean", "value": True}}
    created = _create(w, workspace_id=w.workspace.id, env_var_overrides=overrides)
    job, result = run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert job.state == JobState.SUCCEEDED, result
    data = _get(w, created["id"])
    assert data["state"] == "active"
    assert _ts(data["expires_at"]) - _ts(data["last_activity_at"]) == timedelta(hours=24)
    assert w.git.resolve(repo_ref(w.app), f"refs/heads/{data['snapshot_branch']}") == working
    profile = w.repos.runtime_profiles.get(data["runtime_profile_id"])
    assert profile.kind == ProfileKind.TEMP_WORKSPACE
    assert profile.base_url == data["base_url"]
    assert profile.env_vars["FEATURE"] == TypedValue(type=ValueType.BOOLEAN, value=True)
    revision = w.repos.profile_revisions.find_one({"runtime_profile_id": profile.id})
    assert revision is not None and revision.change_kind == ChangeKind.TEMP_DERIVED
    assert provisioner.calls == [("create", "mongodb://temp-db:27017", data["db_name"])]
    assert provisioner.databases[data["db_name"]]["temp_env_id"] == data["id"]
    assert "temp_environment.provisioned" in w.audit_actions()


def test_the_base_profile_lifecycle_sets_the_ttl(wp: tuple[World, FakeProvisioner]) -> None:
    w, _ = wp
    base_id = w.environments()[0].runtime_profile_id
    _set_lifecycle(w, base_id, Lifecycle(ttl_idle_hours=3, grace_hours=2))
    created = _create(w)
    run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    data = _get(w, created["id"])
    assert _ts(data["expires_at"]) - _ts(data["last_activity_at"]) == timedelta(hours=3)


def _clone_base(w: World, source_uri: str | None) -> None:
    """Position 0 clones the QA profile's database (whose URI is a connection secret)."""
    base = w.repos.runtime_profiles.get(w.environments()[0].runtime_profile_id)
    source = w.repos.runtime_profiles.get(w.environments()[1].runtime_profile_id)
    if source_uri is not None:
        cipher = w.env.container.cipher()
        aad = SecretAad(app_id=w.app_id, profile_id=source.id, key="DB_URI")
        source.secrets = {"DB_URI": cipher.encrypt(source_uri, aad)}
        source.database = msgspec.structs.replace(source.database, connection_ref="DB_URI")
        w.repos.runtime_profiles.save(source)
    base.database = msgspec.structs.replace(
        base.database, provisioning_mode=ProvisioningMode.CLONE_FROM_BASE, base_profile_id=source.id
    )
    w.repos.runtime_profiles.save(base)


def test_clone_from_base_copies_the_source_profiles_database(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    _clone_base(w, "mongodb://qa-db:27017/shop_qa")
    created = _create(w)
    job, result = run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert job.state == JobState.SUCCEEDED, result
    assert provisioner.calls == [
        ("clone", "mongodb://temp-db:27017", "shop_qa", created["db_name"])
    ]


def test_clone_from_base_without_a_source_database_fails_finally(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    _clone_base(w, None)
    created = _create(w)
    job, result = run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    # The source has no connection secret, so the fallback URI names no database.
    assert job.state == JobState.FAILED
    assert "names no database" in str(result)
    assert env_of(w, created["id"]).state == "deleted"
    assert [c[0] for c in provisioner.calls] == ["drop"]


def test_a_final_provision_failure_releases_resources_and_notifies_the_creator(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    provisioner.fail_with = [Internal("disk full")]
    created = _create(w)
    job, _ = run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert job.state == JobState.FAILED
    env = env_of(w, created["id"])
    assert env.state == "deleted" and not env.live and env.deleted_at is not None
    assert w.git.resolve(repo_ref(w.app), f"refs/heads/{env.snapshot_branch}") is None
    assert env.runtime_profile_id is not None
    assert w.repos.runtime_profiles.get(env.runtime_profile_id).archived
    assert ("drop", "mongodb://temp-db:27017", env.db_name) in provisioner.calls
    assert "temp_environment.provision_failed" in w.audit_actions()
    assert w.outbox_for("temp_env_provision_failed") == {"author@example.com"}


def test_an_infrastructure_failure_is_retried_once_before_it_is_final(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    provisioner.fail_with = [ServiceUnavailable("down"), ServiceUnavailable("down")]
    created = _create(w)
    job, _ = run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert job.state == JobState.QUEUED
    assert env_of(w, created["id"]).state == "provisioning"
    job, _ = run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert job.state == JobState.FAILED and job.attempts == 2
    assert env_of(w, created["id"]).state == "deleted"


def test_a_retried_attempt_reuses_what_the_first_one_created(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    provisioner.fail_with = [ServiceUnavailable("down")]
    created = _create(w)
    run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    first_profile = env_of(w, created["id"]).runtime_profile_id
    job, result = run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert job.state == JobState.SUCCEEDED, result
    env = env_of(w, created["id"])
    assert env.state == "active" and env.runtime_profile_id == first_profile
    temp_profiles = w.repos.runtime_profiles.all({"app_id": w.app_id, "kind": "temp_workspace"})
    assert len(temp_profiles) == 1


def test_canceling_a_queued_provision_is_a_provision_failure(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, _ = wp
    created = _create(w)
    response = w.call("POST", w.author, f"/jobs/{created['provision_job_id']}/cancel")
    assert response.status_code == 200, response.text
    env = env_of(w, created["id"])
    assert env.state == "deleted"
    assert "temp_environment.provision_failed" in w.audit_actions()


def test_the_sweep_releases_a_provisioning_env_whose_job_ended_elsewhere(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, _ = wp
    created = _create(w)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, ["temp_env_provision"])
    assert job is not None
    w.queue.fail(job.id, "w/1", "timeout", w.env.clock.now(), retryable=False)
    assert _sweep(w) == 1
    assert env_of(w, created["id"]).state == "deleted"


def test_provision_and_cleanup_hooks_get_the_temp_env_variables(tmp_path: Path) -> None:
    with temp_world(tmp_path, **HOOKS) as (w, provisioner):
        created = _create(w, workspace_id=w.workspace.id)
        runs: list[Run] = []
        job, result = run_temp_job(w, JobType.TEMP_ENV_PROVISION, runs=runs)
        assert job.state == JobState.SUCCEEDED, result
        extra = runs[0].envs[0].extra
        assert extra["CONMAN_TEMP_ENV_ID"] == created["id"]
        assert extra["CONMAN_DB_NAME"] == created["db_name"]
        assert extra["CONMAN_SNAPSHOT_BRANCH"] == created["snapshot_branch"]
        assert extra["CONMAN_SEED_MODE"] == "none"
        assert call(w, "DELETE", f"/{created['id']}").status_code == 204
        job, result = run_temp_job(w, JobType.TEMP_ENV_CLEANUP, verdict=lambda _t: 3, runs=runs)
        assert job.state == JobState.FAILED
        assert "cleanup command failed" in str(result)
        assert env_of(w, created["id"]).cleaned_up_at is None
        assert created["db_name"] not in provisioner.databases


def test_a_failing_provision_hook_is_a_final_failure(tmp_path: Path) -> None:
    with temp_world(tmp_path, **HOOKS) as (w, _):
        created = _create(w, workspace_id=w.workspace.id)
        job, result = run_temp_job(w, JobType.TEMP_ENV_PROVISION, verdict=lambda _t: 1)
        assert job.state == JobState.FAILED
        assert "exit code 1" in str(result)
        assert env_of(w, created["id"]).state == "deleted"


class _Stopped(Run):
    """A running job that has been told to stop (canceled or timed out)."""

    def should_stop(self) -> bool:
        return True


def _run_stopped(w: World, *, cancel: bool) -> None:
    jobs: TempEnvJobs = w.env.container.temp_env_jobs()
    job = w.queue.claim("w/1", w.env.clock.now(), 60, ["temp_env_provision"])
    assert job is not None
    if cancel:
        w.queue.cancel(job.id, w.env.clock.now())
    with pytest.raises(Exception, match="stopped"):
        jobs.provision(_Stopped(job))


def test_a_running_provision_that_is_canceled_releases_the_env(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, _ = wp
    created = _create(w)
    _run_stopped(w, cancel=True)
    assert env_of(w, created["id"]).state == "deleted"


def test_a_first_attempt_stopped_by_its_timeout_keeps_the_env_for_the_retry(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, _ = wp
    created = _create(w)
    _run_stopped(w, cancel=False)
    assert env_of(w, created["id"]).state == "provisioning"
