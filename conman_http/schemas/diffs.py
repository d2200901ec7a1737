"""Request bodies of the analyze and chat routes (API.md §9), strict msgspec structs."""

from __future__ import annotations

import msgspec

__all__ = ["AnalyzeBody", "ChatBody"]


class _Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    pass


class AnalyzeBody(_Body):
    focus: list[str] = msgspec.field(default_factory=list)


class ChatBody(_Body):
    message: str
    file_paths: list[str] = msgspec.field(default_factory=list)
