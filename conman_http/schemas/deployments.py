"""Request bodies of the deployment routes (API.md §12), strict msgspec structs."""

from __future__ import annotations

from typing import Annotated

import msgspec

from conman_domain.model.deployments import RollbackMode
from conman_domain.usecases.approvals import MAX_APPROVAL_TOKENS

__all__ = ["ApprovalBody", "DeployBody", "RollbackBody"]


class ApprovalBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """POST .../approvals: the release and whether the token allows skip_stage."""

    release_id: str
    skip_stage: bool = True


class DeployBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """POST .../deploy and .../promote."""

    release_id: str
    skip_stage: bool = False
    approval_tokens: Annotated[list[str], msgspec.Meta(max_length=MAX_APPROVAL_TOKENS)] = (
        msgspec.field(default_factory=list)
    )


class RollbackBody(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """POST .../rollback: no approvals."""

    mode: RollbackMode
    target_release_id: str
