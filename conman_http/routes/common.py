"""Helpers shared by the identity routes: strict bodies on sync handlers, path ids."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
import msgspec
from litestar import Request
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody

from conman_domain.errors import NotFound
from conman_http.body import decode_body
from conman_http.query import strict_query
from conman_http.schemas import NoBody

__all__ = ["NO_STORE", "body_of", "check_id", "json_body", "no_body", "threaded"]

T = TypeVar("T")
P = ParamSpec("P")
NO_STORE = {"Cache-Control": "no-store"}
_OBJECT_ID = re.compile(r"[0-9a-f]{24}")


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


def json_body(model: type[msgspec.Struct]) -> type[Operation]:
    """An ``operation_class`` documenting ``model`` as the JSON request body.

    The handlers decode the raw body themselves (strict, API.md §1.1), so Litestar
    cannot infer the body schema; this puts msgspec's JSON schema of ``model``
    (inlined, without ``$defs``) into the OpenAPI operation.
    """
    raw = msgspec.json.schema(model)
    defs = raw.pop("$defs", {})
    schema = _inline(raw, defs)

    @dataclass
    class JsonBodyOperation(Operation):
        def __post_init__(self) -> None:
            media = OpenAPIMediaType(schema=schema)
            self.request_body = RequestBody(content={"application/json": media}, required=True)

    return JsonBodyOperation
