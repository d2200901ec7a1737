"""Building the semantic diff of two sets of files (DOMAIN.md §10)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from msgspec import UNSET, UnsetType

from conman_domain.semdiff.compare import (
    ItemDiff,
    compare_values,
    json_equal,
    json_type,
    mask_all,
    mask_secrets,
)
from conman_domain.semdiff.documents import Document, parse_document
from conman_domain.semdiff.model import (
    ByConfigType,
    ChangeDetails,
    ProfileOverrideChange,
    SemanticChange,
    SemanticDiff,
    Summary,
)
from conman_domain.validator.classify import config_type_of

__all__ = ["MAX_VALUE_CHARS", "change_id", "semantic_diff"]

MAX_VALUE_CHARS = 1024
_VERBS = {"added": "Added", "removed": "Removed", "modified": "Changed", "moved": "Moved"}
_PREPOSITIONS = {"added": "to", "removed": "from", "modified": "in"}


def change_id(file_path: str, key_path: str | None, operation: str) -> str:
    """First 16 hex chars of SHA-256(filePath + "\\n" + keyPath-or-empty + "\\n" + operation)."""
    text = f"{file_path}\n{key_path or ''}\n{operation}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _File:
    """One side of a file: its bytes and its parsed document (None when unparseable)."""

    def __init__(self, path: str, data: bytes) -> None:
        self.path = path
        self.data = data
        self.doc: Document | None = parse_document(path, data)

    def target(self) -> str:
        if self.doc is not None and isinstance(self.doc.value, dict):
            name = self.doc.value.get("name")
            if isinstance(name, str) and name:
                return name
        return _stem(self.path)

    def same_content(self, other: _File) -> bool:
        if self.doc is not None and other.doc is not None:
            return json_equal(self.doc.value, other.doc.value)
        return self.data == other.data


def _stem(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name[1:] else name
    return stem or name


def semantic_diff(
    base_files: Mapping[str, bytes],
    head_files: Mapping[str, bytes],
    *,
    base_sha: str | None,
    head_sha: str,
    override_changes: Iterable[ProfileOverrideChange] = (),
) -> SemanticDiff:
    """The semantic diff from ``base_files`` to ``head_files`` (path -> bytes).

    Only paths present in either mapping are considered; files with equal bytes on both
    sides yield nothing, so callers may pass just the changed paths or whole trees.
    """
    changes: list[SemanticChange] = []
    removed = sorted(set(base_files) - set(head_files))
    added = sorted(set(head_files) - set(base_files))
    heads = {path: _File(path, head_files[path]) for path in added}
    paired: set[str] = set()
    for path in removed:
        old = _File(path, base_files[path])
        new = next(
            (heads[b] for b in added if b not in paired and old.same_content(heads[b])), None
        )
        if new is None:
            changes.append(_whole_file(old, "removed"))
        else:
            paired.add(new.path)
            changes.append(_whole_file(new, "moved", old_path=path))
    changes.extend(_whole_file(heads[path], "added") for path in added if path not in paired)
    for path in sorted(set(base_files) & set(head_files)):
        if base_files[path] != head_files[path]:
            changes.extend(
                _modified_file(_File(path, base_files[path]), _File(path, head_files[path]))
            )
    changes.sort(key=lambda c: (c.file_path, c.details.key_path or "" if c.details else ""))
    return SemanticDiff(
        base_sha=base_sha,
        head_sha=head_sha,
        summary=Summary(
            total_changes=len(changes),
            by_config_type=ByConfigType.count([c.config_type for c in changes]),
        ),
        changes=changes,
        profile_override_changes=list(override_changes),
    )


def _type_label(config_type: str) -> str:
    return "file" if config_type == "other" else config_type


def _values(
    before: Any | UnsetType, after: Any | UnsetType, secret: bool
) -> tuple[Any | UnsetType, Any | UnsetType, bool | None]:
    """Mask secrets, then drop a value whose canonical JSON exceeds the limit."""
    truncated = False
    shown: list[Any | UnsetType] = []
    for value in (before, after):
        if value is UNSET:
            shown.append(UNSET)
            continue
        masked = mask_all(value) if secret else mask_secrets(value)
        if len(canonical_json(masked)) > MAX_VALUE_CHARS:
            truncated = True
            shown.append(UNSET)
        else:
            shown.append(masked)
    return shown[0], shown[1], truncated or None


def _whole_file(file: _File, operation: str, old_path: str | None = None) -> SemanticChange:
    config_type = config_type_of(file.path)
    label, target = _type_label(config_type), file.target()
    before: Any | UnsetType = UNSET
    after: Any | UnsetType = UNSET
    if file.doc is not None and operation == "added":
        after = file.doc.value
    elif file.doc is not None and operation == "removed":
        before = file.doc.value
    before, after, truncated = _values(before, after, False)
    if operation == "moved":
        description = f"Moved {label} `{target}` from `{old_path}` to `{file.path}`"
    else:
        description = f"{_VERBS[operation]} {label} `{target}` (`{file.path}`)"
    details = ChangeDetails(before=before, after=after, old_path=old_path, truncated=truncated)
    lines = file.doc.root if file.doc is not None and operation != "removed" else None
    return SemanticChange(
        id=change_id(file.path, None, operation),
        config_type=config_type,
        operation=operation,  # type: ignore[arg-type]
        target=target,
        description=description,
        file_path=file.path,
        line_start=lines[0] if lines else None,
        line_end=lines[1] if lines else None,
        details=details if details != ChangeDetails() else None,
    )


def _modified_file(base: _File, head: _File) -> list[SemanticChange]:
    if base.doc is None or head.doc is None:
        return [_whole_file(head, "modified")]
    config_type = config_type_of(head.path)
    return [
        _key_change(config_type, base, head, item)
        for item in compare_values(base.doc.value, head.doc.value)
    ]


def _key_change(config_type: str, base: _File, head: _File, item: ItemDiff) -> SemanticChange:
    key_path = ".".join(item.segments) or None
    target = base.target() if item.operation == "removed" else head.target()
    label = _type_label(config_type)
    before, after, truncated = _values(item.before, item.after, item.secret)
    if key_path is None:
        description = f"{_VERBS[item.operation]} {label} `{target}` (`{head.path}`)"
    else:
        description = (
            f"{_VERBS[item.operation]} `{key_path}` "
            f"{_PREPOSITIONS[item.operation]} {label} `{target}`"
        )
    if item.type_changed:
        description += f" (type {json_type(item.before)} → {json_type(item.after)})"
    assert head.doc is not None
    span = None
    if item.head_path is not None:
        span = head.doc.spans.get(item.head_path) if item.head_path else head.doc.root
    return SemanticChange(
        id=change_id(head.path, key_path, item.operation),
        config_type=config_type,
        operation=item.operation,  # type: ignore[arg-type]
        target=target,
        description=description,
        file_path=head.path,
        line_start=span[0] if span else None,
        line_end=span[1] if span else None,
        details=ChangeDetails(
            key_path=key_path,
            before=before,
            after=after,
            type_changed=True if item.type_changed else None,
            truncated=truncated,
        ),
    )
