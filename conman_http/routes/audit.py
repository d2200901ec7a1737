"""The audit trail of an app (API.md §15; app_admin)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency

from conman_domain.errors import FieldError, Validation
from conman_domain.model import AuditContext, AuditEvent, Role
from conman_domain.usecases.audit_log import AuditFilter, ChainReport
from conman_http.auth import AuthContext, role_opt, services_of
from conman_http.envelope import ok, ok_list
from conman_http.query import parse_page, strict_query
from conman_http.routes.common import PAGE, api_doc, threaded

__all__ = ["AUDIT_ROUTES", "AuditEventView", "audit_event_view"]

TAGS = ["audit"]
PATH = "/api/apps/{app_id:str}/audit"
ADMIN = role_opt(Role.APP_ADMIN)
_FILTERS = {"entity_type", "entity_id", "action", "actor_user_id", "from", "to"}


class AuditEventView(msgspec.Struct, kw_only=True):
    """API shape AuditEvent."""

    id: str
    seq: int
    occurred_at: datetime
    actor_user_id: str | None
    app_id: str | None
    entity_type: str
    entity_id: str | None
    action: str
    before: Any
    after: Any
    git_sha: str | None
    context: AuditContext
    prev_hash: str
    hash: str


def audit_event_view(event: AuditEvent) -> AuditEventView:
    return AuditEventView(
        id=event.id,
        seq=event.seq,
        occurred_at=event.occurred_at,
        actor_user_id=event.actor_user_id,
        app_id=event.app_id,
        entity_type=event.entity_type,
        entity_id=event.entity_id,
        action=event.action,
        before=event.before,
        after=event.after,
        git_sha=event.git_sha,
        context=event.context,
        prev_hash=event.prev_hash,
        hash=event.hash,
    )


def _timestamp(name: str, text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        raise Validation(f"{name}: must be an RFC 3339 timestamp", [FieldError(name, "RFC 3339")])
    return value


@get(
    PATH,
    tags=TAGS,
    opt=ADMIN,
    operation_class=api_doc(response=AuditEventView, many=True, query=(*PAGE, *sorted(_FILTERS))),
)
@threaded
def list_audit(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Events of the app, newest first, with optional filters."""
    query = strict_query(request, {"page", "limit", *_FILTERS})
    page = parse_page(query)
    flt = AuditFilter(
        entity_type=query.get("entity_type"),
        entity_id=query.get("entity_id"),
        action=query.get("action"),
        actor_user_id=query.get("actor_user_id"),
        occurred_from=_timestamp("from", query.get("from")),
        occurred_to=_timestamp("to", query.get("to")),
    )
    items, total = services_of(request).audit_log.list(
        auth.require_app().id, flt, page.page, page.limit
    )
    return ok_list([audit_event_view(e) for e in items], page, total)


@get(f"{PATH}/verify", tags=TAGS, opt=ADMIN, operation_class=api_doc(response=ChainReport))
@threaded
def verify_audit(
    request: Request[Any, Any, Any], auth: NamedDependency[AuthContext]
) -> Response[bytes]:
    """Walk the app's hash chain and report the first break."""
    strict_query(request, ())
    return ok(services_of(request).audit_log.verify(auth.require_app().id))


AUDIT_ROUTES = [list_audit, verify_audit]
