"""The jobs API (API.md §14): list, get, logs, cancel, retry, with RBAC and app scoping."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from conman_domain.model import (
    Changeset,
    ChangesetRevision,
    ChangesetState,
    Job,
    JobState,
    JobType,
    LogLevel,
    Role,
    User,
)
from conman_domain.ports.jobs import JobQueuePort
from conman_domain.usecases.job_shapes import new_job
from tests.http.identity_harness import Env, identity_env

JOB_FIELDS = {
    "id", "app_id", "job_type", "state", "entity_type", "entity_id", "payload", "result",
    "error_message", "attempts", "max_attempts", "timeout_ms", "run_after", "locked_until",
    "cancel_requested", "created_by", "created_at", "started_at", "completed_at",
}  # fmt: skip


class World(msgspec.Struct, kw_only=True):
    env: Env
    app_id: str
    other_app_id: str
    admin: User
    manager: User
    member: User
    stranger: User

    @property
    def queue(self) -> JobQueuePort:
        queue: JobQueuePort = self.env.container.job_queue()
        return queue

    def job(
        self,
        job_type: JobType = JobType.MSUITE_SUBMIT,
        *,
        state: JobState = JobState.QUEUED,
        app_id: str | None = None,
        created_by: str | None = None,
        entity_id: str | None = "e" * 24,
        payload: dict[str, Any] | None = None,
    ) -> Job:
        job = new_job(
            self.env.services.deps.ids,
            self.env.clock,
            app_id=app_id or self.app_id,
            job_type=job_type,
            entity_type="changeset",
            entity_id=entity_id,
            payload=payload or {},
            created_by=created_by,
        )
        job.state = state
        if state == JobState.RUNNING:
            job.worker_id, job.attempts = "w/1", 1
        return self.queue.enqueue(job)

    def get(self, user: User, path: str) -> Any:
        return self.env.client.get(f"/api/apps/{self.app_id}{path}", headers=self.env.headers(user))

    def post(self, user: User, path: str, **kwargs: Any) -> Any:
        return self.env.client.post(
            f"/api/apps/{self.app_id}{path}", headers=self.env.headers(user), **kwargs
        )


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with identity_env(tmp_path) as env:
        admin = env.user("admin@example.com")
        app_id = env.app(admin, "shop")
        other = env.app(admin, "other")
        manager, member = env.user("cm@example.com"), env.user("member@example.com")
        stranger = env.user("stranger@example.com")
        env.add_member(app_id, manager, Role.CONFIG_MANAGER)
        env.add_member(app_id, member, Role.USER)
        yield World(
            env=env,
            app_id=app_id,
            other_app_id=other,
            admin=admin,
            manager=manager,
            member=member,
            stranger=stranger,
        )


def _changeset(world: World, state: ChangesetState, revision: int = 1) -> Changeset:
    now = world.env.clock.now()
    ids = world.env.services.deps.ids
    changeset = world.env.container.repositories().changesets.insert(
        Changeset(
            id=ids.new_id(), created_at=now, updated_at=now, app_id=world.app_id,
            workspace_id=ids.new_id(), author_user_id=world.member.id,
            created_by=world.member.id, title="Change", state=state,
            current_revision=revision, head_sha="a" * 40, base_sha="b" * 40,
        )
    )  # fmt: skip
    world.env.container.repositories().changeset_revisions.insert(
        ChangesetRevision(
            id=ids.new_id(), created_at=now, changeset_id=changeset.id,
            revision_number=revision, head_sha="a" * 40, base_sha="b" * 40,
            created_by=world.member.id,
        )
    )  # fmt: skip
    return changeset


def _submit_payload(changeset: Changeset, revision: int = 1) -> dict[str, Any]:
    return {
        "changeset_id": changeset.id,
        "revision_number": revision,
        "head_sha": "a" * 40,
        "base_sha": "b" * 40,
    }


def _audit_actions(world: World) -> list[str]:
    events = world.env.repos.audit.list({"app_id": world.app_id}, limit=100).items
    return [e.action for e in events]


def test_a_member_lists_the_apps_jobs_newest_first_with_pagination(world: World) -> None:
    jobs = [world.job() for _ in range(3)]
    world.job(app_id=world.other_app_id)
    response = world.get(world.member, "/jobs?limit=2")
    assert response.status_code == 200
    body = response.json()
    assert [j["id"] for j in body["data"]] == [jobs[2].id, jobs[1].id]
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 3}
    assert set(body["data"][0]) == JOB_FIELDS
    second = world.get(world.member, "/jobs?limit=2&page=2").json()
    assert [j["id"] for j in second["data"]] == [jobs[0].id]
    past = world.get(world.member, "/jobs?page=9").json()
    assert past["data"] == [] and past["pagination"]["total"] == 3


def test_list_filters_take_comma_lists_and_entity_keys(world: World) -> None:
    submit = world.job(JobType.MSUITE_SUBMIT, entity_id="1" * 24)
    failed = world.job(JobType.TEMP_ENV_CLEANUP, state=JobState.FAILED)
    world.job(JobType.RELEASE_ASSEMBLE, state=JobState.SUCCEEDED)

    def ids(query: str) -> set[str]:
        response = world.get(world.member, f"/jobs?{query}")
        assert response.status_code == 200, response.text
        return {j["id"] for j in response.json()["data"]}

    assert ids("type=msuite_submit,temp_env_cleanup") == {submit.id, failed.id}
    assert ids("state=failed") == {failed.id}
    assert ids("state=queued,failed&type=temp_env_cleanup") == {failed.id}
    assert ids(f"entity_type=changeset&entity_id={'1' * 24}") == {submit.id}


@pytest.mark.parametrize(
    "query",
    [
        "type=msuite_submit,bogus",
        "state=done",
        "state=",
        "entity_type=workspace",
        "entity_id=123",
        "colour=red",
        "type=a&type=b",
        "page=0",
    ],
)
def test_unknown_filter_values_and_parameters_are_rejected(world: World, query: str) -> None:
    response = world.get(world.member, f"/jobs?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_a_job_is_read_by_id_and_another_apps_job_is_not_found(world: World) -> None:
    job = world.job(payload={"changeset_id": "c" * 24})
    body = world.get(world.member, f"/jobs/{job.id}").json()["data"]
    assert body["id"] == job.id and body["payload"] == {"changeset_id": "c" * 24}
    assert body["run_after"].endswith("Z") or body["run_after"].endswith("+00:00")
    foreign = world.job(app_id=world.other_app_id)
    for path in (f"/jobs/{foreign.id}", f"/jobs/{foreign.id}/logs", "/jobs/not-an-id"):
        response = world.get(world.member, path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_non_members_are_forbidden(world: World) -> None:
    job = world.job()
    assert world.get(world.stranger, "/jobs").status_code == 403
    assert world.get(world.stranger, f"/jobs/{job.id}").status_code == 403


def test_logs_come_in_seq_order_with_their_own_limits(world: World) -> None:
    job = world.job()
    for n in range(130):
        world.queue.append_log(job.id, LogLevel.INFO, f"line {n}", world.env.clock.now())
    body = world.get(world.member, f"/jobs/{job.id}/logs").json()
    assert [line["seq"] for line in body["data"]] == list(range(1, 101))
    assert body["pagination"] == {"page": 1, "limit": 100, "total": 130}
    assert set(body["data"][0]) == {"id", "job_id", "seq", "level", "message", "data", "timestamp"}
    big = world.get(world.member, f"/jobs/{job.id}/logs?limit=5000").json()
    assert big["pagination"]["limit"] == 1000 and len(big["data"]) == 130
    last = world.get(world.member, f"/jobs/{job.id}/logs?page=2").json()
    assert [line["message"] for line in last["data"]][-1] == "line 129"


def test_a_member_cannot_cancel_someone_elses_job_but_can_cancel_their_own(world: World) -> None:
    theirs = world.job(created_by=world.manager.id)
    mine = world.job(created_by=world.member.id)
    refused = world.post(world.member, f"/jobs/{theirs.id}/cancel")
    assert refused.status_code == 403
    assert world.queue.get(theirs.id).state == JobState.QUEUED
    done = world.post(world.member, f"/jobs/{mine.id}/cancel")
    assert done.status_code == 200
    assert done.json()["data"]["state"] == "canceled"
    assert done.json()["data"]["completed_at"] is not None


def test_a_config_manager_cancels_queued_at_once_and_running_by_request(world: World) -> None:
    queued = world.job(created_by=world.member.id)
    running = world.job(state=JobState.RUNNING)
    first = world.post(world.manager, f"/jobs/{queued.id}/cancel", json={})
    assert first.status_code == 200 and first.json()["data"]["state"] == "canceled"
    second = world.post(world.manager, f"/jobs/{running.id}/cancel")
    assert second.status_code == 200
    assert second.json()["data"]["state"] == "running"
    assert second.json()["data"]["cancel_requested"] is True
    assert _audit_actions(world).count("job.canceled") == 2


def test_cancel_of_a_terminal_job_is_an_invalid_transition(world: World) -> None:
    job = world.job(state=JobState.SUCCEEDED)
    response = world.post(world.manager, f"/jobs/{job.id}/cancel")
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "invalid_transition"
    assert error["details"] == {"from": "succeeded", "to": "canceled"}


def test_cancel_takes_no_body(world: World) -> None:
    job = world.job()
    response = world.post(world.manager, f"/jobs/{job.id}/cancel", json={"reason": "x"})
    assert response.status_code == 400
    assert world.queue.get(job.id).state == JobState.QUEUED


def test_retry_needs_a_config_manager(world: World) -> None:
    job = world.job(JobType.TEMP_ENV_CLEANUP, state=JobState.FAILED, created_by=world.member.id)
    response = world.post(world.member, f"/jobs/{job.id}/retry")
    assert response.status_code == 403


def test_retry_enqueues_a_new_job_with_the_same_type_entity_and_payload(world: World) -> None:
    changeset = _changeset(world, ChangesetState.IN_REVIEW)
    old = world.job(
        state=JobState.FAILED, entity_id=changeset.id, payload=_submit_payload(changeset)
    )
    response = world.post(world.manager, f"/jobs/{old.id}/retry")
    assert response.status_code == 202, response.text
    fresh = response.json()["data"]
    assert fresh["id"] != old.id and fresh["state"] == "queued" and fresh["attempts"] == 0
    assert (fresh["job_type"], fresh["entity_id"], fresh["payload"]) == (
        "msuite_submit",
        changeset.id,
        old.payload,
    )
    assert fresh["created_by"] == world.manager.id
    assert world.queue.get(old.id).state == JobState.FAILED
    stored = world.env.container.repositories().changesets.get(changeset.id)
    assert stored.last_submit_job_id == fresh["id"]
    assert "job.retried" in _audit_actions(world)


def test_retry_of_a_submit_gate_needs_the_same_revision_and_an_open_review(world: World) -> None:
    moved_on = _changeset(world, ChangesetState.SUBMITTED, revision=2)
    stale = world.job(
        state=JobState.FAILED, entity_id=moved_on.id, payload=_submit_payload(moved_on, 1)
    )
    approved = _changeset(world, ChangesetState.APPROVED)
    late = world.job(
        state=JobState.CANCELED, entity_id=approved.id, payload=_submit_payload(approved)
    )
    for job in (stale, late):
        response = world.post(world.manager, f"/jobs/{job.id}/retry")
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"


def test_retry_rules_for_state_and_type(world: World) -> None:
    queued = world.job(JobType.TEMP_ENV_CLEANUP)
    assert world.post(world.manager, f"/jobs/{queued.id}/retry").json()["error"]["code"] == (
        "invalid_transition"
    )
    merge = world.job(JobType.MSUITE_MERGE, state=JobState.FAILED)
    refused = world.post(world.manager, f"/jobs/{merge.id}/retry")
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "validation_error"
    drift = world.job(JobType.RUNTIME_PROFILE_DRIFT_CHECK, state=JobState.CANCELED)
    assert world.post(world.admin, f"/jobs/{drift.id}/retry").status_code == 202


def test_cancel_and_retry_of_another_apps_job_are_not_found(world: World) -> None:
    foreign = world.job(JobType.TEMP_ENV_CLEANUP, state=JobState.FAILED, app_id=world.other_app_id)
    for action in ("cancel", "retry"):
        response = world.post(world.manager, f"/jobs/{foreign.id}/{action}")
        assert response.status_code == 404, action
