"""Recursive comparison of two parsed documents (DOMAIN.md §10.2)."""

from __future__ import annotations

import re
from typing import Any

import msgspec
from msgspec import UNSET, UnsetType

from conman_domain.semdiff.documents import RawPath

__all__ = [
    "MASK",
    "ItemDiff",
    "compare_values",
    "is_secret_key",
    "json_equal",
    "json_type",
    "mask_all",
    "mask_secrets",
]

IDENTIFIER_KEYS = ("name", "id", "key")
MASK = "****"
_SECRET_KEY = re.compile(
    r"secret|password|passwd|token|api[_-]?key|private[_-]?key|credential", re.IGNORECASE
)


class ItemDiff(msgspec.Struct, frozen=True, kw_only=True):
    """One key-level change: ``segments`` join into the key path; ``head_path`` locates
    the item in the head document (None for removals)."""

    segments: tuple[str, ...]
    operation: str
    before: Any | UnsetType = UNSET
    after: Any | UnsetType = UNSET
    type_changed: bool = False
    head_path: RawPath | None = None
    secret: bool = False


def json_type(value: Any) -> str:
    """The JSON type name of a normalized value (``1`` and ``1.0`` are both numbers)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    return "object" if isinstance(value, dict) else "array"


def json_equal(a: Any, b: Any) -> bool:
    """Deep equality by JSON type and value (``True`` differs from ``1``)."""
    kind = json_type(a)
    if kind != json_type(b):
        return False
    if kind == "object":
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if kind == "array":
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def is_secret_key(key: str) -> bool:
    return _SECRET_KEY.search(key) is not None


def mask_secrets(value: Any) -> Any:
    """``value`` with every member under a secret-looking key replaced by ``****``."""
    if isinstance(value, dict):
        return {k: mask_all(v) if is_secret_key(k) else mask_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_secrets(v) for v in value]
    return value


def mask_all(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: mask_all(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_all(v) for v in value]
    return None if value is None else MASK


def _segment(value: Any) -> str:
    if isinstance(value, str):
        return value
    return msgspec.json.encode(value).decode()


def _identifier(base: list[Any], head: list[Any]) -> str | None:
    """The identifier key shared by every item on both sides, when its values are unique."""
    items = base + head
    if not items or not all(isinstance(item, dict) for item in items):
        return None
    for candidate in IDENTIFIER_KEYS:
        if all(
            candidate in item and isinstance(item[candidate], str | int | float) for item in items
        ):
            for side in (base, head):
                values = [_segment(item[candidate]) for item in side]
                if len(set(values)) != len(values):
                    return None
            return candidate
    return None


def compare_values(base: Any, head: Any) -> list[ItemDiff]:
    """Every key-level difference between ``base`` and ``head`` (not yet ordered)."""
    out: list[ItemDiff] = []
    _compare(base, head, (), (), False, out)
    return out


def _compare(  # noqa: PLR0917
    base: Any,
    head: Any,
    segments: tuple[str, ...],
    head_path: RawPath,
    secret: bool,
    out: list[ItemDiff],
) -> None:
    if isinstance(base, dict) and isinstance(head, dict):
        for key in sorted(base.keys() | head.keys()):
            _compare_member(
                base.get(key, _MISSING),
                head.get(key, _MISSING),
                (*segments, key),
                (*head_path, key),
                secret or is_secret_key(key),
                out,
            )
        return
    if isinstance(base, list) and isinstance(head, list):
        ident = _identifier(base, head)
        if ident is not None:
            base_items = {_segment(item[ident]): item for item in base}
            head_items = {_segment(item[ident]): (i, item) for i, item in enumerate(head)}
            for seg in sorted(base_items.keys() | head_items.keys()):
                index, head_item = head_items.get(seg, (-1, None))
                _compare_member(
                    base_items.get(seg, _MISSING),
                    head_item if index >= 0 else _MISSING,
                    (*segments, seg),
                    (*head_path, index),
                    secret,
                    out,
                )
            return
    if not json_equal(base, head):
        out.append(
            ItemDiff(
                segments=segments,
                operation="modified",
                before=base,
                after=head,
                type_changed=json_type(base) != json_type(head),
                head_path=head_path,
                secret=secret,
            )
        )


_MISSING: Any = object()


def _compare_member(  # noqa: PLR0917
    base: Any,
    head: Any,
    segments: tuple[str, ...],
    head_path: RawPath,
    secret: bool,
    out: list[ItemDiff],
) -> None:
    if base is _MISSING:
        out.append(
            ItemDiff(
                segments=segments, operation="added", after=head, head_path=head_path, secret=secret
            )
        )
    elif head is _MISSING:
        out.append(ItemDiff(segments=segments, operation="removed", before=base, secret=secret))
    else:
        _compare(base, head, segments, head_path, secret, out)
