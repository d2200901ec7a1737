"""Baseline resolution (DOMAIN.md §7)."""

from __future__ import annotations

import msgspec

from conman_domain.model.apps import BaselineMode
from conman_domain.model.releases import Release
from conman_domain.model.workspaces import BaseRefType

__all__ = ["Baseline", "resolve_baseline"]


class Baseline(msgspec.Struct, frozen=True, kw_only=True):
    sha: str
    ref_type: BaseRefType
    ref_value: str


def resolve_baseline(
    mode: BaselineMode,
    integration_branch: str,
    integration_head: str,
    canonical_release: Release | None,
) -> Baseline:
    """The commit and base ref for workspace creation, reset and drift-fix branches.

    ``canonical_release`` is the release of the canonical environment's latest succeeded
    deployment (None when it was never deployed).
    """
    if (
        mode is BaselineMode.CANONICAL_ENV_RELEASE
        and canonical_release is not None
        and canonical_release.published_sha is not None
        and canonical_release.tag is not None
    ):
        return Baseline(
            sha=canonical_release.published_sha,
            ref_type=BaseRefType.TAG,
            ref_value=canonical_release.tag,
        )
    return Baseline(sha=integration_head, ref_type=BaseRefType.BRANCH, ref_value=integration_branch)
