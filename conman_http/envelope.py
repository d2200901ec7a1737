"""Success envelopes (API.md §1.2): ``{"data": ...}`` plus ``pagination`` for lists."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import msgspec
from litestar import Response

from conman_http.errors import JSON_MEDIA_TYPE
from conman_http.query import Page

__all__ = ["Pagination", "json_response", "ok", "ok_list"]


class Pagination(msgspec.Struct):
    page: int
    limit: int
    total: int


class _Data(msgspec.Struct):
    data: Any


class _ListData(msgspec.Struct):
    data: Sequence[Any]
    pagination: Pagination


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response[bytes]:
    """Encode ``body`` (msgspec Structs, builtins) as ``application/json; charset=utf-8``."""
    return Response(
        content=msgspec.json.encode(body),
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
