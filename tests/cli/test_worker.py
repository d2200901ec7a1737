"""The job runner built by the container for ``conman serve`` and ``conman worker``."""

from __future__ import annotations

import time
from pathlib import Path

from conman_adapters.config import load_settings
from conman_adapters.container import build_container
from conman_domain.model import JobState, JobType, OutboxState
from conman_domain.model.notifications import NotificationEvent
from conman_domain.notifications import TemplateData
from conman_domain.usecases.job_shapes import new_job
from conman_domain.usecases.outbox import queue_mail

KEYS = {"CONMAN_JWT_SECRET": "j" * 40, "CONMAN_SECRETS_MASTER_KEY": "m" * 40}
WAIT_S = 20.0


def _wait(predicate: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_runner_follows_the_settings_and_knows_the_submit_gate(tmp_path: Path) -> None:
    settings = load_settings(
        {**KEYS, "CONMAN_JOB_CONCURRENCY": "7", "CONMAN_JOB_TIMEOUT_MSUITE_SUBMIT_S": "42"},
        cwd=tmp_path,
    )
    container = build_container(settings, backend="memory", git_backend="memory")
    runner = container.job_runner()
    assert runner._concurrency == 7
    assert runner._timeouts["msuite_submit"] == 42.0
    handled = set(container.job_handlers())
    assert {
        "msuite_submit",
        "release_assemble",
        "msuite_merge",
        "revalidate_queued_changeset",
    } <= handled
    assert "msuite_deploy" not in handled  # never enqueued in v1 (DOMAIN.md §17.1)
    assert container.job_runner() is not runner  # one runner per process that asks


def test_each_poll_drains_the_outbox_beats_and_fails_unknown_job_types(tmp_path: Path) -> None:
    settings = load_settings({**KEYS, "CONMAN_JOB_POLL_INTERVAL_MS": "20"}, cwd=tmp_path)
    container = build_container(settings, backend="memory", git_backend="memory")
    repos = container.repositories()
    mail = queue_mail(
        repos.notification_outbox,
        container.ids(),
        container.clock(),
        data=TemplateData(event_type=NotificationEvent.INVITE, app_name="shop"),
        to_email="someone@example.com",
        recipient_user_id=None,
        app_id=None,
    )
    assert mail is not None
    job = new_job(
        container.ids(), container.clock(), app_id=None, job_type=JobType.MSUITE_DEPLOY,
        entity_type=None, entity_id=None, payload={}, created_by=None,
    )  # fmt: skip
    container.job_queue().enqueue(job)
    runner = container.job_runner()
    runner.start()
    try:
        _wait(
            lambda: repos.notification_outbox.get(mail.id).state == OutboxState.SENT,
            "the mail to be sent",
        )
        _wait(lambda: container.job_queue().get(job.id).state == JobState.FAILED, "the job")
    finally:
        assert runner.stop(5)
    assert container.job_queue().get(job.id).error_message == "no worker for job type"
    assert list((tmp_path / "conman-data" / "mail").iterdir())
    assert container.heartbeats().latest() is not None
    depth = container.metrics().job_queue_depth.labels(type="msuite_deploy")._value.get()
    assert depth == 1.0  # the first beat runs before the first claim
