"""Role-based access control: the permission matrix of DOMAIN.md §2.2 as data, plus the
access rules of §2.3 (self-review, own role, last app_admin).

Each capability maps to ``(min_role, own_rule)``. ``OwnRule`` says how ownership ("own"
= changeset author, workspace owner, temp env creator, job's triggering user, comment
author) changes the requirement.
"""

from __future__ import annotations

import enum

from conman_domain.errors import Conflict, Forbidden
from conman_domain.model.apps import Role

__all__ = [
    "MATRIX",
    "Capability",
    "OwnRule",
    "Role",
    "allowed",
    "check",
    "check_not_own_role",
    "check_not_self_review",
    "ensure_an_admin_remains",
]


class Capability(enum.StrEnum):
    # Row 1: every member.
    READ_APP = "read_app"
    # Row 2: every member.
    COMMENT = "comment"
    RESOLVE_COMMENT = "resolve_comment"
    ANALYZE = "analyze"
    CHAT = "chat"
    CREATE_TEMP_ENV = "create_temp_env"
    TOUCH_TEMP_ENV = "touch_temp_env"
    SET_OWN_COMMIT_MODE = "set_own_commit_mode"
    SET_NOTIFICATION_PREFERENCES = "set_notification_preferences"
    # Rows 3, 5, 6: workspaces and changeset creation.
    CREATE_WORKSPACE = "create_workspace"
    WRITE_WORKSPACE = "write_workspace"
    CREATE_CHANGESET = "create_changeset"
    # Rows 4, 6: own drafts and comments.
    SUBMIT_CHANGESET = "submit_changeset"
    RESUBMIT_CHANGESET = "resubmit_changeset"
    PATCH_DRAFT = "patch_draft"
    EDIT_COMMENT = "edit_comment"
    # Row 7.
    EDIT_OVERRIDES = "edit_overrides"
    QUEUE_CHANGESET = "queue_changeset"
    MOVE_TO_DRAFT = "move_to_draft"
    # Row 8.
    EXTEND_TEMP_ENV = "extend_temp_env"
    UNDO_EXPIRE_TEMP_ENV = "undo_expire_temp_env"
    DELETE_TEMP_ENV = "delete_temp_env"
    CANCEL_JOB = "cancel_job"
    # Row 9.
    REVIEW_CHANGESET = "review_changeset"
    ISSUE_DEPLOY_APPROVAL = "issue_deploy_approval"
    # Row 10.
    REORDER_QUEUE = "reorder_queue"
    MANAGE_RELEASES = "manage_releases"
    PUBLISH_RELEASE = "publish_release"
    DEPLOY = "deploy"
    CANCEL_DEPLOYMENT = "cancel_deployment"
    DRIFT_CHECK = "drift_check"
    CREATE_DRIFT_FIX = "create_drift_fix"
    RETRY_JOB = "retry_job"
    # Row 11.
    MANAGE_INVITES = "manage_invites"
    CHANGE_ROLES = "change_roles"
    REMOVE_MEMBERS = "remove_members"
    EDIT_SETTINGS = "edit_settings"
    EDIT_ENVIRONMENTS = "edit_environments"
    MANAGE_PROFILES = "manage_profiles"
    REVEAL_SECRETS = "reveal_secrets"
    READ_AUDIT = "read_audit"


class OwnRule(enum.StrEnum):
    """How ownership affects a capability."""

    NONE = "none"  # ownership is irrelevant: min_role decides
    OWN_ONLY = "own_only"  # only the owner, with min_role
    OWN_OR_CM = "own_or_cm"  # the owner with min_role, anyone config_manager+
    OWN_OR_ADMIN = "own_or_admin"  # the owner with min_role, anyone app_admin
    NOT_OWN = "not_own"  # min_role, and never the owner (self-review)


C, U, RV, CM, AD = Capability, Role.USER, Role.REVIEWER, Role.CONFIG_MANAGER, Role.APP_ADMIN

MATRIX: dict[Capability, tuple[Role, OwnRule]] = {
    C.READ_APP: (U, OwnRule.NONE),
    C.COMMENT: (U, OwnRule.NONE),
    C.RESOLVE_COMMENT: (U, OwnRule.NONE),
    C.ANALYZE: (U, OwnRule.NONE),
    C.CHAT: (U, OwnRule.NONE),
    C.CREATE_TEMP_ENV: (U, OwnRule.NONE),
    C.TOUCH_TEMP_ENV: (U, OwnRule.NONE),
    C.SET_OWN_COMMIT_MODE: (U, OwnRule.NONE),
    C.SET_NOTIFICATION_PREFERENCES: (U, OwnRule.NONE),
    C.CREATE_WORKSPACE: (U, OwnRule.NONE),
    C.WRITE_WORKSPACE: (U, OwnRule.OWN_OR_ADMIN),
    C.CREATE_CHANGESET: (U, OwnRule.OWN_OR_CM),
    C.SUBMIT_CHANGESET: (U, OwnRule.OWN_ONLY),
    C.RESUBMIT_CHANGESET: (U, OwnRule.OWN_ONLY),
    C.PATCH_DRAFT: (U, OwnRule.OWN_OR_CM),
    C.EDIT_COMMENT: (U, OwnRule.OWN_ONLY),
    C.EDIT_OVERRIDES: (U, OwnRule.OWN_OR_CM),
    C.QUEUE_CHANGESET: (U, OwnRule.OWN_OR_CM),
    C.MOVE_TO_DRAFT: (U, OwnRule.OWN_OR_CM),
    C.EXTEND_TEMP_ENV: (U, OwnRule.OWN_OR_CM),
    C.UNDO_EXPIRE_TEMP_ENV: (U, OwnRule.OWN_OR_CM),
    C.DELETE_TEMP_ENV: (U, OwnRule.OWN_OR_CM),
    C.CANCEL_JOB: (U, OwnRule.OWN_OR_CM),
    C.REVIEW_CHANGESET: (RV, OwnRule.NOT_OWN),
    C.ISSUE_DEPLOY_APPROVAL: (RV, OwnRule.NONE),
    C.REORDER_QUEUE: (CM, OwnRule.NONE),
    C.MANAGE_RELEASES: (CM, OwnRule.NONE),
    C.PUBLISH_RELEASE: (CM, OwnRule.NONE),
    C.DEPLOY: (CM, OwnRule.NONE),
    C.CANCEL_DEPLOYMENT: (CM, OwnRule.NONE),
    C.DRIFT_CHECK: (CM, OwnRule.NONE),
    C.CREATE_DRIFT_FIX: (CM, OwnRule.NONE),
    C.RETRY_JOB: (CM, OwnRule.NONE),
    C.MANAGE_INVITES: (AD, OwnRule.NONE),
    C.CHANGE_ROLES: (AD, OwnRule.NONE),
    C.REMOVE_MEMBERS: (AD, OwnRule.NONE),
    C.EDIT_SETTINGS: (AD, OwnRule.NONE),
    C.EDIT_ENVIRONMENTS: (AD, OwnRule.NONE),
    C.MANAGE_PROFILES: (AD, OwnRule.NONE),
    C.REVEAL_SECRETS: (AD, OwnRule.NONE),
    C.READ_AUDIT: (AD, OwnRule.NONE),
}


def allowed(capability: Capability, role: Role | None, is_owner: bool = False) -> bool:
    """True when a member with ``role`` (None = not a member) may use ``capability``."""
    if role is None:
        return False
    min_role, own_rule = MATRIX[capability]
    if own_rule is OwnRule.NOT_OWN and is_owner:
        return False
    if own_rule in (OwnRule.NONE, OwnRule.NOT_OWN):
        return role.at_least(min_role)
    if is_owner:
        return role.at_least(min_role)
    if own_rule is OwnRule.OWN_OR_CM:
        return role.at_least(Role.CONFIG_MANAGER)
    if own_rule is OwnRule.OWN_OR_ADMIN:
        return role.at_least(Role.APP_ADMIN)
    return False


def check(capability: Capability, role: Role | None, is_owner: bool = False) -> None:
    """Raise ``Forbidden`` unless ``allowed(capability, role, is_owner)``."""
    if allowed(capability, role, is_owner):
        return
    if role is None:
        raise Forbidden("not a member of this app")
    min_role, own_rule = MATRIX[capability]
    if own_rule is OwnRule.NOT_OWN and is_owner:
        raise Forbidden("you cannot review your own changeset")
    if own_rule in (OwnRule.OWN_ONLY, OwnRule.OWN_OR_CM, OwnRule.OWN_OR_ADMIN) and not is_owner:
        raise Forbidden(f"only the owner may {capability.value.replace('_', ' ')}")
    raise Forbidden(f"requires role {min_role.value}")


def check_not_self_review(reviewer_user_id: str, author_user_id: str) -> None:
    """Self-review is forbidden whatever the role (DOMAIN.md §2.3)."""
    if reviewer_user_id == author_user_id:
        raise Forbidden("you cannot review your own changeset")


def check_not_own_role(actor_user_id: str, target_user_id: str) -> None:
    """Nobody can change their own role (DOMAIN.md §2.3)."""
    if actor_user_id == target_user_id:
        raise Forbidden("members cannot change their own role")


def ensure_an_admin_remains(
    admin_user_ids: set[str], target_user_id: str, new_role: Role | None
) -> None:
    """The last app_admin can be neither demoted nor removed (409). ``new_role`` None =
    removal. ``admin_user_ids`` are the app's current app_admins."""
    if target_user_id not in admin_user_ids:
        return
    if new_role is Role.APP_ADMIN:
        return
    if len(admin_user_ids) <= 1:
        raise Conflict("the last app_admin cannot be demoted or removed")
