"""``JobsService`` details the HTTP tests do not reach: cancel effects and the CLI role."""

from __future__ import annotations

from pathlib import Path

from conman_adapters.config import load_settings
from conman_adapters.container import build_container
from conman_domain.model import Job, JobState, JobType
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.job_shapes import new_job
from conman_domain.usecases.jobs import JobsService

KEYS = {"CONMAN_JWT_SECRET": "j" * 40, "CONMAN_SECRETS_MASTER_KEY": "m" * 40}


def test_cancel_effects_run_for_jobs_canceled_at_once_only(tmp_path: Path) -> None:
    container = build_container(
        load_settings(KEYS, cwd=tmp_path), backend="memory", git_backend="memory"
    )
    repos = container.repositories()
    seen: list[Job] = []
    service = JobsService(
        queue=repos.jobs,
        changesets=repos.changesets,
        audit=container.audit_trail(),
        clock=container.clock(),
        ids=container.ids(),
        cancel_effects={"release_assemble": seen.append},
    )

    def enqueue(state: JobState) -> Job:
        job = new_job(
            container.ids(), container.clock(), app_id="a" * 24,
            job_type=JobType.RELEASE_ASSEMBLE, entity_type="release", entity_id="r" * 24,
            payload={}, created_by=None,
        )  # fmt: skip
        job.state = state
        return repos.jobs.enqueue(job)

    queued, running = enqueue(JobState.QUEUED), enqueue(JobState.RUNNING)
    system = Actor()
    assert service.cancel("a" * 24, queued.id, system, None).state == JobState.CANCELED
    assert service.cancel(None, running.id, system, None).cancel_requested
    assert [job.id for job in seen] == [queued.id]
    assert [j.state for j in seen] == [JobState.CANCELED]
