"""Changeset diffs (raw and semantic), deterministic analysis and chat (API.md §9;
DOMAIN.md §9.5, §10). Any member; nothing is written."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody

from conman_domain.analysis import Analysis
from conman_domain.errors import FieldError, Validation
from conman_domain.usecases.review_aids import ChatReply, RawDiff, ReviewAids
from conman_http.auth import AuthContext, container_of
from conman_http.envelope import ok
from conman_http.query import strict_query
from conman_http.routes.common import api_doc, body_of, check_id, threaded
from conman_http.schemas.diffs import AnalyzeBody, ChatBody

__all__ = ["DIFF_ROUTES"]

TAGS = ["changesets"]
ONE = "/api/apps/{app_id:str}/changesets/{changeset_id:str}"


def review_aids_of(request: Request[Any, Any, Any]) -> ReviewAids:
    aids: ReviewAids = container_of(request).review_aids()
    return aids


@get(
    f"{ONE}/diff",
    tags=TAGS,
    operation_class=api_doc(response=RawDiff, query=("mode",)),
)
@threaded
def changeset_diff(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """``mode=raw`` (default): unified patch and stats (the documented schema);
    ``mode=semantic``: the camelCase SemanticDiff of DOMAIN.md §10.3."""
    mode = strict_query(request, {"mode"}).get("mode", "raw")
    if mode not in {"raw", "semantic"}:
        raise Validation("mode: must be raw or semantic", [FieldError("mode", "raw | semantic")])
    check_id("changeset", changeset_id)
    aids = review_aids_of(request)
    app = auth.require_app()
    if mode == "semantic":
        return ok(aids.semantic_diff(app, changeset_id))
    return ok(aids.raw_diff(app, changeset_id))


@post(
    f"{ONE}/analyze",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=AnalyzeBody, response=Analysis),
)
@threaded
def analyze_changeset(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """Risks and suggestions over the semantic diff, plus an LLM summary if configured."""
    strict_query(request, ())
    data = body_of(request, body, AnalyzeBody) if body.strip() else AnalyzeBody()
    check_id("changeset", changeset_id)
    return ok(review_aids_of(request).analyze(auth.require_app(), changeset_id, data.focus))


@post(
    f"{ONE}/chat",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=ChatBody, response=ChatReply),
)
@threaded
def chat_about_changeset(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    changeset_id: FromPath[str],
) -> Response[bytes]:
    """One LLM answer about the changeset; 503 ``ai_unavailable`` without an LLM."""
    strict_query(request, ())
    data = body_of(request, body, ChatBody)
    check_id("changeset", changeset_id)
    reply = review_aids_of(request).chat(
        auth.require_app(), changeset_id, data.message, data.file_paths
    )
    return ok(reply)


DIFF_ROUTES = [changeset_diff, analyze_changeset, chat_about_changeset]
