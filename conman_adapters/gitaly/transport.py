"""gRPC plumbing of ``GitalyGit``: one channel per address, deadlines, retries, errors.

- One ``grpc.Channel`` per process and address (HTTP/2 multiplexes every call).
- Every call belongs to a class with its own deadline (DOMAIN.md §6.3).
- UNAVAILABLE, DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED are retried: at most 3
  attempts, backoff 100 ms then 200 ms plus 0-50 % jitter. After the last attempt
  DEADLINE_EXCEEDED → ``GitTimeout`` (504), the others → ``GitUnavailable`` (502).
- Any other failure is raised as ``RpcFailed`` carrying the status code, message and
  structured details; ``map_status`` turns it into a domain error (GITALY.md).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal, TypeVar

import grpc
import msgspec

from conman_adapters.gitaly._pb import errors_pb2, operations_pb2
from conman_adapters.gitaly.rpc_status import decode_details
from conman_domain.errors import (
    Conflict,
    ConmanError,
    Forbidden,
    GitConflict,
    GitTimeout,
    GitUnavailable,
    NotFound,
    Validation,
)

__all__ = [
    "CallClass",
    "GitalyDeadlines",
    "RetryPolicy",
    "RpcFailed",
    "RpcStatus",
    "Transport",
    "channel_for",
    "close_channel",
    "map_status",
]

T = TypeVar("T")
CallClass = Literal["metadata", "read", "diff", "write", "merge"]

RETRYABLE = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED"})
_MAX_MESSAGE = 64 * 1024 * 1024


class GitalyDeadlines(msgspec.Struct, frozen=True, kw_only=True):
    """Per-attempt deadline in seconds of each call class (DOMAIN.md §6.3)."""

    metadata: float = 5.0
    read: float = 10.0
    diff: float = 30.0
    write: float = 30.0
    merge: float = 60.0

    def of(self, kind: CallClass) -> float:
        """The deadline of ``kind``."""
        return float(getattr(self, kind))


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Attempts in total and the base backoff before each retry (plus jitter)."""

    attempts: int = 3
    backoff: tuple[float, ...] = (0.1, 0.2)
    jitter: float = 0.5


class RpcStatus(msgspec.Struct, frozen=True, kw_only=True):
    """A non-OK gRPC status: code name (``NOT_FOUND``), message, details by type name."""

    code: str
    message: str
    details: dict[str, bytes] = msgspec.field(default_factory=dict)


class RpcFailed(Exception):
    """A call failed with a non-retryable status; mapped by the caller or ``map_status``."""

    def __init__(self, status: RpcStatus) -> None:
        super().__init__(f"{status.code}: {status.message}")
        self.status = status


_channels: dict[str, grpc.Channel] = {}
_channels_lock = threading.Lock()


def channel_for(address: str) -> grpc.Channel:
    """The process-wide channel of ``address`` (``host:port``, ``tcp://``, ``tls://``,
    ``unix:``), created on first use."""
    with _channels_lock:
        channel = _channels.get(address)
        if channel is None:
            options = [
                ("grpc.max_receive_message_length", _MAX_MESSAGE),
                ("grpc.max_send_message_length", _MAX_MESSAGE),
            ]
            if address.startswith("tls://"):
                creds = grpc.ssl_channel_credentials()
                channel = grpc.secure_channel(address[len("tls://") :], creds, options)
            else:
                target = address.removeprefix("tcp://")
                channel = grpc.insecure_channel(target, options)
            _channels[address] = channel
        return channel


def close_channel(address: str) -> None:
    """Close and forget the channel of ``address`` (tests start many servers)."""
    with _channels_lock:
        channel = _channels.pop(address, None)
    if channel is not None:
        channel.close()


def _status_of(exc: grpc.RpcError) -> RpcStatus:
    call: Any = exc
    code = call.code() if hasattr(call, "code") else None
    name = code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"
    message = str(call.details() or "") if hasattr(call, "details") else str(exc)
    trailing = call.trailing_metadata() if hasattr(call, "trailing_metadata") else None
    return RpcStatus(code=name, message=message, details=decode_details(trailing))


class Transport:
    """Runs calls with the class deadline and the retry policy."""

    def __init__(
        self,
        channel: grpc.Channel,
        deadlines: GitalyDeadlines,
        retry: RetryPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.channel = channel
        self.deadlines = deadlines
        self.retry = retry
        self._sleep = sleep
        self._random = random.Random()

    def call(self, kind: CallClass, invoke: Callable[[float], T]) -> T:
        """Run ``invoke(timeout)``; it must consume any response stream itself so that a
        retry never repeats half-read results."""
        timeout = self.deadlines.of(kind)
        attempt = 0
        while True:
            attempt += 1
            try:
                return invoke(timeout)
            except grpc.RpcError as exc:
                status = _status_of(exc)
                if status.code not in RETRYABLE:
                    raise RpcFailed(status) from exc
                if attempt >= self.retry.attempts:
                    if status.code == "DEADLINE_EXCEEDED":
                        raise GitTimeout(
                            f"gitaly call exceeded its {timeout:g}s deadline "
                            f"{attempt} times: {status.message}"
                        ) from exc
                    raise GitUnavailable(
                        f"gitaly unavailable after {attempt} attempts: {status.message}"
                    ) from exc
                base = self.retry.backoff[min(attempt - 1, len(self.retry.backoff) - 1)]
                self._sleep(base * (1 + self._random.uniform(0, self.retry.jitter)))


def merge_conflict_paths(details: dict[str, bytes]) -> list[str] | None:
    """Conflicting files of a ``MergeConflictError`` detail, if the status carries one."""
    raw = details.get("gitaly.UserRevertError")
    if raw is not None:
        revert = operations_pb2.UserRevertError.FromString(raw)
        if revert.HasField("merge_conflict"):
            return _paths(revert.merge_conflict.conflicting_files)
    raw = details.get("gitaly.MergeConflictError")
    if raw is not None:
        return _paths(errors_pb2.MergeConflictError.FromString(raw).conflicting_files)
    return None


def _paths(raw: Sequence[bytes]) -> list[str]:
    return sorted({p.decode("utf-8", "surrogateescape") for p in raw})


def map_status(
    status: RpcStatus, *, entity: str = "repository", entity_id: str = ""
) -> ConmanError:
    """The domain error of a failed call (GITALY.md "Status mapping")."""
    text = f"gitaly: {status.message}"
    if status.code == "NOT_FOUND":
        return NotFound(entity, entity_id)
    if status.code == "ABORTED" and "gitaly.UpdateReferencesError" in status.details:
        return Conflict(text)  # a lost compare-and-swap or a locked reference
    if status.code in {"ALREADY_EXISTS", "FAILED_PRECONDITION"}:
        paths = merge_conflict_paths(status.details)
        if paths is not None:
            return GitConflict(text, paths)
        return Conflict(text)
    if status.code == "INVALID_ARGUMENT":
        return Validation(text)
    if status.code == "PERMISSION_DENIED":
        return Forbidden(text)
    if status.code == "DEADLINE_EXCEEDED":
        return GitTimeout(text)
    return GitUnavailable(text)
