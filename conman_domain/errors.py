"""The error hierarchy of Conman.

Every failure that crosses a port or a use case is a ``ConmanError`` with a stable
``code`` (API.md §1.3). The HTTP shell maps codes to statuses in one table and the
CLI maps them to exit codes in one table; nothing else inspects exception types.
Adapters wrap every driver exception into one of these (``raise GitUnavailable(...)
from exc``).
"""

from __future__ import annotations

from typing import Any, ClassVar

__all__ = [
    "AiUnavailable",
    "Conflict",
    "ConmanError",
    "DriftDetected",
    "FieldError",
    "Forbidden",
    "GateFailed",
    "GitConflict",
    "GitTimeout",
    "GitUnavailable",
    "GraceExpired",
    "Internal",
    "InvalidCredentials",
    "InvalidTransition",
    "InviteExpired",
    "InviteInvalid",
    "MailDeliveryFailed",
    "MethodNotAllowed",
    "NotFound",
    "NotImplementedYet",
    "PayloadTooLarge",
    "RateLimited",
    "ServiceUnavailable",
    "TokenExpired",
    "TokenInvalid",
    "Unauthorized",
    "UncommittedChanges",
    "Validation",
]


class ConmanError(Exception):
    """Root of every domain error. ``code`` is stable and part of the API contract."""

    code: ClassVar[str] = "internal"
    prefix: ClassVar[str] = ""

    def __init__(self, message: str = "", details: dict[str, Any] | None = None) -> None:
        if self.prefix and not message.startswith(self.prefix):
            message = f"{self.prefix}{message}"
        super().__init__(message)
        self.message = message
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class FieldError:
    """One field-level problem inside a ``Validation`` error."""

    __slots__ = ("field", "message")

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class Validation(ConmanError):
    """Bad input of any kind (400). ``fields`` names each offending field."""

    code = "validation_error"
    prefix = "validation: "

    def __init__(
        self,
        message: str,
        fields: list[FieldError] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        merged = dict(details or {})
        if fields:
            merged["fields"] = [f.as_dict() for f in fields]
        super().__init__(message, merged or None)
        self.fields = list(fields or [])


class TokenInvalid(ConmanError):
    """A password-reset token is unknown or already used (400)."""

    code = "token_invalid"


class InviteInvalid(ConmanError):
    """An invite token is unknown or already accepted (400)."""

    code = "invite_invalid"


class Unauthorized(ConmanError):
    """Missing, malformed, expired, revoked or otherwise unacceptable bearer token (401)."""

    code = "unauthorized"


class InvalidCredentials(ConmanError):
    """Login failed; identical for unknown email and wrong password (401)."""

    code = "invalid_credentials"


class Forbidden(ConmanError):
    """Authenticated but not allowed: role, ownership, self-review, blocked path (403)."""

    code = "forbidden"


class NotFound(ConmanError):
    """Entity missing or in another app (404). Message ``not found: <entity> <id>``."""

    code = "not_found"

    def __init__(self, entity: str, entity_id: str = "", message: str | None = None) -> None:
        super().__init__(message or f"not found: {entity} {entity_id}".rstrip())
        self.entity = entity
        self.entity_id = entity_id


class MethodNotAllowed(ConmanError):
    """Known path, unsupported method (405)."""

    code = "method_not_allowed"


class Conflict(ConmanError):
    """Uniqueness violation, lost compare-and-set, unmet gate, lock held (409)."""

    code = "conflict"
    prefix = "conflict: "


class GitConflict(Conflict):
    """A merge, rebase or revert conflict; ``details.conflicting_paths`` lists the paths."""

    def __init__(self, message: str, conflicting_paths: list[str]) -> None:
        super().__init__(message, {"conflicting_paths": sorted(set(conflicting_paths))})
        self.conflicting_paths = sorted(set(conflicting_paths))


class GateFailed(Conflict):
    """A validation gate ran and failed: a final job failure (DOMAIN.md §17.4).

    ``result`` is the gate result (§11.4) that the job runner keeps on the failed job.
    """

    prefix = ""

    def __init__(self, message: str, result: dict[str, Any]) -> None:
        super().__init__(message)
        self.result = result


class InvalidTransition(ConmanError):
    """The action is not allowed from the entity's current state (409)."""

    code = "invalid_transition"

    def __init__(self, from_state: str, to_state: str) -> None:
        super().__init__(
            f"invalid state transition: {from_state} -> {to_state}",
            {"from": from_state, "to": to_state},
        )
        self.from_state = from_state
        self.to_state = to_state


class UncommittedChanges(ConmanError):
    """The workspace working state must be checkpointed or discarded first (409)."""

    code = "uncommitted_changes"

    def __init__(self, workspace_id: str, message: str = "workspace has uncommitted changes"):
        super().__init__(message, {"workspace_id": workspace_id})


class DriftDetected(ConmanError):
    """A deployment is blocked by runtime-profile drift (409); details carry the report."""

    code = "drift_detected"


class TokenExpired(ConmanError):
    """A password-reset token is past its expiry (410)."""

    code = "token_expired"


class InviteExpired(ConmanError):
    """An invite is past its expiry (410)."""

    code = "invite_expired"


class GraceExpired(ConmanError):
    """Undo-expire of a temp environment after its grace period (410)."""

    code = "grace_expired"


class PayloadTooLarge(ConmanError):
    """Request body above the size limit (413)."""

    code = "payload_too_large"


class RateLimited(ConmanError):
    """Rate limit or login throttle (429); ``retry_after_seconds`` feeds Retry-After."""

    code = "rate_limited"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "Too many requests. Please wait and try again.",
            {"retry_after_seconds": retry_after_seconds},
        )
        self.retry_after_seconds = retry_after_seconds


class Internal(ConmanError):
    """Unexpected failure (500). The client only ever sees "internal error"."""

    code = "internal"


class NotImplementedYet(ConmanError):
    """A declared route that the running build does not provide (501)."""

    code = "not_implemented"


class GitUnavailable(ConmanError):
    """The git backend is unreachable or failed after retries (502)."""

    code = "git_error"


class AiUnavailable(ConmanError):
    """No LLM configured, or the provider failed (503, chat only)."""

    code = "ai_unavailable"


class ServiceUnavailable(ConmanError):
    """The store is unreachable, has no primary, or timed out (503, Retry-After: 5)."""

    code = "service_unavailable"


class MailDeliveryFailed(ServiceUnavailable):
    """The mail provider is unreachable, refused the message or timed out.

    A ``ServiceUnavailable`` as ``MailerPort`` promises, but its own type so that the
    outbox drain can retry a mail without mistaking a store outage for a bad send.
    """


class GitTimeout(ConmanError):
    """A git call still exceeded its deadline after retries (504)."""

    code = "git_timeout"
