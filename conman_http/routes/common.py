"""Helpers shared by the identity routes: strict bodies on sync handlers, path ids."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
import msgspec
from litestar import Request
from litestar.enums import ParamType
from litestar.openapi.spec import (
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    RequestBody,
    Schema,
)

from conman_domain.errors import NotFound
from conman_http.body import decode_body
from conman_http.envelope import Pagination
from conman_http.errors import ErrorEnvelope
from conman_http.query import strict_query
from conman_http.schemas import NoBody

__all__ = [
    "NO_STORE",
    "PAGE",
    "MessageView",
    "api_doc",
    "body_of",
    "check_id",
    "json_body",
    "no_body",
    "threaded",
]

T = TypeVar("T")
P = ParamSpec("P")
NO_STORE = {"Cache-Control": "no-store"}
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_TEXT = Schema(type=OpenAPIType.STRING)
PAGE = ("page", "limit")
"""The query parameters of every paginated list (API.md §1.5)."""


def body_of(request: Request[Any, Any, Any], raw: bytes, model: type[T]) -> T:
    """Decode the raw body strictly into ``model`` (400 on any problem).

    Routes with a body document no query parameters, so any query name → 400 too
    (API.md §1.1); this runs at step 9 of §1.4, after authentication and the role guard.
    """
    strict_query(request, ())
    return decode_body(raw, request.headers.get("content-type"), model)


def no_body(request: Request[Any, Any, Any], raw: bytes) -> None:
    """A "no body" route: nothing or ``{}``; any field or any query parameter → 400."""
    strict_query(request, ())
    if raw.strip():
        body_of(request, raw, NoBody)


def check_id(entity: str, value: str) -> str:
    """Path ids that are not 24 lowercase hex characters are unknown ids (404)."""
    if not _OBJECT_ID.fullmatch(value):
        raise NotFound(entity, value)
    return value


def threaded(fn: Callable[P, T]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Run a blocking handler in a worker thread, as an async handler.

    Litestar 2.25 answers 500 for a sync ``sync_to_thread`` handler that shares its path
    with another one when an app-level dependency is involved (the coroutine of the
    thread call is never awaited), so the identity handlers are async wrappers instead.
    """

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args, **kwargs))

    return wrapper


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, defs) for value in node]
    return node


def _schema(model: Any) -> dict[str, Any]:
    raw = msgspec.json.schema(model)
    defs = raw.pop("$defs", {})
    inlined: dict[str, Any] = _inline(raw, defs)
    return inlined


_PAGINATION = _schema(Pagination)
_ERROR = _schema(ErrorEnvelope)


def _envelope(data: dict[str, Any], many: bool) -> dict[str, Any]:
    """API.md §1.2: ``{"data": ...}``, lists with ``pagination``."""
    if not many:
        return {"type": "object", "properties": {"data": data}, "required": ["data"]}
    listed = {"type": "array", "items": data}
    return {
        "type": "object",
        "properties": {"data": listed, "pagination": _PAGINATION},
        "required": ["data", "pagination"],
    }


def api_doc(
    *,
    body: type[msgspec.Struct] | None = None,
    response: Any = None,
    many: bool = False,
    query: Sequence[str] = (),
) -> type[Operation]:
    """An ``operation_class`` that documents what the raw handlers parse themselves.

    The handlers decode the body and the query strictly (API.md §1.1), so Litestar
    cannot infer them: this adds ``body`` (a Struct) as the JSON request body, the
    ``query`` names as optional string query parameters, and ``response`` (a Struct,
    or any type msgspec can describe) wrapped in the §1.2 envelope (``many``: a
    paginated list) as the schema of the success response.
    """
    body_schema = None if body is None else _schema(body)
    response_schema = None if response is None else _envelope(_schema(response), many)

    @dataclass
    class DocumentedOperation(Operation):
        def __post_init__(self) -> None:
            if body_schema is not None:
                media = OpenAPIMediaType(schema=body_schema)  # type: ignore[arg-type]
                self.request_body = RequestBody(content={"application/json": media}, required=True)
            if query:
                params = list(self.parameters or [])
                params += [
                    Parameter(name=name, param_in=ParamType.QUERY, required=False, schema=_TEXT)
                    for name in query
                ]
                self.parameters = params
            if response_schema is not None:
                self._document_success(response_schema)

        def _document_success(self, schema: dict[str, Any]) -> None:
            responses = dict(self.responses or {})
            status = next((code for code in responses if code.startswith("2")), "200")
            for code, old in list(responses.items()):
                described = old.description if isinstance(old, OpenAPIResponse) else "Error"
                body = schema if code == status else _ERROR
                media = OpenAPIMediaType(schema=body)  # type: ignore[arg-type]
                responses[code] = OpenAPIResponse(
                    description=described, content={"application/json": media}
                )
            if status not in responses:
                media = OpenAPIMediaType(schema=schema)  # type: ignore[arg-type]
                content = {"application/json": media}
                responses[status] = OpenAPIResponse(description="Success", content=content)
            self.responses = responses

    return DocumentedOperation


def json_body(model: type[msgspec.Struct]) -> type[Operation]:
    """An ``operation_class`` documenting ``model`` as the JSON request body (only)."""
    return api_doc(body=model)


class MessageView(msgspec.Struct):
    """``{"message": str}`` answers (logout, removals, forgot/reset password)."""

    message: str
