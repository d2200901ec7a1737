"""The deploy gate (DOMAIN.md §11.1, §11.4, §17.9): the built-in validator on the release
commit, or ``validation_gates.deploy.command`` once, for the target environment resolved
with the release's overrides (``CONMAN_GATE=deploy``). A failure raises ``GateFailed``
with the result, which the job runner keeps on the failed job."""

from __future__ import annotations

from typing import Any

import msgspec

from conman_domain.errors import GateFailed
from conman_domain.model import App, Environment
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.runner import CommandMetadata
from conman_domain.rules.resolution import ResolvedProfile
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.deployment_shapes import DeploymentDeps
from conman_domain.usecases.gates import failure_summary
from conman_domain.usecases.validate import (
    command_env,
    command_validation_result,
    read_structured_files,
)
from conman_domain.validator import ValidationResult, run_builtin_validator

__all__ = ["deploy_metadata", "run_deploy_gate"]


def deploy_metadata(app: App, sha: str, deployment_id: str, *, gate: bool) -> CommandMetadata:
    """The ``CONMAN_*`` variables of a deploy-job command (the gate sets ``deploy``)."""
    return CommandMetadata(
        app_id=app.id,
        entity_type="deployment",
        entity_id=deployment_id,
        commit_sha=sha,
        gate="deploy" if gate else "",
    )


def run_deploy_gate(  # noqa: PLR0917
    deps: DeploymentDeps,
    ctx: RunningJobPort,
    app: App,
    env: Environment,
    sha: str,
    resolved: ResolvedProfile,
    deployment_id: str,
) -> dict[str, Any]:
    """Run the deploy gate on ``sha``; the result as plain data, or ``GateFailed``."""
    gate = app.settings.validation_gates.deploy
    repo = repo_ref(app)
    result: ValidationResult
    if gate.command is None:
        ctx.log("info", f"deploy gate (builtin) on {sha}")
        files = read_structured_files(deps.git, repo, sha)
        result = run_builtin_validator(files, deps.clock.monotonic)
    else:
        ctx.log("info", f"deploy gate for environment {env.name} on {sha}")
        metadata = deploy_metadata(app, sha, deployment_id, gate=True)
        outcome = ctx.run_command(
            gate.command,
            materialize=lambda dest: deps.git.materialize(repo, sha, dest),
            env=command_env(resolved, deps.cipher, app_id=app.id, metadata=metadata),
            timeout_seconds=float(gate.timeout_seconds),
        )
        result = command_validation_result(outcome)
    data: dict[str, Any] = msgspec.to_builtins(result)
    if not result.passed:
        raise GateFailed(failure_summary("deploy", result), data)
    return data
