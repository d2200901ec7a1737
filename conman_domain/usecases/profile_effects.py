"""What a runtime-profile direct edit or revert causes besides the write: drift checks
for the affected environments and the ``runtime_profile_changed`` notification
(DOMAIN.md §15.9, §18.1); plus the audit payload of a content change (§19).

No secret value ever reaches a job payload, an audit event or a notification.
"""

from __future__ import annotations

from typing import Any

import msgspec

from conman_domain.model import App, Environment, JobType, NotificationEvent
from conman_domain.model.profiles import ChangeKind, ProfileKind, ProfileSnapshot, RuntimeProfile
from conman_domain.usecases.job_shapes import new_job
from conman_domain.usecases.notify import Subject, notify_members
from conman_domain.usecases.profile_shapes import ProfileDeps

__all__ = [
    "affected_environments",
    "audit_payload",
    "change_summary",
    "enqueue_drift_checks",
    "notify_changed",
]

_PLAIN_FIELDS = ("name", "base_url", "database", "migrations", "data_strategy", "lifecycle")


def affected_environments(deps: ProfileDeps, profile: RuntimeProfile) -> list[Environment]:
    """Every environment of the app for app_defaults; else the environments whose
    profile this is (at most one)."""
    where: dict[str, Any] = {"app_id": profile.app_id}
    if profile.kind is not ProfileKind.APP_DEFAULTS:
        where["runtime_profile_id"] = profile.id
    return deps.repos.environments.all(where, sort=(("position", 1),))


def enqueue_drift_checks(
    deps: ProfileDeps, profile: RuntimeProfile, envs: list[Environment], user_id: str | None
) -> list[str]:
    """One ``runtime_profile_drift_check`` job per environment; returns the job ids."""
    ids = []
    for env in envs:
        job = new_job(
            deps.ids,
            deps.clock,
            app_id=profile.app_id,
            job_type=JobType.RUNTIME_PROFILE_DRIFT_CHECK,
            entity_type="environment",
            entity_id=env.id,
            payload={
                "environment_id": env.id,
                "runtime_profile_id": profile.id,
                "profile_revision_id": profile.current_revision_id,
            },
            created_by=user_id,
        )
        deps.jobs.enqueue(job)
        if deps.on_enqueue is not None:
            deps.on_enqueue(str(job.job_type))
        ids.append(job.id)
    return ids


def notify_changed(
    deps: ProfileDeps, app: App, profile: RuntimeProfile, actor_user_id: str | None
) -> int:
    """Queue ``runtime_profile_changed`` for the config managers and app admins (never
    the actor); an emission error is logged and does not fail the request."""
    return notify_members(
        deps.repos,
        deps.ids,
        deps.clock,
        public_url=deps.identity.config.public_url,
        event=NotificationEvent.RUNTIME_PROFILE_CHANGED,
        app=app,
        subject=Subject(
            entity_id=profile.id,
            title=profile.name,
            path=f"runtime-profiles/{profile.id}",
            extras={"revision_number": str(profile.current_revision)},
        ),
        actor_user_id=actor_user_id,
    )


def change_summary(
    before: ProfileSnapshot, after: ProfileSnapshot
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Audit ``before``/``after`` of a content change: changed plain fields and env vars
    with their values (null = absent); secrets as key lists only."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for field in _PLAIN_FIELDS:
        a, b = getattr(before, field), getattr(after, field)
        if a != b:
            old[field], new[field] = msgspec.to_builtins(a), msgspec.to_builtins(b)
    env_old: dict[str, Any] = {}
    env_new: dict[str, Any] = {}
    for key in sorted(set(before.env_vars) | set(after.env_vars)):
        a_tv, b_tv = before.env_vars.get(key), after.env_vars.get(key)
        if a_tv != b_tv:
            env_old[key] = None if a_tv is None else msgspec.to_builtins(a_tv)
            env_new[key] = None if b_tv is None else msgspec.to_builtins(b_tv)
    if env_new:
        old["env_vars"], new["env_vars"] = env_old, env_new
    old["secret_keys"] = sorted(before.secrets)
    new["secret_keys"] = sorted(after.secrets)
    new["secrets_written"] = sorted(
        k for k in after.secrets if before.secrets.get(k) != after.secrets[k]
    )
    new["secrets_removed"] = sorted(set(before.secrets) - set(after.secrets))
    return old, new


def audit_payload(
    before: ProfileSnapshot, saved: RuntimeProfile, kind: ChangeKind, reverted_to: int | None
) -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """``before``/``after`` of the ``runtime_profile.<kind>`` event; a rotation lists the
    keys only (values are unchanged)."""
    number = saved.current_revision
    if kind is ChangeKind.KEY_ROTATED:
        return None, {"keys": sorted(saved.secrets), "revision_number": number}
    old, new = change_summary(before, saved.snapshot())
    new["revision_number"] = number
    if reverted_to is not None:
        new["reverted_to_revision"] = reverted_to
    return old, new
