"""Every index of DOMAIN.md §20, as data (one ``IndexSpec`` per index).

TTL indexes are native on MongoDB; SQLite and memory apply them with
``DocumentStore.purge_expired``, called by the job runner's poll hook at most every
``CONMAN_TEMP_ENV_SWEEP_INTERVAL_S`` (``PeriodicTtlPurge``) and by ``conman db init``.
"""

from __future__ import annotations

from typing import Any

from conman_adapters.store.base import IndexSpec

__all__ = ["COLLECTIONS", "INDEXES", "TTL_DAY"]

TTL_DAY = 86_400


def _ix(
    collection: str,
    *keys: str,
    unique: bool = False,
    partial: dict[str, Any] | None = None,
    ttl: int | None = None,
) -> IndexSpec:
    pairs = tuple((k[1:], -1) if k.startswith("-") else (k, 1) for k in keys)
    return IndexSpec(
        collection=collection, keys=pairs, unique=unique, partial=partial, ttl_seconds=ttl
    )


INDEXES: tuple[IndexSpec, ...] = (
    _ix("users", "email", unique=True),
    _ix("app_memberships", "app_id", "user_id", unique=True),
    _ix("app_memberships", "user_id"),
    _ix("invites", "token_hash", unique=True),
    _ix("invites", "app_id", "email", unique=True, partial={"pending": True}),
    _ix("invites", "app_id", "-created_at"),
    _ix("password_reset_tokens", "token_hash", unique=True),
    _ix("password_reset_tokens", "user_id"),
    _ix("password_reset_tokens", "expires_at", ttl=TTL_DAY),
    _ix("login_throttles", "email", unique=True),
    _ix("login_throttles", "updated_at", ttl=TTL_DAY),
    _ix("notification_preferences", "user_id", unique=True),
    _ix("notification_outbox", "state", "next_attempt_at"),
    _ix("notification_outbox", "sent_at", ttl=30 * TTL_DAY),
    _ix("apps", "name", unique=True),
    _ix("apps", "repo_path", unique=True),
    _ix("environments", "app_id", "name_lower", unique=True),
    _ix("environments", "app_id", "slug", unique=True),
    _ix("environments", "app_id", "position", unique=True),
    _ix("environments", "app_id", unique=True, partial={"is_canonical": True}),
    _ix("environments", "runtime_profile_id", unique=True),
    _ix("runtime_profiles", "app_id", "name", unique=True, partial={"archived": False}),
    _ix("runtime_profiles", "app_id", unique=True, partial={"kind": "app_defaults"}),
    _ix("runtime_profiles", "app_id", "kind"),
    _ix("runtime_profile_revisions", "runtime_profile_id", "revision_number", unique=True),
    _ix(
        "drift_acknowledgements",
        "environment_id",
        "profile_revision_id",
        "defaults_revision_id",
        unique=True,
    ),
    _ix("changeset_profile_overrides", "changeset_id", "target_environment_id", unique=True),
    _ix("changeset_profile_overrides", "app_id", "target_environment_id"),
    _ix("migration_executions", "app_id", "environment_id", "-started_at"),
    _ix("workspaces", "app_id", "branch_name", unique=True),
    _ix("workspaces", "app_id", "owner_user_id", unique=True, partial={"is_default": True}),
    _ix("workspaces", "app_id", "-created_at"),
    _ix("changesets", "app_id", "workspace_id", unique=True, partial={"is_open": True}),
    _ix("changesets", "app_id", "state", "-updated_at"),
    _ix("changesets", "app_id", "author_user_id"),
    # Extra (docs/persistence.md): the default listing, updated_at descending, unfiltered.
    _ix("changesets", "app_id", "-updated_at"),
    _ix("changesets", "app_id", "queue_position", unique=True, partial={"state": "queued"}),
    _ix("changeset_revisions", "changeset_id", "revision_number", unique=True),
    _ix("changeset_reviews", "changeset_id", "revision_number", "created_at"),
    _ix("changeset_reviews", "changeset_id", "-created_at"),
    _ix("changeset_comments", "changeset_id", "created_at"),
    _ix("changeset_comments", "changeset_id", "file_path"),
    _ix("changeset_comments", "parent_comment_id"),
    _ix("changeset_comment_revisions", "comment_id", "-edited_at"),
    _ix("release_batches", "app_id", "tag", unique=True, partial={"tag": {"$type": "string"}}),
    _ix("release_batches", "app_id", "state"),
    _ix("release_batches", "app_id", "-created_at"),
    _ix("release_changesets", "release_id", "changeset_id", unique=True),
    _ix("release_changesets", "release_id", "position"),
    _ix("release_changesets", "changeset_id"),
    _ix("deployments", "environment_id", unique=True, partial={"active": True}),
    _ix("deployments", "app_id", "-created_at"),
    _ix("deployments", "app_id", "environment_id", "state"),
    _ix("deployments", "release_id", "-created_at"),
    _ix("used_approval_tokens", "jti", unique=True),
    _ix("revoked_tokens", "jti", unique=True),
    _ix("revoked_tokens", "expires_at", ttl=0),
    _ix("temp_environments", "app_id", "source_key", unique=True, partial={"live": True}),
    _ix("temp_environments", "base_url", unique=True),
    _ix("temp_environments", "state", "expires_at"),
    _ix("temp_environments", "state", "grace_until"),
    _ix("temp_environments", "app_id", "-created_at"),
    _ix("jobs", "state", "run_after", "created_at"),
    _ix("jobs", "state", "locked_until"),
    _ix("jobs", "app_id", "entity_type", "entity_id", "-created_at"),
    _ix("jobs", "app_id", "job_type", "state"),
    _ix("jobs", "app_id", "-created_at"),
    _ix("job_logs", "job_id", "seq", unique=True),
    _ix("audit_events", "chain_key", "seq", unique=True),
    _ix("audit_events", "app_id", "-occurred_at"),
    _ix("audit_events", "app_id", "entity_type", "entity_id", "-occurred_at"),
    _ix("audit_events", "app_id", "action", "-occurred_at"),
    _ix("audit_events", "actor_user_id", "-occurred_at"),
)

# Every collection of §20, including those without a secondary index.
COLLECTIONS: tuple[str, ...] = tuple(
    sorted({spec.collection for spec in INDEXES} | {"job_runner_heartbeats"})
)
