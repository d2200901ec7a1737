"""Workspaces (DOMAIN.md §8; API.md §2)."""

from __future__ import annotations

import enum

from conman_domain.model.base import MutableEntity

__all__ = ["BaseRefType", "Workspace"]


class BaseRefType(enum.StrEnum):
    BRANCH = "branch"
    TAG = "tag"
    COMMIT = "commit"


class Workspace(MutableEntity, kw_only=True):
    """A user's branch. ``dirty`` (working_sha != head_sha) and ``effective_commit_mode``
    are computed, not stored."""

    app_id: str
    owner_user_id: str
    branch_name: str
    title: str | None = None
    is_default: bool
    base_ref_type: BaseRefType
    base_ref_value: str
    base_sha: str
    head_sha: str
    working_sha: str

    @property
    def dirty(self) -> bool:
        """True when the working state differs from the branch head."""
        return self.working_sha != self.head_sha
