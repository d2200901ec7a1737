"""What a runtime-profile direct edit or revert causes besides the write: drift checks
for the affected environments and the ``runtime_profile_changed`` notification
(DOMAIN.md §15.9, §18.1); plus the audit payload of a content change (§19).

No secret value ever reaches a job payload, an audit event or a notification.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from conman_domain.errors import ConmanError
from conman_domain.model import App, Environment, JobType, NotificationEvent, Role
from conman_domain.model.profiles import ChangeKind, ProfileKind, ProfileSnapshot, RuntimeProfile
from conman_domain.notifications import (
    MemberRef,
    TemplateData,
    audience_user_ids,
    filter_recipients,
)
from conman_domain.usecases.job_shapes import new_job
from conman_domain.usecases.outbox import queue_mail
from conman_domain.usecases.profile_shapes import ProfileDeps

__all__ = [
    "affected_environments",
    "audit_payload",
    "change_summary",
    "enqueue_drift_checks",
    "notify_changed",
]

_log = logging.getLogger("conman.notifications")
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
    try:
        return _emit(deps, app, profile, actor_user_id)
    except ConmanError as exc:
        _log.error("could not emit runtime_profile_changed for %s: %s", profile.id, exc.message)
        return 0


def _emit(deps: ProfileDeps, app: App, profile: RuntimeProfile, actor_user_id: str | None) -> int:
    event = NotificationEvent.RUNTIME_PROFILE_CHANGED
    repos = deps.repos
    members = [
        MemberRef(user_id=m.user_id, role=Role(m.role))
        for m in repos.memberships.all({"app_id": app.id}, sort=(("created_at", 1),))
    ]
    candidates = audience_user_ids(event, members)
    if not candidates:
        return 0
    prefs = repos.notification_preferences.all({"user_id": {"$in": candidates}})
    recipients = filter_recipients(
        event,
        candidates,
        actor_user_id=actor_user_id,
        email_enabled={p.user_id: p.email_enabled for p in prefs},
    )
    if not recipients:
        return 0
    actor = None if actor_user_id is None else repos.users.find_one({"id": actor_user_id})
    public_url = deps.identity.config.public_url.rstrip("/")
    data = TemplateData(
        event_type=event,
        app_name=app.name,
        entity_id=profile.id,
        entity_title=profile.name,
        actor_name="" if actor is None else actor.name,
        link_url=f"{public_url}/apps/{app.id}/runtime-profiles/{profile.id}",
        extras={"revision_number": str(profile.current_revision)},
    )
    users = {u.id: u for u in repos.users.all({"id": {"$in": sorted(set(recipients))}})}
    queued = 0
    for user_id in recipients:
        user = users.get(user_id)
        if user is None:
            continue
        doc = queue_mail(
            repos.notification_outbox,
            deps.ids,
            deps.clock,
            data=data,
            to_email=user.email,
            recipient_user_id=user_id,
            app_id=app.id,
        )
        queued += doc is not None
    return queued


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
