"""The submit gate: the ``msuite_submit`` job handler (DOMAIN.md §9.3 step 7, §11, §17).

The handler validates the head of one changeset revision: the app's
``validation_gates.submit`` command runs in the sandbox on the materialized tree with
the submit-gate profile, or the built-in validator runs when the command is null. The
result ``{passed, runner, checks, failures, duration_ms, exit_code?}`` is the job's
result; a failed gate raises ``GateFailed`` (a final failure that keeps the result).
The handler only reads, so running it again after a crash is harmless.
"""

from __future__ import annotations

from typing import Any, Protocol

import msgspec

from conman_domain.errors import Conflict, FieldError, GateFailed, NotFound, Validation
from conman_domain.model import (
    App,
    Changeset,
    ChangesetRevision,
    Environment,
    GateConfig,
    RuntimeProfile,
    TempEnvironment,
)
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.git import GitPort
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.repos import EntityRepoPort, MutableRepoPort
from conman_domain.ports.runner import CommandMetadata
from conman_domain.ports.secrets import CipherPort
from conman_domain.rules.resolution import ResolvedProfile, resolve_profile
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.validate import (
    command_env,
    command_validation_result,
    read_structured_files,
)
from conman_domain.validator import ValidationResult, run_builtin_validator

__all__ = ["GateRepos", "SubmitGate", "SubmitPayload", "failure_summary"]

_SHOWN_FAILURES = 3


class GateRepos(Protocol):
    """The repositories the gates read (``Repositories`` fits)."""

    @property
    def apps(self) -> MutableRepoPort[App]: ...
    @property
    def changesets(self) -> MutableRepoPort[Changeset]: ...
    @property
    def changeset_revisions(self) -> EntityRepoPort[ChangesetRevision]: ...
    @property
    def environments(self) -> MutableRepoPort[Environment]: ...
    @property
    def runtime_profiles(self) -> MutableRepoPort[RuntimeProfile]: ...
    @property
    def temp_environments(self) -> MutableRepoPort[TempEnvironment]: ...


class SubmitPayload(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The payload of ``msuite_submit`` (DOMAIN.md §9.3 step 7)."""

    changeset_id: str
    revision_number: int
    head_sha: str
    base_sha: str


def failure_summary(gate: str, result: ValidationResult) -> str:
    """``<gate> gate failed: <path> line <n>: <message>; ...`` (the first few failures)."""
    parts = []
    for failure in result.failures[:_SHOWN_FAILURES]:
        where = failure.path or "command"
        if failure.line is not None:
            where = f"{where} line {failure.line}"
        parts.append(f"{where}: {failure.message}")
    more = len(result.failures) - _SHOWN_FAILURES
    if more > 0:
        parts.append(f"and {more} more")
    return f"{gate} gate failed: " + "; ".join(parts or ["no failure reported"])


class SubmitGate:
    """``msuite_submit``: validate the head of a changeset revision (DOMAIN.md §11.1)."""

    def __init__(
        self, repos: GateRepos, git: GitPort, cipher: CipherPort, clock: ClockPort
    ) -> None:
        self._repos = repos
        self._git = git
        self._cipher = cipher
        self._clock = clock

    def __call__(self, ctx: RunningJobPort) -> dict[str, Any]:
        """Run the gate. Unknown changeset or revision → ``NotFound``; a superseded
        revision or a head that is not the revision's → ``Conflict``; a failed gate →
        ``GateFailed`` (all final). Git and store outages propagate (retried)."""
        job = ctx.job
        try:
            payload = msgspec.convert(job.payload, SubmitPayload)
        except msgspec.ValidationError as exc:
            problem = [FieldError("payload", str(exc))]
            raise Validation(f"msuite_submit payload: {exc}", problem) from exc
        app = self._repos.apps.find_one({"id": job.app_id or ""})
        if app is None:
            raise NotFound("app", job.app_id or "")
        changeset = self._repos.changesets.find_one({"id": payload.changeset_id, "app_id": app.id})
        if changeset is None:
            raise NotFound("changeset", payload.changeset_id)
        if changeset.current_revision != payload.revision_number:
            raise Conflict(
                f"changeset {changeset.id} is at revision {changeset.current_revision}, "
                f"not {payload.revision_number}"
            )
        revision = self._repos.changeset_revisions.find_one(
            {"changeset_id": changeset.id, "revision_number": payload.revision_number}
        )
        if revision is None:
            raise NotFound("changeset revision", f"{changeset.id}/{payload.revision_number}")
        if revision.head_sha != payload.head_sha:
            raise Conflict(f"revision {revision.revision_number} head is {revision.head_sha}")
        gate = app.settings.validation_gates.submit
        ctx.log(
            "info",
            f"submit gate for changeset {changeset.id} revision {revision.revision_number} "
            f"at {payload.head_sha}",
            {"runner": "builtin" if gate.command is None else "command"},
        )
        if gate.command is None:
            files = read_structured_files(self._git, repo_ref(app), payload.head_sha)
            result = run_builtin_validator(files, self._clock.monotonic)
        else:
            result = self._run_command(ctx, app, changeset, revision, gate=gate)
        return self._conclude(ctx, result)

    def _run_command(
        self,
        ctx: RunningJobPort,
        app: App,
        changeset: Changeset,
        revision: ChangesetRevision,
        *,
        gate: GateConfig,
    ) -> ValidationResult:
        resolved = self.submit_profile(app, changeset, revision)
        metadata = CommandMetadata(
            app_id=app.id,
            entity_type="changeset",
            entity_id=changeset.id,
            commit_sha=revision.head_sha,
            gate="submit",
        )
        env = command_env(resolved, self._cipher, app_id=app.id, metadata=metadata)
        repo, sha = repo_ref(app), revision.head_sha
        run = ctx.run_command(
            gate.command or "",
            materialize=lambda dest: self._git.materialize(repo, sha, dest),
            env=env,
            timeout_seconds=float(gate.timeout_seconds),
        )
        return command_validation_result(run)

    def _conclude(self, ctx: RunningJobPort, result: ValidationResult) -> dict[str, Any]:
        for failure in result.failures:
            line = "" if failure.line is None else f" line {failure.line}"
            ctx.log(
                "error",
                f"{failure.path or 'command'}{line}: {failure.message}",
                msgspec.to_builtins(failure),
            )
        data: dict[str, Any] = msgspec.to_builtins(result)
        if not result.passed:
            raise GateFailed(failure_summary("submit", result), data)
        ctx.log("info", f"submit gate passed ({result.checks} checks, {result.runner})")
        return data

    # -- the submit-gate profile (DOMAIN.md §11.1, §15.3) -------------------------------

    def submit_profile(
        self, app: App, changeset: Changeset, revision: ChangesetRevision
    ) -> ResolvedProfile:
        """The changeset's live temp env profile over app defaults; without one, app
        defaults → the default temp base profile (else the position-0 environment's) →
        the revision's overrides for that profile's environment."""
        profiles = self._repos.runtime_profiles
        defaults = None
        if app.defaults_profile_id is not None:
            found = profiles.find_one({"id": app.defaults_profile_id, "app_id": app.id})
            defaults = None if found is None else (found.id, found.snapshot())
        temp = self._repos.temp_environments.find_one(
            {"app_id": app.id, "changeset_id": changeset.id, "live": True}
        )
        if temp is not None and temp.runtime_profile_id is not None:
            profile = profiles.find_one({"id": temp.runtime_profile_id, "app_id": app.id})
            if profile is not None:
                return resolve_profile(defaults, (profile.id, profile.snapshot()))
        base = self._base_profile(app)
        overrides = [
            o
            for o in revision.profile_overrides_snapshot
            if base.environment_id is not None and o.target_environment_id == base.environment_id
        ]
        return resolve_profile(defaults, (base.id, base.snapshot()), overrides)

    def _base_profile(self, app: App) -> RuntimeProfile:
        profiles = self._repos.runtime_profiles
        profile_id = app.settings.default_temp_base_profile_id
        if profile_id is None:
            first = self._repos.environments.find_one({"app_id": app.id, "position": 0})
            if first is None:
                raise NotFound("environment", "position 0")
            profile_id = first.runtime_profile_id
        profile = profiles.find_one({"id": profile_id, "app_id": app.id})
        if profile is None:
            raise NotFound("runtime profile", profile_id)
        return profile
