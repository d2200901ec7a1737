"""Shared state of the test server: storage root, call log, fault hooks, error helpers."""

from __future__ import annotations

import functools
import shutil
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import grpc

from conman_adapters.gitaly.rpc_status import DETAILS_KEY, encode_status


class Abort(Exception):
    """Raised by handlers to fail the call with a status and structured details."""

    def __init__(self, code: grpc.StatusCode, message: str, details: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = list(details)


class Faults:
    """Fault injection: per method name (``FindBranch``) a delay, a stop, or failures."""

    def __init__(self) -> None:
        self.delays: dict[str, float] = {}
        self.stop_during: set[str] = set()
        self.fail_next: dict[str, list[grpc.StatusCode]] = {}
        self.stopper: Callable[[], None] | None = None


class State:
    """Repositories live at ``<root>/<storage>/<relative_path>``."""

    def __init__(self, root: Path, faults: Faults) -> None:
        self.root = root
        self.faults = faults
        self.calls: list[tuple[str, Any]] = []
        self.lock = threading.Lock()

    def path(self, repository: Any) -> Path:
        rel: str = repository.relative_path
        if not repository.storage_name or not rel or ".." in rel.split("/") or rel.startswith("/"):
            raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "invalid repository")
        storage: str = repository.storage_name
        return self.root / storage / rel

    def repo(self, repository: Any) -> Path:
        path = self.path(repository)
        if not (path / "HEAD").is_file():
            raise Abort(
                grpc.StatusCode.NOT_FOUND, f"repository not found: {repository.relative_path}"
            )
        return path

    def remove(self, path: Path) -> None:
        shutil.rmtree(path)


def check_user(request: Any) -> None:
    """Mutating User* calls run hooks: they need gl_repository and a user."""
    if not request.repository.gl_repository:
        raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "empty GlRepository")
    if not request.user.gl_id or not request.user.email:
        raise Abort(grpc.StatusCode.INVALID_ARGUMENT, "empty User")


def _abort(context: grpc.ServicerContext, exc: Abort) -> None:
    if exc.details:
        status = encode_status(exc.code.value[0], exc.message, exc.details)
        context.set_trailing_metadata(((DETAILS_KEY, status),))
    context.abort(exc.code, exc.message)


def _before(state: State, name: str, request: Any) -> None:
    with state.lock:
        state.calls.append((name, request))
        queued = state.faults.fail_next.get(name)
        code = queued.pop(0) if queued else None
    if code is not None:
        raise Abort(code, f"injected {code.name}")
    delay = state.faults.delays.get(name)
    if delay:
        time.sleep(delay)
    if name in state.faults.stop_during and state.faults.stopper is not None:
        state.faults.stopper()
        time.sleep(5)  # the stop cancels this call; never answer it


def rpc(kind: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap a servicer method: log it, apply faults, turn ``Abort`` into a status.

    ``kind`` is ``unary`` (one request, one reply), ``stream`` (one request, yields
    replies) or ``client`` (request iterator, one reply).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = fn.__name__

        if kind == "stream":

            @functools.wraps(fn)
            def streaming(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
                try:
                    _before(self.state, name, request)
                    yield from fn(self, request, context)
                except Abort as exc:
                    _abort(context, exc)

            return streaming

        @functools.wraps(fn)
        def unary(self: Any, request: Any, context: grpc.ServicerContext) -> Any:
            try:
                if kind == "client":
                    request = list(request)
                _before(self.state, name, request)
                return fn(self, request, context)
            except Abort as exc:
                _abort(context, exc)
                return None

        return unary

    return decorate
