"""The permission matrix of DOMAIN.md §2.2, cell by cell, and the §2.3 access rules."""

from __future__ import annotations

import pytest

from conman_domain.errors import Conflict, Forbidden
from conman_domain.rbac import (
    MATRIX,
    Capability,
    Role,
    allowed,
    check,
    check_not_own_role,
    check_not_self_review,
    ensure_an_admin_remains,
)

ROLES = [Role.USER, Role.REVIEWER, Role.CONFIG_MANAGER, Role.APP_ADMIN]

# Spec rows as (user, reviewer, config_manager, app_admin) cells, for the owner and for
# anyone else. "Own" cells are Y for the owner and N otherwise; "Any" cells are Y.
ALL = "YYYY"
NONE = "NNNN"
CM_UP = "NNYY"
ADMIN = "NNNY"
REVIEWER_UP = "NYYY"

C = Capability
EXPECTED: dict[Capability, tuple[str, str]] = {
    # row 1 and row 2
    **{
        c: (ALL, ALL)
        for c in [
            C.READ_APP, C.COMMENT, C.RESOLVE_COMMENT, C.ANALYZE, C.CHAT, C.CREATE_TEMP_ENV,
            C.TOUCH_TEMP_ENV, C.SET_OWN_COMMIT_MODE, C.SET_NOTIFICATION_PREFERENCES,
        ]
    },
    # row 3 (own) with row 5 / row 6 (any)
    C.CREATE_WORKSPACE: (ALL, ALL),
    C.WRITE_WORKSPACE: (ALL, ADMIN),
    C.CREATE_CHANGESET: (ALL, CM_UP),
    # row 4 (Own Own Own Own), PATCH any draft from row 6
    C.SUBMIT_CHANGESET: (ALL, NONE),
    C.RESUBMIT_CHANGESET: (ALL, NONE),
    C.PATCH_DRAFT: (ALL, CM_UP),
    C.EDIT_COMMENT: (ALL, NONE),
    # rows 7 and 8 (Own Own Any Any)
    **{
        c: (ALL, CM_UP)
        for c in [
            C.EDIT_OVERRIDES, C.QUEUE_CHANGESET, C.MOVE_TO_DRAFT, C.EXTEND_TEMP_ENV,
            C.UNDO_EXPIRE_TEMP_ENV, C.DELETE_TEMP_ENV, C.CANCEL_JOB,
        ]
    },
    # row 9 (N Y Y Y, never own changeset)
    C.REVIEW_CHANGESET: (NONE, REVIEWER_UP),
    C.ISSUE_DEPLOY_APPROVAL: (REVIEWER_UP, REVIEWER_UP),
    # row 10
    **{
        c: (CM_UP, CM_UP)
        for c in [
            C.REORDER_QUEUE, C.MANAGE_RELEASES, C.PUBLISH_RELEASE, C.DEPLOY,
            C.CANCEL_DEPLOYMENT, C.DRIFT_CHECK, C.CREATE_DRIFT_FIX, C.RETRY_JOB,
        ]
    },
    # row 11
    **{
        c: (ADMIN, ADMIN)
        for c in [
            C.MANAGE_INVITES, C.CHANGE_ROLES, C.REMOVE_MEMBERS, C.EDIT_SETTINGS,
            C.EDIT_ENVIRONMENTS, C.MANAGE_PROFILES, C.REVEAL_SECRETS, C.READ_AUDIT,
        ]
    },
}  # fmt: skip

CELLS = [(cap, role, own) for cap in Capability for role in ROLES for own in (True, False)]


def test_every_capability_has_a_matrix_entry_and_an_expectation() -> None:
    assert set(MATRIX) == set(Capability)
    assert set(EXPECTED) == set(Capability)


@pytest.mark.parametrize(("cap", "role", "own"), CELLS)
def test_matrix_cell_matches_the_spec(cap: Capability, role: Role, own: bool) -> None:
    cells = EXPECTED[cap][0 if own else 1]
    expected = cells[ROLES.index(role)] == "Y"
    assert allowed(cap, role, own) is expected
    if expected:
        check(cap, role, own)
    else:
        with pytest.raises(Forbidden):
            check(cap, role, own)


@pytest.mark.parametrize("cap", list(Capability))
def test_non_members_are_denied_every_capability(cap: Capability) -> None:
    assert not allowed(cap, None, True)
    with pytest.raises(Forbidden, match="not a member"):
        check(cap, None, False)


def test_roles_compare_in_rank_order_not_alphabetically() -> None:
    assert Role.USER < Role.REVIEWER < Role.CONFIG_MANAGER < Role.APP_ADMIN
    assert sorted([Role.APP_ADMIN, Role.USER, Role.CONFIG_MANAGER, Role.REVIEWER]) == ROLES
    assert Role.APP_ADMIN >= Role.CONFIG_MANAGER
    assert not Role.REVIEWER > Role.CONFIG_MANAGER


def test_self_review_is_forbidden_for_an_app_admin() -> None:
    with pytest.raises(Forbidden, match="own changeset"):
        check(Capability.REVIEW_CHANGESET, Role.APP_ADMIN, is_owner=True)
    with pytest.raises(Forbidden):
        check_not_self_review("u1", "u1")
    check_not_self_review("u1", "u2")


def test_nobody_can_change_their_own_role() -> None:
    with pytest.raises(Forbidden, match="own role"):
        check_not_own_role("u1", "u1")
    check_not_own_role("u1", "u2")


def test_the_last_app_admin_can_be_neither_demoted_nor_removed() -> None:
    with pytest.raises(Conflict):
        ensure_an_admin_remains({"a"}, "a", Role.CONFIG_MANAGER)
    with pytest.raises(Conflict):
        ensure_an_admin_remains({"a"}, "a", None)
    ensure_an_admin_remains({"a"}, "a", Role.APP_ADMIN)
    ensure_an_admin_remains({"a", "b"}, "a", None)
    ensure_an_admin_remains({"a"}, "c", None)
