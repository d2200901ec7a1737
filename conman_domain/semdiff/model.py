"""The semantic diff response contract (DOMAIN.md §10.3), camelCase on the wire."""

from __future__ import annotations

from typing import Any, Literal

import msgspec
from msgspec import UNSET, UnsetType

from conman_domain.validator.classify import CONFIG_TYPES

__all__ = [
    "ByConfigType",
    "ChangeDetails",
    "ChangeOperation",
    "OverrideKind",
    "ProfileOverrideChange",
    "SemanticChange",
    "SemanticDiff",
    "Summary",
]

ChangeOperation = Literal["added", "modified", "removed", "moved"]
OverrideKind = Literal["envVar", "secret", "baseUrl", "database", "dataStrategy"]


class ByConfigType(msgspec.Struct, frozen=True, kw_only=True):
    """Change counts per config type; all ten keys are always present."""

    entity: int = 0
    page: int = 0
    queue: int = 0
    provider: int = 0
    workflow: int = 0
    tenant: int = 0
    menu: int = 0
    asset: int = 0
    script: int = 0
    other: int = 0

    @classmethod
    def count(cls, config_types: list[str]) -> ByConfigType:
        counts = dict.fromkeys(CONFIG_TYPES, 0)
        for config_type in config_types:
            counts[config_type] += 1
        return cls(**counts)


class Summary(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    total_changes: int
    by_config_type: ByConfigType


class ChangeDetails(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    """Optional details; ``before``/``after`` are UNSET (omitted) when absent, so that a
    JSON ``null`` value stays distinguishable from "not shown"."""

    key_path: str | None = None
    before: Any | UnsetType = UNSET
    after: Any | UnsetType = UNSET
    old_path: str | None = None
    type_changed: bool | None = None
    truncated: bool | None = None


class SemanticChange(msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True):
    id: str
    config_type: str
    operation: ChangeOperation
    target: str
    description: str
    file_path: str
    line_start: int | None = None
    line_end: int | None = None
    details: ChangeDetails | None = None


class ProfileOverrideChange(
    msgspec.Struct, frozen=True, kw_only=True, rename="camel", omit_defaults=True
):
    """One override change relative to the target profile's current values (§10.3).

    ``operation`` is added/modified/removed for env vars, added/rotated/deleted for
    secrets (never with values) and modified for the other kinds.
    """

    environment_id: str
    environment_name: str
    kind: OverrideKind
    key: str
    operation: str
    before: Any | UnsetType = UNSET
    after: Any | UnsetType = UNSET


class SemanticDiff(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    base_sha: str | None
    head_sha: str
    summary: Summary
    changes: list[SemanticChange]
    profile_override_changes: list[ProfileOverrideChange] = msgspec.field(default_factory=list)
