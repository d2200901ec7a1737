"""Deterministic impact analysis of a changeset (API.md §9 ``analyze``).

A pure function over the semantic diff (DOMAIN.md §10) and the files at head: removed
objects or fields still referenced (reference rules of DOMAIN.md §11.3), type changes,
and the profile overrides it carries. The optional LLM summary is added by the caller.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import msgspec

from conman_domain.semdiff.documents import parse_document
from conman_domain.semdiff.model import SemanticChange, SemanticDiff
from conman_domain.validator.builtin import _references  # the §11.3 reference walk
from conman_domain.validator.classify import CONFIG_OBJECT_TYPES, config_type_of

__all__ = ["Analysis", "Risk", "Suggestion", "analyze"]

Severity = Literal["info", "warning", "error"]


class Risk(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    severity: Severity
    message: str
    file_path: str | None
    target: str | None


class Suggestion(msgspec.Struct, frozen=True, kw_only=True):
    file_path: str | None
    description: str
    severity: Severity


class Analysis(msgspec.Struct, frozen=True, kw_only=True):
    """API.md §9 analyze response; ``llm_*`` are filled by the caller when configured."""

    summary: str
    risks: list[Risk]
    suggestions: list[Suggestion]
    llm_summary: str | None = None
    llm_status: Literal["disabled", "ok", "error"] = "disabled"


class _HeadObject:
    __slots__ = ("config_type", "name", "path", "references", "strings")

    def __init__(self, path: str, config_type: str, value: dict[str, Any]) -> None:
        self.path = path
        self.config_type = config_type
        name = value.get("name")
        self.name = name if isinstance(name, str) else None
        self.references = set(_references(value))
        self.strings = set(_strings(value))


def _strings(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _head_objects(head_files: Mapping[str, bytes]) -> list[_HeadObject]:
    objects = []
    for path in sorted(head_files):
        config_type = config_type_of(path)
        if config_type not in CONFIG_OBJECT_TYPES:
            continue
        doc = parse_document(path, head_files[path])
        if doc is not None and isinstance(doc.value, dict):
            objects.append(_HeadObject(path, config_type, doc.value))
    return objects


def _removed_object(change: SemanticChange) -> str | None:
    """The name a change removes from its type: a removed file, or a renamed ``name``."""
    if change.config_type not in CONFIG_OBJECT_TYPES:
        return None
    details = change.details
    key_path = details.key_path if details is not None else None
    if change.operation == "removed" and key_path is None:
        return change.target
    if change.operation == "modified" and key_path == "name" and details is not None:
        before = details.before
        return before if isinstance(before, str) else None
    return None


def analyze(
    diff: SemanticDiff,
    head_files: Mapping[str, bytes],
    *,
    canonical_environment_id: str | None = None,
    focus: Sequence[str] = (),
) -> Analysis:
    """Risks and one suggestion per risk, in diff order then override order."""
    objects = _head_objects(head_files)
    existing = {(o.config_type, o.name) for o in objects}
    risks: list[Risk] = []
    for change in diff.changes:
        risks.extend(_change_risks(change, objects, existing))
    risks.extend(_override_risks(diff, canonical_environment_id))
    types = sum(1 for count in msgspec.structs.astuple(diff.summary.by_config_type) if count)
    summary = (
        f"{diff.summary.total_changes} changes across {types} config types; {len(risks)} risks"
    )
    if focus:
        summary += f"; focus: {', '.join(focus)}"
    suggestions = [
        Suggestion(file_path=r.file_path, description=_SUGGEST[r.kind](r), severity=r.severity)
        for r in risks
    ] or [Suggestion(file_path=None, description="No risks detected", severity="info")]
    return Analysis(summary=summary, risks=risks, suggestions=suggestions)


def _change_risks(
    change: SemanticChange, objects: list[_HeadObject], existing: set[tuple[str, str | None]]
) -> Iterator[Risk]:
    details = change.details
    if change.operation == "modified" and details is not None and details.type_changed:
        yield Risk(
            kind="type_changed",
            severity="warning",
            message=f"`{details.key_path or change.file_path}` changed type in "
            f"{change.config_type} `{change.target}`",
            file_path=change.file_path,
            target=change.target,
        )
    removed = _removed_object(change)
    if removed is not None and (change.config_type, removed) not in existing:
        for obj in objects:
            if (change.config_type, removed) in obj.references:
                yield Risk(
                    kind="removed_referenced",
                    severity="error",
                    message=f'{change.config_type} "{removed}" was removed but is still '
                    f"referenced by {obj.path}",
                    file_path=obj.path,
                    target=removed,
                )
    key_path = details.key_path if details is not None else None
    if change.operation == "removed" and key_path and change.config_type in CONFIG_OBJECT_TYPES:
        field = key_path.rsplit(".", 1)[-1]
        for obj in objects:
            owner = (change.config_type, change.target)
            if obj.path != change.file_path and owner in obj.references and field in obj.strings:
                yield Risk(
                    kind="removed_field_referenced",
                    severity="warning",
                    message=f"`{key_path}` was removed from {change.config_type} "
                    f'`{change.target}` but "{field}" is still used by {obj.path}',
                    file_path=obj.path,
                    target=change.target,
                )


def _override_risks(diff: SemanticDiff, canonical_environment_id: str | None) -> Iterator[Risk]:
    env_var_envs: dict[str, str] = {}
    canonical: dict[str, str] = {}
    for item in diff.profile_override_changes:
        if item.kind == "secret":
            yield Risk(
                kind="secret_override",
                severity="warning",
                message=f"secret {item.key} is {item.operation} for {item.environment_name}",
                file_path=None,
                target=item.environment_name,
            )
        elif item.kind == "envVar":
            env_var_envs.setdefault(item.environment_id, item.environment_name)
        if item.environment_id == canonical_environment_id:
            canonical.setdefault(item.environment_id, item.environment_name)
    for name in env_var_envs.values():
        yield Risk(
            kind="env_var_override",
            severity="info",
            message=f"environment variables change for {name}",
            file_path=None,
            target=name,
        )
    for name in canonical.values():
        yield Risk(
            kind="canonical_profile_impact",
            severity="warning",
            message=f"overrides target the canonical environment {name}",
            file_path=None,
            target=name,
        )


_SUGGEST = {
    "removed_referenced": lambda r: f"Update or remove the references to `{r.target}`",
    "removed_field_referenced": lambda r: f"Check the uses of the removed field in {r.file_path}",
    "type_changed": lambda r: f"Check consumers of `{r.target}` for the new value type",
    "secret_override": lambda r: f"Confirm the secret change for {r.target} with its owner",
    "env_var_override": lambda r: f"Verify the environment variables of {r.target}",
    "canonical_profile_impact": lambda r: f"Plan the rollout to {r.target}; it needs approval",
}
