"""The LLM prompts of analyze and chat (API.md §9): the semantic diff with values
truncated and profile overrides by key only, the caller's message and the listed files
at head, within a byte budget. Secret values never enter a prompt (DOMAIN.md §15.4):
override secrets are never decrypted here, override values are left out, and members
of parsed files under secret-looking keys are masked as in the semantic diff."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec

from conman_domain.ports.llm import ChatMessage, ChatRole
from conman_domain.semdiff.compare import mask_secrets
from conman_domain.semdiff.documents import parse_document
from conman_domain.semdiff.model import SemanticDiff

__all__ = [
    "PROMPT_BUDGET_BYTES",
    "VALUE_PREVIEW_CHARS",
    "analyze_messages",
    "chat_messages",
    "prompt_diff",
]

PROMPT_BUDGET_BYTES = 64 * 1024
VALUE_PREVIEW_CHARS = 200
_TRUNCATED = "…[truncated]"

_ANALYZE_SYSTEM = (
    "You review configuration changes of a Git-backed configuration repository. "
    "Summarize the change below for a reviewer in at most five sentences: what changes, "
    "what could break, and what to check. Do not invent facts."
)
_CHAT_SYSTEM = (
    "You answer questions about one configuration changeset of a Git-backed "
    "configuration repository. The semantic diff and the requested files follow. "
    "Answer concisely and only from this material."
)


def _preview(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    if len(text) <= VALUE_PREVIEW_CHARS:
        return text
    return text[:VALUE_PREVIEW_CHARS] + _TRUNCATED


def prompt_diff(diff: SemanticDiff) -> dict[str, Any]:
    """The diff as sent to the LLM: change values shortened to previews, overrides
    reduced to environment, kind, key and operation (no before/after at all)."""
    changes = []
    for change in diff.changes:
        item: dict[str, Any] = {
            "operation": change.operation,
            "configType": change.config_type,
            "filePath": change.file_path,
            "description": change.description,
        }
        details = change.details
        if details is not None:
            if details.key_path is not None:
                item["keyPath"] = details.key_path
            if details.old_path is not None:
                item["oldPath"] = details.old_path
            if details.before is not msgspec.UNSET:
                item["before"] = _preview(details.before)
            if details.after is not msgspec.UNSET:
                item["after"] = _preview(details.after)
        changes.append(item)
    overrides = [
        {
            "environment": o.environment_name,
            "kind": o.kind,
            "key": o.key,
            "operation": o.operation,
        }
        for o in diff.profile_override_changes
    ]
    return {
        "totalChanges": diff.summary.total_changes,
        "changes": changes,
        "profileOverrideChanges": overrides,
    }


def _fit(text: str, budget: int) -> str:
    """``text`` cut to at most ``budget`` UTF-8 bytes (marked when cut)."""
    data = text.encode("utf-8")
    if len(data) <= budget:
        return text
    marker = _TRUNCATED.encode("utf-8")
    keep = max(0, budget - len(marker))
    return data[:keep].decode("utf-8", errors="ignore") + _TRUNCATED


def _file_text(path: str, data: bytes) -> str:
    """A file for the prompt: masked canonical JSON when a parsed document holds
    secret-looking keys, else its text (binary files are described, not sent)."""
    doc = parse_document(path, data)
    if doc is not None:
        masked = mask_secrets(doc.value)
        if masked != doc.value:
            return json.dumps(masked, indent=2, ensure_ascii=False)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return f"(binary file, {len(data)} bytes)"


def analyze_messages(diff: SemanticDiff, focus: Sequence[str]) -> list[ChatMessage]:
    body = json.dumps(prompt_diff(diff), ensure_ascii=False, indent=1)
    text = "Semantic diff:\n" + body
    if focus:
        text += "\n\nFocus on: " + "; ".join(focus)
    return [
        ChatMessage(role=ChatRole.SYSTEM, content=_ANALYZE_SYSTEM),
        ChatMessage(role=ChatRole.USER, content=_fit(text, PROMPT_BUDGET_BYTES)),
    ]


def chat_messages(
    diff: SemanticDiff, message: str, files: Mapping[str, bytes]
) -> tuple[list[ChatMessage], list[str]]:
    """The chat prompt (system + one user message of at most ``PROMPT_BUDGET_BYTES``
    bytes, counting both) and the files it includes, in the order given."""
    budget = PROMPT_BUDGET_BYTES - len(_CHAT_SYSTEM.encode("utf-8"))
    head = f"Question:\n{message}\n\n"
    parts = [head]
    used = len(head.encode("utf-8"))
    diff_text = "Semantic diff:\n" + json.dumps(prompt_diff(diff), ensure_ascii=False, indent=1)
    diff_text = _fit(diff_text, max(0, budget - used))
    parts.append(diff_text)
    used += len(diff_text.encode("utf-8"))
    included: list[str] = []
    for path, data in files.items():
        header = f"\n\nFile {path} at head:\n"
        room = budget - used - len(header.encode("utf-8"))
        if room <= len(_TRUNCATED.encode("utf-8")):
            break
        chunk = header + _fit(_file_text(path, data), room)
        parts.append(chunk)
        used += len(chunk.encode("utf-8"))
        included.append(path)
    user = ChatMessage(role=ChatRole.USER, content="".join(parts))
    return [ChatMessage(role=ChatRole.SYSTEM, content=_CHAT_SYSTEM), user], included
