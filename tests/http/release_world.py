"""Shortcuts for the release tests: queued changesets with real commits on memory git,
the release calls, and a job step that runs one release job's handler in-process (with a
fake sandbox whose verdict is a function of the materialized tree)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec

from conman_domain.errors import ConmanError, GateFailed
from conman_domain.model import Changeset, ChangesetState, GateConfig, Job, JobType, User
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.runner import CommandEnv, CommandResult, Materializer
from conman_domain.usecases.release_services import ReleaseServices
from tests.http.changeset_world import World

__all__ = ["Run", "call_release", "queued", "run_job", "set_release_command"]

Verdict = Callable[[Path], int]


class Run(RunningJobPort):
    """A running job: log lines kept; a command's exit code is ``verdict(tree)``."""

    def __init__(self, job: Job, verdict: Verdict | None = None) -> None:
        self.job = job
        self.verdict = verdict or (lambda _tree: 0)
        self.lines: list[tuple[str, str]] = []
        self.envs: list[CommandEnv] = []

    def log(self, level: str, message: str, data: dict[str, Any] | None = None) -> None:
        self.lines.append((level, message))

    def should_stop(self) -> bool:
        return False

    def run_command(
        self, command: str, *, materialize: Materializer, env: CommandEnv, timeout_seconds: float
    ) -> CommandResult:
        tree = Path(tempfile.mkdtemp()) / "tree"
        materialize(tree)
        self.envs.append(env)
        return CommandResult(exit_code=self.verdict(tree), duration_ms=3)


def queued(
    w: World, path: str, content: bytes, owner: User | None = None, title: str | None = None
) -> Changeset:
    """A queued changeset whose head is one commit (``path``) on top of main."""
    who = owner or w.author
    branch = f"ws/{who.name}/{w.env.services.deps.ids.new_id()}"
    ws = w.new_workspace(who, branch)
    head = w.commit_branch(path, content, branch)
    others = w.repos.changesets.all({"app_id": w.app_id, "state": "queued"})
    position = 1 + max((c.queue_position or 0 for c in others), default=0)
    now = w.env.clock.now()
    return w.repos.changesets.insert(
        Changeset(
            id=w.env.services.deps.ids.new_id(), created_at=now, updated_at=now,
            app_id=w.app_id, workspace_id=ws.id, author_user_id=who.id, created_by=who.id,
            title=title or f"change {path}", state=ChangesetState.QUEUED,
            base_sha=w.integration_head(), head_sha=head, current_revision=1,
            queue_position=position, queued_at=now,
        )
    )  # fmt: skip


def call_release(
    w: World, method: str, path: str = "", body: Any = None, user: User | None = None
) -> Any:
    return w.call(method, user or w.cm, f"/releases{path}", body)


def set_release_command(w: World, command: str | None) -> None:
    """Set ``validation_gates.release.command`` (None: the built-in validator)."""
    app = w.app
    gates = msgspec.structs.replace(
        app.settings.validation_gates, release=GateConfig(command=command)
    )
    app.settings = msgspec.structs.replace(app.settings, validation_gates=gates)
    w.repos.apps.save(app)


def run_job(
    w: World, job_type: JobType, verdict: Verdict | None = None
) -> tuple[Job, dict[str, Any] | ConmanError]:
    """Claim the next queued job of ``job_type``, run its handler and record the outcome
    as the runner would (a domain error is a final failure keeping a gate's result)."""
    services: ReleaseServices = w.env.container.releases()
    handlers = {
        JobType.RELEASE_ASSEMBLE: services.assemble_job,
        JobType.MSUITE_MERGE: services.merge_job,
        JobType.REVALIDATE_QUEUED_CHANGESET: services.revalidate_job,
    }
    w.env.clock.advance(seconds=1)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, [job_type.value])
    assert job is not None, f"no queued {job_type}"
    ctx = Run(job, verdict)
    try:
        result = handlers[job_type](ctx)
    except ConmanError as exc:
        kept = exc.result if isinstance(exc, GateFailed) else None
        w.queue.fail(job.id, "w/1", exc.message, w.env.clock.now(), False, result=kept)
        return w.queue.get(job.id), exc
    w.queue.complete(job.id, "w/1", result, w.env.clock.now())
    return w.queue.get(job.id), result
