"""The built-in validator: the default validation suite of a gate without a command (§11.3)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from conman_domain.validator.classify import (
    CONFIG_OBJECT_TYPES,
    config_type_of,
    is_structured_file,
)
from conman_domain.validator.parsing import parse_structured
from conman_domain.validator.result import ValidationFailure, ValidationResult

__all__ = ["run_builtin_validator"]

# Keys that name other config objects: "<t>" holds one name, "<t>s" a list of names.
_SINGLE_REFERENCE_KEYS = {t: t for t in CONFIG_OBJECT_TYPES}
# "<t>s" literally (so "entitys"), plus the English plural "entities".
_LIST_REFERENCE_KEYS = {f"{t}s": t for t in CONFIG_OBJECT_TYPES} | {"entities": "entity"}


class _ConfigObject:
    __slots__ = ("config_type", "name", "path", "value")

    def __init__(self, path: str, config_type: str, value: Any) -> None:
        self.path = path
        self.config_type = config_type
        self.value = value
        name = value.get("name") if isinstance(value, dict) else None
        self.name: str | None = name if isinstance(name, str) and name else None


class _Report:
    def __init__(self) -> None:
        self.checks = 0
        self.failures: list[ValidationFailure] = []
        self._seen: set[tuple[str, str]] = set()

    def check(self, path: str, ok: bool, message: str, line: int | None = None) -> None:
        self.checks += 1
        if not ok and (path, message) not in self._seen:
            self._seen.add((path, message))
            self.failures.append(ValidationFailure(path=path, message=message, line=line))


def run_builtin_validator(
    files: Mapping[str, bytes], monotonic: Callable[[], float]
) -> ValidationResult:
    """Validate a whole tree given as repository path -> file bytes.

    Checks, in path order: every structured file parses; every config object carries
    its identity (a non-empty string ``name``, a matching ``type`` if present); names
    are unique within a type (reported on the later path); references between config
    objects resolve. ``checks`` counts every check evaluated; ``passed`` is true when
    no check failed. ``monotonic`` measures ``duration_ms``. Never raises on content.
    """
    started = monotonic()
    report = _Report()
    objects = _parse_all(files, report)
    names = _check_identities(objects, report)
    for obj in objects:
        if not isinstance(obj.value, dict):
            continue
        try:
            references = list(_references(obj.value))
        except RecursionError:
            report.check(obj.path, False, "nesting too deep to resolve references")
            continue
        for ref_type, ref_name in references:
            report.check(
                obj.path,
                ref_name in names[ref_type],
                f'unresolved reference to {ref_type} "{ref_name}"',
            )
    failures = sorted(report.failures, key=lambda failure: failure.path)
    return ValidationResult(
        passed=not failures,
        runner="builtin",
        checks=report.checks,
        failures=failures,
        duration_ms=max(0, round((monotonic() - started) * 1000)),
    )


def _parse_all(files: Mapping[str, bytes], report: _Report) -> list[_ConfigObject]:
    objects: list[_ConfigObject] = []
    for path in sorted(files):
        if not is_structured_file(path):
            continue
        parsed = parse_structured(path, files[path])
        if parsed.error is not None:
            report.check(path, False, parsed.error.message, parsed.error.line)
            continue
        report.check(path, True, "")
        config_type = config_type_of(path)
        if config_type in CONFIG_OBJECT_TYPES:
            objects.append(_ConfigObject(path, config_type, parsed.value))
    return objects


def _check_identities(objects: list[_ConfigObject], report: _Report) -> dict[str, dict[str, str]]:
    """Identity and uniqueness checks; returns type -> name -> first path."""
    names: dict[str, dict[str, str]] = {t: {} for t in CONFIG_OBJECT_TYPES}
    for obj in objects:
        report.check(obj.path, obj.name is not None, 'missing identity key "name"')
        if isinstance(obj.value, dict) and "type" in obj.value:
            declared = obj.value["type"]
            report.check(
                obj.path,
                declared == obj.config_type,
                f'type "{declared}" does not match directory type "{obj.config_type}"',
            )
        if obj.name is None:
            continue
        first = names[obj.config_type].setdefault(obj.name, obj.path)
        report.check(
            obj.path,
            first == obj.path,
            f'duplicate {obj.config_type} name "{obj.name}" (also in {first})',
        )
    return names


def _references(document: dict[Any, Any]) -> Iterator[tuple[str, str]]:
    """Every (type, name) reference at any depth in document order, except the top-level
    ``type`` and ``name``. Containers are visited once each, so YAML aliases cannot blow
    up the walk and cycles end.
    """
    visited: set[int] = set()

    def walk(node: Any, top: bool) -> Iterator[tuple[str, str]]:
        if id(node) in visited:
            return
        visited.add(id(node))
        if isinstance(node, dict):
            for key, value in node.items():
                if top and key in ("type", "name"):
                    continue
                yield from _references_at(key, value)
                if isinstance(value, dict | list):
                    yield from walk(value, False)
        else:
            for item in node:
                if isinstance(item, dict | list):
                    yield from walk(item, False)

    return walk(document, True)


def _references_at(key: Any, value: Any) -> Iterator[tuple[str, str]]:
    if not isinstance(key, str):
        return
    if key in _SINGLE_REFERENCE_KEYS and isinstance(value, str):
        yield _SINGLE_REFERENCE_KEYS[key], value
    elif (
        key in _LIST_REFERENCE_KEYS
        and isinstance(value, list)
        and all(isinstance(item, str) for item in value)
    ):
        for item in value:
            yield _LIST_REFERENCE_KEYS[key], item
