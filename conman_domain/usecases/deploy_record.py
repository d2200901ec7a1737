"""Step 8 of ``deploy_release`` [record] (DOMAIN.md §14.4, §14.5, §14.6, §15.6, §15.9):
the ``release_overrides`` profile revision when R's overrides change the target profile,
the environment's applied state and fields, the drift acknowledgement, the deployment's
success, the release state (and, for a rollback, the replaced release → rolled_back),
then audit ``deployment.succeeded`` and the notification."""

from __future__ import annotations

from typing import Any

import msgspec

from conman_domain.errors import Conflict
from conman_domain.model import (
    App,
    Changeset,
    Deployment,
    DeploymentKind,
    DeploymentState,
    Environment,
    NotificationEvent,
    OverrideSnapshot,
    ProfileRevision,
    Release,
    ReleaseState,
    RuntimeProfile,
)
from conman_domain.model.environments import AppliedState
from conman_domain.model.profiles import ChangeKind, SecretRecord
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.secrets import SecretAad
from conman_domain.rules.resolution import resolve_profile
from conman_domain.states.deployment import set_deployment_state
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.changeset_deps import CAS_RETRIES
from conman_domain.usecases.deployment_shapes import (
    DEPLOYABLE,
    DeploymentDeps,
    notify_deployment,
    save_deployment,
)
from conman_domain.usecases.drift import DriftService
from conman_domain.usecases.profile_input import assign_content, secret_times
from conman_domain.usecases.release_gate import overrides_of
from conman_domain.usecases.release_outcomes import job_actor
from conman_domain.usecases.release_shapes import members_of, save_release

__all__ = ["RecordDeployment", "release_overrides"]


def release_overrides(
    deps: DeploymentDeps, release: Release, environment_id: str
) -> list[OverrideSnapshot]:
    """R's changeset overrides for the environment, in position order (D§15.3)."""
    ids = [m.changeset_id for m in members_of(deps, release.id)]
    if not ids:
        return []
    found = {c.id: c for c in deps.repos.changesets.all({"id": {"$in": ids}})}
    ordered: list[Changeset] = [found[i] for i in ids if i in found]
    return [o for o in overrides_of(deps, ordered) if o.target_environment_id == environment_id]


class RecordDeployment:
    """Record a deployment whose steps 1-7 succeeded."""

    def __init__(self, deps: DeploymentDeps, drift: DriftService) -> None:
        self._d = deps
        self._drift = drift

    def __call__(
        self,
        ctx: RunningJobPort,
        app: App,
        env: Environment,
        release: Release,
        deployment_id: str,
    ) -> Deployment:
        d = self._d
        actor = job_actor(ctx.job)
        profile = self._apply_overrides(app, env, release, actor)
        defaults = (
            None
            if app.defaults_profile_id is None
            else d.repos.runtime_profiles.find_one({"id": app.defaults_profile_id})
        )
        defaults_rev = None if defaults is None else defaults.current_revision_id
        desired = self._drift.state(app, env, release.id).report.desired
        now = d.clock.now()
        applied = AppliedState(
            deployment_id=deployment_id,
            release_id=release.id,
            profile_revision_id=profile.current_revision_id,
            defaults_revision_id=defaults_rev,
            migration_ids=list(desired.migration_ids),
            deployed_at=now,
        )
        if profile.current_revision_id is not None:
            self._drift.acknowledge(
                env, profile.current_revision_id, defaults_rev, deployment_id=deployment_id
            )
        for _ in range(CAS_RETRIES):
            current = d.repos.environments.get(env.id)
            current.applied_state = applied
            current.current_release_id = release.id
            current.current_deployment_id = deployment_id
            current.last_deployed_at = now
            try:
                d.repos.environments.save(current)
                break
            except Conflict:
                continue
        else:
            raise Conflict("the environment kept changing concurrently")

        def succeed(dep: Deployment) -> None:
            set_deployment_state(dep, DeploymentState.SUCCEEDED)
            dep.profile_revision_id = profile.current_revision_id
            dep.completed_at = now

        saved = save_deployment(d, deployment_id, succeed)
        self._release_state(app, release, actor)
        if saved.kind is DeploymentKind.ROLLBACK and saved.rollback_source_release_id:
            self._rolled_back(app, saved.rollback_source_release_id, release.id, actor)
        d.audit.record(
            actor, "deployment.succeeded", app_id=app.id, entity_id=saved.id,
            before={"state": DeploymentState.RUNNING},
            after={"state": saved.state, "environment_id": env.id, "release_id": release.id,
                   "profile_revision_id": saved.profile_revision_id},
            git_sha=release.published_sha,
        )  # fmt: skip
        title = f"{release.tag or release.id} to {env.name}"
        notify_deployment(
            d, NotificationEvent.DEPLOYMENT_SUCCEEDED, app, saved, actor.user_id, title
        )
        return saved

    # -- the profile -----------------------------------------------------------------

    def _apply_overrides(
        self, app: App, env: Environment, release: Release, actor: Actor
    ) -> RuntimeProfile:
        """A new ``release_overrides`` revision when R's overrides change the profile."""
        d = self._d
        profile = d.repos.runtime_profiles.get(env.runtime_profile_id)
        overrides = release_overrides(d, release, env.id)
        if not overrides:
            return profile
        before = profile.snapshot()
        merged = resolve_profile(None, (profile.id, before), overrides)
        secrets: dict[str, SecretRecord] = {}
        for key, sourced in merged.secrets.items():
            secrets[key] = self._own_record(app, profile, key, sourced.record, sourced.profile_id)
        content = msgspec.structs.replace(
            before,
            base_url=merged.base_url,
            env_vars=dict(merged.env_vars),
            secrets=secrets,
            database=merged.database,
            data_strategy=merged.data_strategy,
        )
        if content == before:
            return profile
        now = d.clock.now()
        number, revision_id = profile.current_revision + 1, d.ids.new_id()
        profile.secrets_updated_at = secret_times(profile, content, now)
        assign_content(profile, content)
        profile.current_revision, profile.current_revision_id = number, revision_id
        saved = d.repos.runtime_profiles.save(profile)
        d.repos.profile_revisions.insert(
            ProfileRevision(
                id=revision_id, created_at=now, app_id=app.id, runtime_profile_id=saved.id,
                revision_number=number, change_kind=ChangeKind.RELEASE_OVERRIDES,
                change_note=f"overrides of release {release.tag or release.id}",
                source_release_id=release.id, snapshot=saved.snapshot(),
                created_by=actor.user_id,
            )
        )  # fmt: skip
        d.audit.record(
            actor, "runtime_profile.updated", app_id=app.id, entity_id=saved.id,
            before={"revision_number": number - 1},
            after={"revision_number": number, "change_kind": ChangeKind.RELEASE_OVERRIDES,
                   "source_release_id": release.id},
        )  # fmt: skip
        return saved

    def _own_record(
        self, app: App, profile: RuntimeProfile, key: str, record: SecretRecord, source: str
    ) -> SecretRecord:
        """The record for ``profile``: its current one when the plaintext is unchanged,
        else the override's (re-encrypted when its AAD names another profile)."""
        cipher = self._d.cipher
        current = profile.secrets.get(key)
        if current is not None and current == record:
            return current
        plaintext = cipher.decrypt(record, SecretAad(app_id=app.id, profile_id=source, key=key))
        own = SecretAad(app_id=app.id, profile_id=profile.id, key=key)
        if current is not None and cipher.decrypt(current, own) == plaintext:
            return current
        return record if source == profile.id else cipher.encrypt(plaintext, own)

    # -- the releases ----------------------------------------------------------------

    def _release_state(self, app: App, release: Release, actor: Actor) -> None:
        """published → deployed_partial, or deployed_full once every current environment
        has a succeeded deployment of it (§14.5); rolled_back stays."""
        d = self._d
        envs = {e.id for e in d.repos.environments.all({"app_id": app.id})}
        done = d.repos.deployments.all(
            {"release_id": release.id, "state": DeploymentState.SUCCEEDED.value}
        )
        reached = {x.environment_id for x in done} & envs
        target = ReleaseState.DEPLOYED_FULL if reached >= envs else ReleaseState.DEPLOYED_PARTIAL

        def move(r: Release) -> None:
            if r.state in DEPLOYABLE:
                r.state = target

        # D§19.2 has no audit action for this system transition.
        save_release(d, release.id, move)

    def _rolled_back(self, app: App, source_id: str, replacement_id: str, actor: Actor) -> None:
        d = self._d
        before: dict[str, Any] = {}

        def roll(r: Release) -> None:
            before["state"] = r.state
            if r.state in DEPLOYABLE:
                r.state = ReleaseState.ROLLED_BACK

        saved = save_release(d, source_id, roll)
        if before.get("state") in DEPLOYABLE:
            d.audit.record(
                actor, "release.rolled_back", app_id=app.id, entity_id=saved.id,
                before=before, after={"state": saved.state, "replaced_by": replacement_id},
                git_sha=saved.published_sha,
            )  # fmt: skip
