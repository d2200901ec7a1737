"""``DeploymentServices``: the deployment use cases, the ``deploy_release`` handler, the
cancel effect and the recovery of lost deployments over one ``DeploymentDeps`` (built
once per process by the container)."""

from __future__ import annotations

from collections.abc import Callable

from conman_domain.model import Deployment, DeploymentState, Job, JobState, JobType
from conman_domain.states.deployment import set_deployment_state
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.deploy_job import DeployRelease
from conman_domain.usecases.deployment_shapes import DeploymentDeps, save_deployment
from conman_domain.usecases.deployments import DeploymentService
from conman_domain.usecases.drift import DriftService
from conman_domain.usecases.release_publish import PublishRelease
from conman_domain.usecases.rollback import Rollback

__all__ = ["DeploymentServices"]

_ENDED = {JobState.FAILED, JobState.CANCELED, JobState.SUCCEEDED}


class DeploymentServices:
    """``drift`` is the process's drift service (shared so that its check de-duplication
    covers every caller); a private one is built without it."""

    def __init__(self, deps: DeploymentDeps, drift: DriftService | None = None) -> None:
        self.deps = deps
        shared = drift or DriftService(deps)
        self.deployments = DeploymentService(deps, shared)
        self.approvals = self.deployments.approvals
        self.rollback = Rollback(deps, self.deployments, PublishRelease(deps))
        self.deploy_job = DeployRelease(deps, shared)

    def cancel_effects(self) -> dict[str, Callable[[Job], None]]:
        """§17.5: canceling a queued deploy_release job cancels its pending deployment."""
        return {JobType.DEPLOY_RELEASE.value: self.deployments.cancel_effect}

    def recover(self) -> int:
        """A running deployment whose job ended without recording it (a lost worker:
        max_attempts is 1, so the expired lease failed the job) → failed "worker lost".
        Returns the number of deployments failed."""
        d = self.deps
        failed = 0
        for deployment in d.repos.deployments.all({"state": DeploymentState.RUNNING.value}):
            if deployment.job_id is None:
                continue
            job = d.jobs.get(deployment.job_id)
            if job.state not in _ENDED:
                continue

            def fail(dep: Deployment, job: Job = job) -> None:
                if dep.state is not DeploymentState.RUNNING:
                    return
                set_deployment_state(dep, DeploymentState.FAILED)
                dep.error_message = "worker lost"
                dep.completed_at = job.completed_at or d.clock.now()

            saved = save_deployment(d, deployment.id, fail)
            if saved.state is DeploymentState.FAILED:
                d.audit.record(
                    Actor(user_id=None),
                    "deployment.failed",
                    app_id=saved.app_id,
                    entity_id=saved.id,
                    before={"state": DeploymentState.RUNNING},
                    after={"state": saved.state, "error_message": "worker lost"},
                )
                failed += 1
        return failed
