"""Error envelope and the one table mapping error codes to HTTP statuses (API.md §1.3)."""

from __future__ import annotations

import logging
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, MethodNotAllowedException, NotFoundException

from conman_domain.errors import ConmanError
from conman_http.context import request_context

__all__ = [
    "JSON_MEDIA_TYPE",
    "STATUS_BY_CODE",
    "ErrorEnvelope",
    "error_response",
    "handle_exception",
]

JSON_MEDIA_TYPE = "application/json; charset=utf-8"
ROUTE_NOT_FOUND = "The requested route does not exist."
STORE_RETRY_AFTER_S = 5

STATUS_BY_CODE: dict[str, int] = {
    "validation_error": 400,
    "token_invalid": 400,
    "invite_invalid": 400,
    "unauthorized": 401,
    "invalid_credentials": 401,
    "forbidden": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "conflict": 409,
    "invalid_transition": 409,
    "uncommitted_changes": 409,
    "drift_detected": 409,
    "token_expired": 410,
    "invite_expired": 410,
    "grace_expired": 410,
    "payload_too_large": 413,
    "rate_limited": 429,
    "internal": 500,
    "not_implemented": 501,
    "git_error": 502,
    "ai_unavailable": 503,
    "service_unavailable": 503,
    "git_timeout": 504,
}

# Litestar's own HTTP exceptions (routing, its parameter parsing) by status.
_CODE_BY_FRAMEWORK_STATUS: dict[int, str] = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    429: "rate_limited",
    503: "service_unavailable",
}

_log = logging.getLogger("conman.http")


class _ErrorBody(msgspec.Struct, omit_defaults=True):
    code: str
    message: str
    request_id: str
    details: dict[str, Any] | None = None


class _ErrorEnvelope(msgspec.Struct):
    error: _ErrorBody


ErrorEnvelope = _ErrorEnvelope
"""API.md §1.2 error envelope (for the OpenAPI document)."""


def error_response(
    request: Request[Any, Any, Any],
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[bytes]:
    """Build the error envelope for ``code``; unknown codes become 500 ``internal``."""
    status = STATUS_BY_CODE.get(code)
    if status is None:
        code, message, details, status = "internal", "internal error", None, 500
    out_headers = dict(headers or {})
    if status == 429:
        retry = (details or {}).get("retry_after_seconds", 1)
        out_headers["Retry-After"] = str(retry)
    elif status == 503:
        out_headers.setdefault("Retry-After", str(STORE_RETRY_AFTER_S))
    ctx = request_context(request.scope)
    body = _ErrorEnvelope(
        _ErrorBody(code=code, message=message, request_id=ctx.request_id, details=details)
    )
    return Response(
        content=msgspec.json.encode(body),
        status_code=status,
        media_type=JSON_MEDIA_TYPE,
        headers=out_headers,
    )


def handle_exception(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """The single exception handler of the app (registered for ``Exception``)."""
    if isinstance(exc, ConmanError):
        if exc.code == "internal" or exc.code not in STATUS_BY_CODE:
            return _internal(request, exc)
        return error_response(request, exc.code, exc.message, exc.details)
    if isinstance(exc, NotFoundException):
        return error_response(request, "not_found", ROUTE_NOT_FOUND)
    if isinstance(exc, MethodNotAllowedException):
        return error_response(
            request, "method_not_allowed", "method not allowed", headers=dict(exc.headers or {})
        )
    if isinstance(exc, HTTPException) and exc.status_code < 500:
        code = _CODE_BY_FRAMEWORK_STATUS.get(exc.status_code, "validation_error")
        message = str(exc.detail)
        if code == "validation_error":
            message = f"validation: {message}"
        return error_response(request, code, message)
    return _internal(request, exc)


def _internal(request: Request[Any, Any, Any], exc: BaseException) -> Response[bytes]:
    ctx = request_context(request.scope)
    _log.error(
        "unhandled error on %s %s",
        request.method,
        request.scope.get("path_template", "<unmatched>"),
        exc_info=exc,
        extra={"request_id": ctx.request_id},
    )
    return error_response(request, "internal", "internal error")
