"""Shortcuts for the deployment tests (no tests here): published releases on memory git,
the environment and deployment calls, approval tokens, and a job step that runs one
``deploy_release`` in-process and records its outcome as the runner would."""

from __future__ import annotations

from typing import Any

import msgspec

from conman_domain.errors import ConmanError, GateFailed
from conman_domain.model import GateConfig, Job, JobState, JobType, User
from conman_domain.usecases.deployment_services import DeploymentServices
from tests.http.changeset_world import World
from tests.http.release_world import Run, Verdict, call_release, queued, run_job

__all__ = [
    "StoppingRun",
    "approval",
    "deploy",
    "env_ids",
    "published",
    "run_deploy",
    "set_deploy_command",
]


class StoppingRun(Run):
    """A running job whose cancel was requested."""

    def should_stop(self) -> bool:
        return True


def published(w: World, path: str, content: bytes = b"{}") -> dict[str, Any]:
    """A published release with one queued changeset writing ``path``."""
    cs = queued(w, path, content)
    created = call_release(w, "POST", "", {"changeset_ids": [cs.id]})
    assert created.status_code == 201, created.text
    release_id = created.json()["data"]["id"]
    assert call_release(w, "POST", f"/{release_id}/assemble").status_code == 202
    for job_type in (JobType.RELEASE_ASSEMBLE, JobType.MSUITE_MERGE):
        job, result = run_job(w, job_type)
        assert job.state == JobState.SUCCEEDED, result
    response = call_release(w, "POST", f"/{release_id}/publish")
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def env_ids(w: World) -> list[str]:
    """Development, QA, UAT, Production."""
    return [e.id for e in w.environments()]


def deploy(
    w: World,
    env_id: str,
    action: str,
    body: dict[str, Any],
    user: User | None = None,
) -> Any:
    return w.call("POST", user or w.cm, f"/environments/{env_id}/{action}", body)


def approval(w: World, user: User, env_id: str, release_id: str, skip_stage: bool = True) -> str:
    response = deploy(
        w, env_id, "approvals", {"release_id": release_id, "skip_stage": skip_stage}, user
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["data"]["approval_token"]
    return token


def set_deploy_command(w: World, command: str | None, gate: str | None = None) -> None:
    """Set ``deploy_command`` and the deploy gate command (None: none / built-in)."""
    app = w.app
    gates = msgspec.structs.replace(app.settings.validation_gates, deploy=GateConfig(command=gate))
    app.settings = msgspec.structs.replace(
        app.settings, validation_gates=gates, deploy_command=GateConfig(command=command)
    )
    w.repos.apps.save(app)


def run_deploy(
    w: World, verdict: Verdict | None = None, *, stopping: bool = False
) -> tuple[Job, dict[str, Any] | ConmanError, Run]:
    """Claim the next queued deploy_release, run it and record the outcome."""
    services: DeploymentServices = w.env.container.deployments()
    w.env.clock.advance(seconds=1)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, [JobType.DEPLOY_RELEASE.value])
    assert job is not None, "no queued deploy_release"
    if stopping:
        w.queue.cancel(job.id, w.env.clock.now())  # running → cancel_requested
    ctx = StoppingRun(job, verdict) if stopping else Run(job, verdict)
    try:
        result = services.deploy_job(ctx)
    except ConmanError as exc:
        kept = exc.result if isinstance(exc, GateFailed) else None
        w.queue.fail(job.id, "w/1", exc.message, w.env.clock.now(), False, result=kept)
        return w.queue.get(job.id), exc, ctx
    if stopping:
        w.queue.finish_canceled(job.id, "w/1", w.env.clock.now())
    else:
        w.queue.complete(job.id, "w/1", result, w.env.clock.now())
    return w.queue.get(job.id), result, ctx
