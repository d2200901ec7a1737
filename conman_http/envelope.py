"""Success envelopes (API.md §1.2): ``{"data": ...}`` plus ``pagination`` for lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
from litestar import Response

from conman_http.errors import JSON_MEDIA_TYPE
from conman_http.query import Page

__all__ = ["Pagination", "encode_json", "json_response", "ok", "ok_list", "rfc3339_ms"]


class Pagination(msgspec.Struct):
    page: int
    limit: int
    total: int


class _Data(msgspec.Struct):
    data: Any


class _ListData(msgspec.Struct):
    data: Sequence[Any]
    pagination: Pagination


def rfc3339_ms(value: datetime) -> str:
    """API.md §1.7: RFC 3339 UTC with exactly three fractional digits and ``Z``."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def _timestamps_in_ms(value: Any) -> Any:
    if isinstance(value, datetime):
        return rfc3339_ms(value)
    if isinstance(value, dict):
        return {key: _timestamps_in_ms(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_timestamps_in_ms(item) for item in value]
    return value


def encode_json(body: Any) -> bytes:
    """Encode ``body`` with every timestamp rendered at millisecond precision."""
    return msgspec.json.encode(
        _timestamps_in_ms(msgspec.to_builtins(body, builtin_types=(datetime,)))
    )


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    """Encode ``body`` (msgspec Structs, builtins) as ``application/json; charset=utf-8``."""
    return Response(
        content=encode_json(body),
        status_code=status_code,
        media_type=JSON_MEDIA_TYPE,
        headers=headers,
    )


def ok(data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response[bytes]:
    """``{"data": data}``."""
    return json_response(_Data(data), status_code, headers)


def ok_list(items: Sequence[Any], page: Page, total: int) -> Response[bytes]:
    """``{"data": items, "pagination": {page, limit, total}}``."""
    return json_response(_ListData(items, Pagination(page.page, page.limit, total)))
