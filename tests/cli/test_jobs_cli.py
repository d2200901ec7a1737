"""``conman jobs list|show|logs|cancel|retry`` over the embedded store (API.md §14, §16)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conman_adapters.container import Container, build_container
from conman_cli.common import load_config
from conman_cli.main import main
from conman_domain.model import Job, JobState, JobType, LogLevel, User
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.job_shapes import new_job

PASSWORD = "a long enough password"


class Store:
    def __init__(self, container: Container, admin: User, app_id: str) -> None:
        self.container = container
        self.admin = admin
        self.app_id = app_id

    def job(
        self, job_type: JobType = JobType.TEMP_ENV_CLEANUP, state: JobState = JobState.QUEUED
    ) -> Job:
        job = new_job(
            self.container.ids(), self.container.clock(), app_id=self.app_id,
            job_type=job_type, entity_type="temp_environment", entity_id="t" * 24,
            payload={"temp_env_id": "t" * 24}, created_by=None,
        )  # fmt: skip
        job.state = state
        return self.container.job_queue().enqueue(job)

    def state(self, job_id: str) -> JobState:
        return self.container.job_queue().get(job_id).state


@pytest.fixture
def store(workdir: Path) -> Iterator[Store]:
    settings, _ = load_config()
    container = build_container(settings)
    services = container.identity()
    admin = services.auth.create_user("admin@localhost", "Admin", PASSWORD, Actor())
    services.auth.create_user("ops@example.com", "Ops", PASSWORD, Actor())
    view = services.apps.create(
        admin, Actor(user_id=admin.id), name="shop", repo_path="shop", integration_branch="main"
    )
    try:
        yield Store(container, admin, view.id)
    finally:
        container.store().close()


def run(runner: CliRunner, *args: str) -> tuple[int, Any]:
    result = runner.invoke(main, ["jobs", *args])
    if "--json" in args and result.output.startswith("{"):
        return result.exit_code, json.loads(result.output)
    return result.exit_code, result.output


def test_list_shows_jobs_newest_first_and_filters_by_type_and_state(
    runner: CliRunner, store: Store
) -> None:
    older = store.job(JobType.TEMP_ENV_CLEANUP, JobState.FAILED)
    newer = store.job(JobType.MSUITE_SUBMIT)
    code, body = run(runner, "list", "--json")
    assert code == 0
    assert [j["id"] for j in body["jobs"]] == [newer.id, older.id] and body["total"] == 2
    code, body = run(runner, "list", "--app", store.app_id, "--type", "temp_env_cleanup", "--json")
    assert [j["id"] for j in body["jobs"]] == [older.id]
    code, body = run(runner, "list", "--state", "queued,running", "--json")
    assert [j["id"] for j in body["jobs"]] == [newer.id]
    code, text = run(runner, "list")
    assert code == 0 and f"{older.id}  temp_env_cleanup  failed" in text


def test_list_rejects_unknown_values_and_apps(runner: CliRunner, store: Store) -> None:
    code, body = run(runner, "list", "--type", "nightly", "--json")
    assert code == 2 and body["error"]["code"] == "validation_error"
    assert run(runner, "list", "--app", "f" * 24)[0] == 3


def test_show_and_logs_read_one_job(runner: CliRunner, store: Store) -> None:
    job = store.job(state=JobState.FAILED)
    queue = store.container.job_queue()
    for message in ("first", "second"):
        queue.append_log(job.id, LogLevel.INFO, message, store.container.clock().now())
    code, body = run(runner, "show", job.id, "--json")
    assert code == 0 and body["id"] == job.id and body["state"] == "failed"
    code, text = run(runner, "logs", job.id)
    assert code == 0
    assert text.index("first") < text.index("second")
    code, body = run(runner, "logs", job.id, "--json")
    assert [line["seq"] for line in body["logs"]] == [1, 2]
    assert run(runner, "show", "f" * 24)[0] == 3
    assert run(runner, "show", "nope")[0] == 3


def test_cancel_acts_as_the_given_user_and_refuses_terminal_jobs(
    runner: CliRunner, store: Store
) -> None:
    job = store.job()
    code, body = run(runner, "cancel", job.id, "--as", "ops@example.com", "--json")
    assert code == 0 and body["state"] == "canceled"
    audit = store.container.repositories().audit.list({"action": "job.canceled"}).items
    ops = store.container.repositories().users.find_one({"email": "ops@example.com"})
    assert ops is not None and [e.actor_user_id for e in audit] == [ops.id]
    code, body = run(runner, "cancel", job.id, "--json")
    assert code == 4 and body["error"]["code"] == "invalid_transition"
    other = store.job()
    assert run(runner, "cancel", other.id, "--as", "ghost@example.com")[0] == 3
    assert store.state(other.id) == JobState.QUEUED


def test_retry_enqueues_a_new_job_and_follows_the_retry_rules(
    runner: CliRunner, store: Store
) -> None:
    failed = store.job(state=JobState.FAILED)
    code, text = run(runner, "retry", failed.id)
    assert code == 0 and text.startswith(f"job {failed.id} retried as ")
    new_id = text.strip().rsplit(" ", 1)[1]
    assert store.state(new_id) == JobState.QUEUED
    fresh = store.container.job_queue().get(new_id)
    assert fresh.created_by == store.admin.id and fresh.payload == failed.payload
    assert run(runner, "retry", new_id)[0] == 4  # still queued
    merge = store.job(JobType.MSUITE_MERGE, JobState.FAILED)
    assert run(runner, "retry", merge.id)[0] == 2  # not a retryable type
