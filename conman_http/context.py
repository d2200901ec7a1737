"""Per-request context: request id, timing, body-size limit, metrics and access log.

The context is created lazily the first time anything asks for it, so requests that
never reach a route (404, 405) still get a request id. The app's ``before_send``
hook stamps ``X-Request-Id`` on every response and records the request metrics with
the route template (never the raw path).
"""

from __future__ import annotations

import contextvars
import logging
import re
from collections.abc import Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from conman_adapters.metrics import ConmanMetrics
from conman_domain.errors import PayloadTooLarge
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.ids import IdPort

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "UNMATCHED_ROUTE",
    "HttpRuntime",
    "RequestContext",
    "before_send",
    "current_request_id",
    "request_context",
    "request_context_middleware",
    "runtime_of",
]

DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
UNMATCHED_ROUTE = "<unmatched>"
_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_STATE_KEY = "conman_request_context"
_request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "conman_request_id", default=None
)
_access_log = logging.getLogger("conman.access")


class HttpRuntime:
    """What the HTTP plumbing needs from the container, kept on ``app.state``."""

    def __init__(
        self,
        *,
        ids: IdPort,
        clock: ClockPort,
        metrics: ConmanMetrics,
        trusted_proxies: Sequence[IPv4Network | IPv6Network] = (),
    ) -> None:
        self.ids = ids
        self.clock = clock
        self.metrics = metrics
        self.trusted_proxies = list(trusted_proxies)


class RequestContext(msgspec.Struct, kw_only=True):
    request_id: str
    started: float


def runtime_of(scope: Scope) -> HttpRuntime:
    runtime: HttpRuntime = scope["litestar_app"].state["conman_runtime"]
    return runtime


def current_request_id() -> str | None:
    """The request id of the request being handled in this task, for logs."""
    return _request_id_var.get()


def _incoming_request_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _REQUEST_ID_RE.fullmatch(text) else None
    return None


def request_context(scope: Scope) -> RequestContext:
    """The request's context, created on first use (accepting a valid ``X-Request-Id``)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    ctx = state.get(_STATE_KEY)
    if ctx is None:
        runtime = runtime_of(scope)
        ctx = RequestContext(
            request_id=_incoming_request_id(scope) or runtime.ids.request_id(),
            started=runtime.clock.monotonic(),
        )
        state[_STATE_KEY] = ctx
    return ctx


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _limited_receive(receive: Receive, limit: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        return message  # type: ignore[return-value]

    return wrapped  # type: ignore[return-value]


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    """Route middleware: starts the context early and enforces the body-size limit.

    A route may set ``opt={"max_body_bytes": N}`` (``None`` = checked by the handler).
    The check runs before the body is read, on ``Content-Length`` and on the bytes
    actually received (chunked uploads).
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        ctx = request_context(scope)
        token = _request_id_var.set(ctx.request_id)
        try:
            handler = scope.get("route_handler")
            opt = getattr(handler, "opt", None) or {}
            limit = opt.get("max_body_bytes", DEFAULT_MAX_BODY_BYTES)
            if limit is not None:
                length = _content_length(scope)
                if length is not None and length > limit:
                    raise PayloadTooLarge(f"request body is larger than {limit} bytes")
                receive = _limited_receive(receive, limit)
            await app(scope, receive, send)
        finally:
            _request_id_var.reset(token)

    return middleware


async def before_send(message: Message, scope: Scope) -> None:
    """Stamp ``X-Request-Id`` and record metrics + the access log on response start."""
    if message["type"] != "http.response.start" or scope["type"] != ScopeType.HTTP:
        return
    ctx = request_context(scope)
    headers = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-request-id"]
    headers.append((b"x-request-id", ctx.request_id.encode("ascii")))
    message["headers"] = headers
    runtime = runtime_of(scope)
    template = scope.get("path_template") if "route_handler" in scope else None
    path = template or UNMATCHED_ROUTE
    method = str(scope.get("method", "GET"))
    status = int(message["status"])
    duration = max(0.0, runtime.clock.monotonic() - ctx.started)
    runtime.metrics.observe_http(method, path, status, duration)
    _access_log.info(
        "%s %s %s",
        method,
        path,
        status,
        extra={
            "request_id": ctx.request_id,
            "method": method,
            "path": path,
            "status": status,
            "duration_ms": round(duration * 1000, 3),
        },
    )
