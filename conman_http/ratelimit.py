"""Rate limits (API.md §1.11): per-IP for ``/api/auth/*`` (step 3 of §1.4, in this
middleware) and per-user (step 5, applied by ``conman_http.auth`` after the token is
checked). Counters are kept per API process; a limit of 0 disables it. Authenticated
responses carry ``X-RateLimit-Limit/-Remaining/-Reset`` of the general per-user limit.
"""

from __future__ import annotations

import threading
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from conman_adapters.config import Settings
from conman_domain.errors import RateLimited
from conman_domain.ratelimit import FixedWindowLimiter, RateDecision
from conman_http.client_ip import client_ip
from conman_http.context import runtime_of

__all__ = [
    "RateLimiters",
    "limiters_of",
    "rate_limit_middleware",
    "remember_decision",
]

AUTH_PREFIX = "/api/auth/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_STATE_KEY = "conman_rate_limiters"
_DECISION_KEY = "conman_rate_decision"
_create_lock = threading.Lock()


class RateLimiters:
    """The three fixed-window limiters of one API process."""

    def __init__(self, settings: Settings) -> None:
        self.user = FixedWindowLimiter(settings.rate_limit_user_per_min)
        self.writes = FixedWindowLimiter(settings.rate_limit_writes_per_min)
        self.auth_ip = FixedWindowLimiter(settings.rate_limit_auth_ip_per_min)


def limiters_of(scope: Scope) -> RateLimiters:
    """The process's limiters, created on first use from the container's settings."""
    state: State = scope["litestar_app"].state
    limiters = state.get(_STATE_KEY)
    if limiters is None:
        with _create_lock:
            limiters = state.get(_STATE_KEY)
            if limiters is None:
                limiters = RateLimiters(state["container"].settings())
                state[_STATE_KEY] = limiters
    assert isinstance(limiters, RateLimiters)
    return limiters


def remember_decision(scope: Scope, decision: RateDecision) -> None:
    """Keep the per-user decision so the response gets the ``X-RateLimit-*`` headers."""
    state: dict[str, Any] = scope.setdefault("state", {})
    state[_DECISION_KEY] = decision


def _headers(decision: RateDecision) -> list[tuple[bytes, bytes]]:
    return [
        (b"x-ratelimit-limit", str(decision.limit).encode()),
        (b"x-ratelimit-remaining", str(decision.remaining).encode()),
        (b"x-ratelimit-reset", str(decision.reset_epoch).encode()),
    ]


def rate_limit_middleware(app: ASGIApp) -> ASGIApp:
    """Per-IP limit of ``/api/auth/*`` before authentication, and the response headers."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        if str(scope.get("path", "")).startswith(AUTH_PREFIX):
            _check_auth_ip(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                decision = scope.get("state", {}).get(_DECISION_KEY)
                if isinstance(decision, RateDecision) and decision.limit > 0:
                    message["headers"] = [*message.get("headers", ()), *_headers(decision)]
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


def _check_auth_ip(scope: Scope) -> None:
    runtime = runtime_of(scope)
    request: Request[Any, Any, Any] = Request(scope)
    decision = limiters_of(scope).auth_ip.hit(client_ip(request), runtime.clock.now())
    if not decision.allowed:
        runtime.metrics.rate_limited.inc()
        raise RateLimited(decision.retry_after_seconds or 1)
