"""The sweep (warning, grace, expiry), undo-expire and cleanup, end to end with a
controllable clock (DOMAIN.md §16.2, §16.3, §16.6)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from conman_domain.model import JobState, JobType, Lifecycle, RuntimeProfile
from conman_domain.usecases.temp_env_jobs import TempEnvJobs
from tests.http.changeset_world import World
from tests.http.test_temp_envs_support import (
    FakeProvisioner,
    call,
    env_of,
    run_temp_job,
    temp_world,
)


@pytest.fixture
def wp(tmp_path: Path) -> Iterator[tuple[World, FakeProvisioner]]:
    with temp_world(tmp_path) as pair:
        yield pair


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _create(w: World) -> dict[str, Any]:
    response = call(w, "POST", "", {"workspace_id": w.workspace.id})
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


def test_end_to_end_provision_expire_by_sweep_and_cleanup(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    created = _create(w)
    run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    data = _get(w, created["id"])
    assert _sweep(w) == 0
    # 23.5 h later: inside the 1 h warning window.
    w.env.clock.current = _ts(data["expires_at"]) - timedelta(minutes=30)
    assert _sweep(w) == 1
    assert _sweep(w) == 0  # at most one queued expire job per env
    job, result = run_temp_job(w, JobType.TEMP_ENV_EXPIRE)
    assert job.state == JobState.SUCCEEDED and result == {"action": "warn"}
    assert _get(w, created["id"])["expiry_warning_sent"] is True
    assert w.outbox_for("temp_env_expiry_warning") == {"author@example.com"}
    assert _sweep(w) == 0
    # Past expires_at: active → expiring with grace (1 h by default).
    w.env.clock.current = _ts(data["expires_at"]) + timedelta(seconds=1)
    assert _sweep(w) == 1
    run_temp_job(w, JobType.TEMP_ENV_EXPIRE)
    expiring = _get(w, created["id"])
    assert expiring["state"] == "expiring"
    assert _ts(expiring["grace_until"]) - _ts(expiring["expires_at"]) < timedelta(
        hours=1, minutes=11
    )
    assert w.outbox_for("temp_env_grace_started") == {"author@example.com"}
    assert call(w, "POST", f"/{created['id']}/touch").status_code == 409
    # Past grace_until: expiring → expired, cleanup enqueued.
    w.env.clock.current = _ts(expiring["grace_until"]) + timedelta(seconds=1)
    assert _sweep(w) == 1
    run_temp_job(w, JobType.TEMP_ENV_EXPIRE)
    assert _get(w, created["id"])["state"] == "expired"
    assert w.outbox_for("temp_env_expired") == {"author@example.com"}
    undo = call(w, "POST", f"/{created['id']}/undo-expire")
    assert undo.status_code == 410 and undo.json()["error"]["code"] == "grace_expired"
    assert call(w, "DELETE", f"/{created['id']}").status_code == 409
    job, result = run_temp_job(w, JobType.TEMP_ENV_CLEANUP)
    assert job.state == JobState.SUCCEEDED, result
    final = _get(w, created["id"])
    assert final["state"] == "deleted" and final["cleaned_up_at"] is not None
    assert final["deleted_at"] is not None
    assert created["db_name"] not in provisioner.databases
    actions = w.audit_actions()
    for action in ("expiring", "expired", "cleaned_up"):
        assert f"temp_environment.{action}" in actions


def test_undo_expire_restores_an_expiring_env_before_grace_ends(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, _ = wp
    created = _create(w)
    run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert call(w, "POST", f"/{created['id']}/undo-expire").status_code == 409
    data = _get(w, created["id"])
    w.env.clock.current = _ts(data["expires_at"]) + timedelta(seconds=1)
    _sweep(w)
    run_temp_job(w, JobType.TEMP_ENV_EXPIRE)
    expiring = _get(w, created["id"])
    undone = call(w, "POST", f"/{created['id']}/undo-expire", user=w.cm)
    assert undone.status_code == 200, undone.text
    body = undone.json()["data"]
    assert body["state"] == "active" and body["grace_until"] is None
    assert body["expiry_warning_sent"] is False
    assert "temp_environment.undo_expired" in w.audit_actions()
    # Once grace has passed, undo answers 410 even while still expiring.
    w.env.clock.current = _ts(body["expires_at"]) + timedelta(seconds=1)
    _sweep(w)
    run_temp_job(w, JobType.TEMP_ENV_EXPIRE)
    expiring = _get(w, created["id"])
    w.env.clock.current = _ts(expiring["grace_until"]) + timedelta(seconds=1)
    late = call(w, "POST", f"/{created['id']}/undo-expire")
    assert late.status_code == 410


def test_cleanup_keeps_the_database_when_auto_cleanup_is_off(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    _set_lifecycle(w, w.environments()[0].runtime_profile_id, Lifecycle(auto_cleanup=False))
    created = _create(w)
    run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert call(w, "DELETE", f"/{created['id']}").status_code == 204
    job, result = run_temp_job(w, JobType.TEMP_ENV_CLEANUP)
    assert job.state == JobState.SUCCEEDED and result == {"state": "deleted", "db_retained": True}
    assert env_of(w, created["id"]).db_retained is True
    assert created["db_name"] in provisioner.databases
    # Running the cleanup again changes nothing.
    w.queue.enqueue(msgspec.structs.replace(job, id="f" * 24, state=JobState.QUEUED, attempts=0))
    again, result = run_temp_job(w, JobType.TEMP_ENV_CLEANUP)
    assert again.state == JobState.SUCCEEDED and result == {"state": "deleted", "db_retained": True}
