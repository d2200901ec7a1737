"""Request bodies of the workspace and file routes (API.md §8.2), strict msgspec
structs; absent optional fields are ``UNSET`` and ``null`` only where documented."""

from __future__ import annotations

from typing import Literal

import msgspec
from msgspec import UNSET, UnsetType

__all__ = [
    "CheckpointBody",
    "CreateWorkspaceBody",
    "DeleteFileBody",
    "PatchWorkspaceBody",
    "ResetWorkspaceBody",
    "WriteFileBody",
]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class CreateWorkspaceBody(_Body):
    title: str | UnsetType = UNSET
    branch_name: str | UnsetType = UNSET


class PatchWorkspaceBody(_Body):
    title: str | None


class ResetWorkspaceBody(_Body):
    discard_uncommitted: bool = False


class WriteFileBody(_Body):
    path: str
    content: str
    encoding: Literal["base64", "utf-8"] = "base64"
    message: str | UnsetType = UNSET


class DeleteFileBody(_Body):
    path: str
    message: str | UnsetType = UNSET


class CheckpointBody(_Body):
    message: str | UnsetType = UNSET
