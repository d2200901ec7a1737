"""Runtime-profile drift: the report, the drift gate and check requests (DOMAIN.md §15.9;
API.md §2 DriftReport, §12).

The deploy path (deploy, promote, rollback) calls ``DriftService.ensure_not_blocking``
and, on ``DriftDetected``, ``notify_blocked`` plus ``enqueue_check``. A succeeded
deployment records its acknowledgement with ``acknowledge``. Nothing here ever returns,
logs or audits a secret value.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import msgspec

from conman_domain.errors import Conflict, DriftDetected, NotFound
from conman_domain.model import (
    App,
    DriftAcknowledgement,
    Environment,
    Job,
    JobState,
    JobType,
    MigrationExecution,
    Release,
)
from conman_domain.model.environments import MigrationStatus
from conman_domain.model.profiles import ProfileRevision, ProfileSnapshot, RuntimeProfile
from conman_domain.ports.repos import EntityRepoPort, MutableRepoPort
from conman_domain.rbac import Capability, check
from conman_domain.rules.resolution import ResolvedProfile, resolve_profile
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.changeset_deps import Caller
from conman_domain.usecases.drift_report import (
    AppliedView,
    DesiredView,
    DriftCategories,
    DriftReportView,
    compare_resolved,
    migration_drift,
    migrations_enabled,
    secret_decrypter,
    tree_migration_ids,
)
from conman_domain.usecases.job_shapes import new_job
from conman_domain.usecases.release_shapes import ReleaseDeps, ReleaseRepos

__all__ = ["DriftDeps", "DriftRepos", "DriftService", "DriftState"]

_ACTIVE = [JobState.QUEUED.value, JobState.RUNNING.value]


class DriftRepos(ReleaseRepos, Protocol):
    """The release repositories plus revisions, acknowledgements and migration runs."""

    @property
    def profile_revisions(self) -> EntityRepoPort[ProfileRevision]: ...
    @property
    def drift_acknowledgements(self) -> EntityRepoPort[DriftAcknowledgement]: ...
    @property
    def migration_executions(self) -> MutableRepoPort[MigrationExecution]: ...


class DriftDeps(ReleaseDeps):
    """``ReleaseDeps`` whose repositories also hold the drift collections (same ctor)."""

    repos: DriftRepos


class DriftState(msgspec.Struct, frozen=True, kw_only=True):
    """The report plus the resolved desired state D (kept in memory for the check and
    the drift-fix changeset; it holds secret records, never plaintext)."""

    report: DriftReportView
    desired: ResolvedProfile
    profile: RuntimeProfile


class DriftService:
    """Drift report, gate and checks for one app's environments (callers have checked
    membership and role)."""

    def __init__(self, deps: DriftDeps) -> None:
        self._d = deps
        self._enqueue_lock = threading.Lock()

    # -- the report ---------------------------------------------------------------

    def report(self, app: App, environment: Environment, release_id: str | None) -> DriftReportView:
        """The DriftReport of ``environment`` (API.md §2). ``release_id`` names the release
        whose tree gives the desired migration ids (None = the environment's current
        release); an unknown release → ``NotFound``. Never deployed → not drifted."""
        return self.state(app, environment, release_id).report

    def state(self, app: App, environment: Environment, release_id: str | None) -> DriftState:
        """``report`` plus the resolved desired state D."""
        d = self._d
        profile = self._profile(app, environment.runtime_profile_id)
        defaults = self._defaults(app)
        desired = resolve_profile(
            None if defaults is None else (defaults.id, defaults.snapshot()),
            (profile.id, profile.snapshot()),
        )
        release_id = release_id if release_id is not None else environment.current_release_id
        release = None if release_id is None else self._release(app, release_id)
        desired_ids = self._migration_ids(app, desired, release)
        defaults_rev = None if defaults is None else defaults.current_revision_id
        ack = self._acknowledged(environment, profile.current_revision_id, defaults_rev)
        applied_view: AppliedView | None = None
        categories = DriftCategories()
        a = environment.applied_state
        if a is not None:
            applied_rev = self._revision(app, a.profile_revision_id)
            applied_defaults = self._revision(app, a.defaults_revision_id)
            applied = resolve_profile(
                None
                if applied_defaults is None
                else (applied_defaults.runtime_profile_id, applied_defaults.snapshot),
                (profile.id, ProfileSnapshot(name=profile.name))
                if applied_rev is None
                else (applied_rev.runtime_profile_id, applied_rev.snapshot),
            )
            categories = compare_resolved(applied, desired, secret_decrypter(d.cipher, app.id))
            applied_ids = self._applied_migrations(environment) | set(a.migration_ids)
            if migrations_enabled(desired):
                categories.migrations = migration_drift(desired_ids, applied_ids)
            number = None if applied_rev is None else applied_rev.revision_number
            applied_view = AppliedView.of(a, number)
        drifted = categories.any()
        report = DriftReportView(
            environment_id=environment.id,
            profile_id=profile.id,
            release_id=release_id,
            checked_at=d.clock.now(),
            applied=applied_view,
            desired=DesiredView(
                release_id=release_id,
                profile_revision_id=profile.current_revision_id,
                profile_revision_number=profile.current_revision,
                defaults_revision_id=defaults_rev,
                migration_ids=desired_ids,
            ),
            drifted=drifted,
            acknowledged=ack,
            blocking=drifted and not ack,
            categories=categories,
        )
        return DriftState(report=report, desired=desired, profile=profile)

    # -- the gate -----------------------------------------------------------------

    def ensure_not_blocking(self, app: App, environment: Environment, release: Release) -> None:
        """The drift gate of deploy, promote and rollback to ``environment`` with
        ``release``: raises ``DriftDetected`` (409, details ``{"drift": DriftReport}`` as
        JSON builtins) when the report is blocking; returns None otherwise."""
        report = self.report(app, environment, release.id)
        if report.blocking:
            raise DriftDetected(
                f"runtime profile drift on environment {environment.name}",
                {"drift": msgspec.to_builtins(report)},
            )

    def acknowledge(
        self,
        environment: Environment,
        profile_revision_id: str,
        defaults_revision_id: str | None,
        *,
        job_id: str | None = None,
        deployment_id: str | None = None,
    ) -> bool:
        """Store the acknowledgement of (environment, revisions); False when one already
        exists (the unique key of DOMAIN.md §20), True when this call stored it."""
        d = self._d
        now = d.clock.now()
        ack = DriftAcknowledgement(
            id=d.ids.new_id(),
            created_at=now,
            app_id=environment.app_id,
            environment_id=environment.id,
            profile_revision_id=profile_revision_id,
            defaults_revision_id=defaults_revision_id or "",
            job_id=job_id,
            deployment_id=deployment_id,
            acknowledged_at=now,
        )
        try:
            d.repos.drift_acknowledgements.insert(ack)
        except Conflict:
            return False
        return True

    # -- checks -------------------------------------------------------------------

    def enqueue_check(self, app: App, environment: Environment, created_by: str | None) -> Job:
        """A ``runtime_profile_drift_check`` job for ``environment`` (payload
        ``{environment_id, runtime_profile_id, profile_revision_id}``). A queued or running
        check of the same environment is returned instead of a new one."""
        d = self._d
        with self._enqueue_lock:
            found = d.jobs.list(
                {
                    "job_type": JobType.RUNTIME_PROFILE_DRIFT_CHECK.value,
                    "entity_type": "environment",
                    "entity_id": environment.id,
                    "state": {"$in": _ACTIVE},
                },
                limit=1,
            )
            if found.items:
                return found.items[0]
            profile = self._profile(app, environment.runtime_profile_id)
            job = new_job(
                d.ids,
                d.clock,
                app_id=app.id,
                job_type=JobType.RUNTIME_PROFILE_DRIFT_CHECK,
                entity_type="environment",
                entity_id=environment.id,
                payload={
                    "environment_id": environment.id,
                    "runtime_profile_id": profile.id,
                    "profile_revision_id": profile.current_revision_id,
                },
                created_by=created_by,
            )
            stored = d.jobs.enqueue(job)
        if d.on_enqueue is not None:
            d.on_enqueue(JobType.RUNTIME_PROFILE_DRIFT_CHECK.value)
        return stored

    def request_check(self, caller: Caller, environment: Environment) -> Job:
        """POST drift/check: ``enqueue_check`` for a CM+ caller (else ``Forbidden``)."""
        check(Capability.DRIFT_CHECK, caller.role)
        return self.enqueue_check(caller.app, environment, caller.user_id)

    # -- loading ------------------------------------------------------------------

    def environment(self, app: App, environment_id: str) -> Environment:
        """The environment of ``app``; ``NotFound`` otherwise."""
        found = self._d.repos.environments.find_one({"id": environment_id, "app_id": app.id})
        if found is None:
            raise NotFound("environment", environment_id)
        return found

    def _profile(self, app: App, profile_id: str) -> RuntimeProfile:
        found = self._d.repos.runtime_profiles.find_one({"id": profile_id, "app_id": app.id})
        if found is None:
            raise NotFound("runtime profile", profile_id)
        return found

    def _defaults(self, app: App) -> RuntimeProfile | None:
        if app.defaults_profile_id is None:
            return None
        return self._d.repos.runtime_profiles.find_one(
            {"id": app.defaults_profile_id, "app_id": app.id}
        )

    def _release(self, app: App, release_id: str) -> Release:
        found = self._d.repos.releases.find_one({"id": release_id, "app_id": app.id})
        if found is None:
            raise NotFound("release", release_id)
        return found

    def _revision(self, app: App, revision_id: str | None) -> ProfileRevision | None:
        if revision_id is None:
            return None
        return self._d.repos.profile_revisions.find_one({"id": revision_id, "app_id": app.id})

    def _acknowledged(
        self, environment: Environment, profile_rev: str | None, defaults_rev: str | None
    ) -> bool:
        if profile_rev is None:
            return False
        where: dict[str, Any] = {
            "environment_id": environment.id,
            "profile_revision_id": profile_rev,
            "defaults_revision_id": defaults_rev or "",
        }
        return self._d.repos.drift_acknowledgements.count(where) > 0

    def _applied_migrations(self, environment: Environment) -> set[str]:
        applied: set[str] = set()
        for run in self._d.repos.migration_executions.all({"environment_id": environment.id}):
            applied.update(
                m.id for m in run.applied_migrations if m.status is MigrationStatus.SUCCEEDED
            )
        return applied

    def _migration_ids(
        self, app: App, resolved: ResolvedProfile, release: Release | None
    ) -> list[str]:
        sha = None if release is None else (release.published_sha or release.composed_sha)
        if sha is None or not migrations_enabled(resolved):
            return []
        return tree_migration_ids(self._d.git, repo_ref(app), sha, resolved.migrations.repo_paths)
