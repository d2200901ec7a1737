"""Shortcuts for the temp env tests (no tests here): a recording fake database
provisioner, the temp env calls, and a job step that runs one temp env job's handler
in-process and records its outcome as the runner would."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dependency_injector import providers

from conman_domain.errors import ConmanError
from conman_domain.model import Job, JobType, TempEnvironment, User
from conman_domain.ports.dbprov import DatabaseProvisionerPort
from conman_domain.usecases.temp_env_jobs import TempEnvJobs
from tests.http.changeset_world import World
from tests.http.identity_harness import identity_env
from tests.http.release_world import Run, Verdict

__all__ = ["FakeProvisioner", "call", "env_of", "run_temp_job", "temp_world"]

RETRYABLE = {"git_error", "git_timeout", "service_unavailable"}


class FakeProvisioner(DatabaseProvisionerPort):
    """Keeps the databases it was asked to create; ``fail_with`` makes calls raise."""

    def __init__(self) -> None:
        self.databases: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, ...]] = []
        self.fail_with: list[ConmanError] = []

    def _maybe_fail(self) -> None:
        if self.fail_with:
            raise self.fail_with.pop(0)

    def create(self, server_uri: str, db_name: str, meta: dict[str, Any]) -> None:
        self.calls.append(("create", server_uri, db_name))
        self._maybe_fail()
        self.databases[db_name] = dict(meta)

    def clone_from(self, server_uri: str, source_uri: str, source_db: str, db_name: str) -> None:
        self.calls.append(("clone", server_uri, source_db, db_name))
        self._maybe_fail()
        self.databases[db_name] = {"cloned_from": source_db}

    def restore_snapshot(self, server_uri: str, snapshot_ref: str, db_name: str) -> None:
        self.calls.append(("restore", server_uri, snapshot_ref, db_name))
        self._maybe_fail()
        self.databases[db_name] = {"restored_from": snapshot_ref}

    def drop(self, server_uri: str, db_name: str) -> None:
        self.calls.append(("drop", server_uri, db_name))
        self._maybe_fail()
        self.databases.pop(db_name, None)


@contextmanager
def temp_world(tmp_path: Path, **env: str) -> Iterator[tuple[World, FakeProvisioner]]:
    """The changeset world with ``CONMAN_TEMP_DB_URI`` set and a fake provisioner."""
    provisioner = FakeProvisioner()
    # Tokens outlive the clock jumps of the expiry tests.
    values = {
        "CONMAN_TEMP_DB_URI": "mongodb://temp-db:27017",
        "CONMAN_JWT_EXPIRY_HOURS": "1000",
        **env,
    }
    with identity_env(tmp_path, **values) as ienv:
        ienv.container.temp_provisioner.override(providers.Object(provisioner))
        yield World(ienv), provisioner


def call(w: World, method: str, path: str = "", body: Any = None, user: User | None = None) -> Any:
    return w.call(method, user or w.author, f"/temp-envs{path}", body)


def env_of(w: World, temp_env_id: str) -> TempEnvironment:
    return w.repos.temp_environments.get(temp_env_id)


def run_temp_job(
    w: World, job_type: JobType, verdict: Verdict | None = None, runs: list[Run] | None = None
) -> tuple[Job, dict[str, Any] | ConmanError]:
    """Claim the next queued job of ``job_type`` and run its handler (a command's exit
    code is ``verdict(tree)``; the context is appended to ``runs``); a domain error is
    recorded as the runner would (retryable codes go back to the queue)."""
    jobs: TempEnvJobs = w.env.container.temp_env_jobs()
    handlers = jobs.handlers()
    w.env.clock.advance(minutes=10)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, [job_type.value])
    assert job is not None, f"no queued {job_type}"
    ctx = Run(job, verdict)
    if runs is not None:
        runs.append(ctx)
    try:
        result = handlers[job_type.value](ctx)
    except ConmanError as exc:
        retry = exc.code in RETRYABLE
        w.queue.fail(job.id, "w/1", exc.message, w.env.clock.now(), retry)
        return w.queue.get(job.id), exc
    w.queue.complete(job.id, "w/1", result, w.env.clock.now())
    return w.queue.get(job.id), result
