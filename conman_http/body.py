"""Strict JSON request bodies (API.md §1.1): no unknown fields, no coercion."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request

from conman_domain.errors import FieldError, Validation

__all__ = ["decode_body", "read_json", "read_no_body"]

T = TypeVar("T")

_AT_RE = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_FIELD_RE = re.compile(r"(?:unknown|required) field `(?P<name>[^`]+)`")
_empty = msgspec.json.Decoder(dict[str, Any])


def _field_error(exc: msgspec.ValidationError) -> FieldError:
    match = _AT_RE.match(str(exc))
    message = match.group("msg") if match else str(exc)
    path = ((match.group("path") if match else None) or "").lstrip(".")
    named = _FIELD_RE.search(message)
    if named is not None:
        path = f"{path}.{named.group('name')}" if path else named.group("name")
    return FieldError(path or "body", message)


def decode_body(raw: bytes, content_type: str | None, model: type[T]) -> T:
    """Decode one JSON object into ``model`` (a Struct declared with
    ``forbid_unknown_fields=True``). Every failure is a 400 ``Validation`` whose
    ``fields`` name the offending path, e.g. ``fields[0].colour``."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise Validation(
            "content type must be application/json",
            [FieldError("Content-Type", "must be application/json")],
        )
    if raw.lstrip()[:1] != b"{":
        raise Validation("body must be a JSON object", [FieldError("body", "must be an object")])
    try:
        return msgspec.json.decode(raw, type=model, strict=True)
    except msgspec.ValidationError as exc:
        error = _field_error(exc)
        raise Validation(f"{error.field}: {error.message}", [error]) from exc
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        # msgspec raises UnicodeDecodeError for invalid UTF-8 inside a string.
        raise Validation("malformed JSON", [FieldError("body", str(exc))]) from exc


async def read_json(request: Request[Any, Any, Any], model: type[T]) -> T:
    """Read the (size-checked) body of ``request`` and ``decode_body`` it."""
    raw = await request.body()
    return decode_body(raw, request.headers.get("content-type"), model)


async def read_no_body(request: Request[Any, Any, Any]) -> None:
    """For routes documented as "no body": accept nothing or ``{}``, else 400."""
    raw = await request.body()
    if not raw.strip():
        return
    media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise Validation("content type must be application/json")
    try:
        value = _empty.decode(raw)
    except msgspec.ValidationError as exc:
        raise Validation("body must be a JSON object", [FieldError("body", str(exc))]) from exc
    except (msgspec.DecodeError, UnicodeDecodeError) as exc:
        raise Validation("malformed JSON", [FieldError("body", str(exc))]) from exc
    if value:
        name = next(iter(value))
        raise Validation(f"{name}: unknown field", [FieldError(name, "this route takes no body")])
