"""Filter, update and sort evaluation in Python, with MongoDB semantics.

Used by ``MemoryStore`` for everything and by the other backends to build upserts.
Comparisons follow MongoDB's type brackets: ``$gt``/``$lt`` only match values of the
same kind (numbers with numbers, strings with strings, datetimes with datetimes).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from conman_adapters.store.base import Doc, Filter, SortSpec, Update

__all__ = [
    "MISSING",
    "apply_update",
    "get_path",
    "matches",
    "normalize",
    "sort_docs",
    "upsert_seed",
]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

_OPERATORS = {"$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$type"}


def normalize(value: Any) -> Any:
    """Deep copy with datetimes made UTC and truncated to milliseconds (as MongoDB does)."""
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalize(v) for v in value]
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def get_path(doc: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` or ``MISSING``."""
    if "." not in path:
        return doc.get(path, MISSING)
    current: Any = doc
    for part in path.split("."):
        if not isinstance(current, Mapping) or part not in current:
            return MISSING
        current = current[part]
    return current


def _kind(value: Any) -> int:
    """MongoDB's BSON comparison order of type brackets."""
    if value is MISSING or value is None:
        return 0
    if isinstance(value, bool):
        return 5
    if isinstance(value, int | float):
        return 1
    if isinstance(value, str):
        return 2
    if isinstance(value, dict):
        return 3
    if isinstance(value, list):
        return 4
    if isinstance(value, datetime):
        return 6
    return 7


def _equal(actual: Any, expected: Any) -> bool:
    if type(actual) is type(expected):
        return bool(actual == expected)
    if expected is None:
        return actual is MISSING or actual is None
    if actual is MISSING:
        return False
    return bool(_kind(actual) == _kind(expected) and actual == expected)


def _compare(actual: Any, op: str, expected: Any) -> bool:
    if actual is MISSING or _kind(actual) != _kind(expected) or actual is None:
        return False
    if op == "$gt":
        return bool(actual > expected)
    if op == "$gte":
        return bool(actual >= expected)
    if op == "$lt":
        return bool(actual < expected)
    return bool(actual <= expected)


def _match_condition(actual: Any, condition: Any) -> bool:
    if not (isinstance(condition, Mapping) and condition and set(condition) <= _OPERATORS):
        return _equal(actual, condition)
    for op, operand in condition.items():
        if op == "$eq":
            ok = _equal(actual, operand)
        elif op == "$ne":
            ok = not _equal(actual, operand)
        elif op == "$in":
            ok = any(_equal(actual, v) for v in operand)
        elif op == "$nin":
            ok = not any(_equal(actual, v) for v in operand)
        elif op == "$exists":
            ok = (actual is not MISSING) == bool(operand)
        elif op == "$type":
            if operand != "string":
                raise ValueError(f"unsupported $type {operand!r}")
            ok = isinstance(actual, str)
        else:
            ok = _compare(actual, op, operand)
        if not ok:
            return False
    return True


def matches(doc: Mapping[str, Any], flt: Filter) -> bool:
    """Whether ``doc`` satisfies every condition of ``flt``."""
    return all(_match_condition(get_path(doc, path), cond) for path, cond in flt.items())


def _sort_value(value: Any) -> tuple[int, Any]:
    kind = _kind(value)
    if kind in (0, 3, 4, 7):
        return (kind, 0)
    return (kind, value)


def sort_docs(docs: list[Doc], sort: SortSpec | None) -> list[Doc]:
    """Stable multi-key sort; missing and null sort first ascending, as in MongoDB."""
    result = list(docs)
    for field, direction in reversed(list(sort or [])):
        result.sort(key=_sort_key(field), reverse=direction < 0)
    return result


def _sort_key(field: str) -> Callable[[Doc], tuple[int, Any]]:
    def key(doc: Doc) -> tuple[int, Any]:
        return _sort_value(get_path(doc, field))

    return key


def _parent(doc: Doc, path: str, create: bool) -> tuple[dict[str, Any] | None, str]:
    parts = path.split(".")
    current: Any = doc
    for part in parts[:-1]:
        nxt = current.get(part)
        if not isinstance(nxt, dict):
            if not create:
                return None, parts[-1]
            nxt = {}
            current[part] = nxt
        current = nxt
    return current, parts[-1]


def apply_update(doc: Doc, update: Update) -> Doc:
    """A new document with ``$set``/``$inc``/``$push``/``$unset`` applied."""
    result = copy.deepcopy(doc)
    for op, fields in update.items():
        for path, value in fields.items():
            if path == "_id" and op != "$set":
                raise ValueError("_id is immutable")
            parent, key = _parent(result, path, create=op != "$unset")
            if op == "$set":
                assert parent is not None
                parent[key] = normalize(value)
            elif op == "$inc":
                assert parent is not None
                parent[key] = parent.get(key, 0) + value
            elif op == "$push":
                assert parent is not None
                parent.setdefault(key, []).append(normalize(value))
            elif op == "$unset":
                if parent is not None:
                    parent.pop(key, None)
            else:
                raise ValueError(f"unsupported update operator {op}")
    return result


def upsert_seed(flt: Filter) -> Doc:
    """The document an upsert starts from: the filter's plain equality fields."""
    seed: Doc = {}
    for path, cond in flt.items():
        if isinstance(cond, Mapping) and cond and set(cond) <= _OPERATORS:
            if "$eq" not in cond:
                continue
            value = cond["$eq"]
        else:
            value = cond
        parent, key = _parent(seed, path, create=True)
        assert parent is not None
        parent[key] = normalize(value)
    if "_id" not in seed:
        raise ValueError("an upsert needs an _id equality in its filter")
    return seed
