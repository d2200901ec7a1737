"""Files of a workspace's working state: read or list, write, delete, checkpoint
(API.md §1.8, §1.9, §8.2).

``PUT files`` checks its own body size (route ``opt`` ``max_body_bytes: None``): the
app's limit is only known once the app is loaded (API.md §1.4 step 6), so the body is
read after authentication, counted while it streams in, and refused with 413 above
max(10 MiB, ceil(file_size_limit_bytes * 4 / 3) + 1 MiB).
"""

from __future__ import annotations

import functools
from typing import Any

import anyio.to_thread
from litestar import Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, RawBody
from msgspec import UNSET

from conman_domain.errors import FieldError, PayloadTooLarge, Validation
from conman_domain.rules.paths import validate_path
from conman_domain.usecases.file_browse import BrowsePath
from conman_domain.usecases.files import (
    Checkpoint,
    CheckpointCmd,
    CheckpointResult,
    DeleteFile,
    DeleteFileCmd,
    DeleteResult,
    Encoding,
    FileContent,
    ReadPathCmd,
    WriteFile,
    WriteFileCmd,
    WriteResult,
    decode_content,
)
from conman_http.auth import AuthContext
from conman_http.context import DEFAULT_MAX_BODY_BYTES
from conman_http.envelope import Pagination, json_response, ok
from conman_http.query import parse_page, strict_query
from conman_http.routes.common import PAGE, api_doc, body_of, threaded
from conman_http.routes.workspaces import workspace_deps_of, workspace_ref
from conman_http.schemas.workspaces import CheckpointBody, DeleteFileBody, WriteFileBody

__all__ = ["FILE_ROUTES", "files_body_limit"]

TAGS = ["files"]
ONE = "/api/apps/{app_id:str}/workspaces/{workspace_id:str}"
FILES = f"{ONE}/files"
MIB = 1024 * 1024
MESSAGE_MAX = 500
ENCODINGS: dict[str, Encoding] = {"base64": "base64", "utf-8": "utf-8"}


def _check_input(path: str | None, message: str | None, *, for_write: bool = True) -> None:
    """Input rules that need no loaded data, checked before the workspace lookup and the
    ownership check (API.md §1.4 step 9); the use cases check them again."""
    if path is not None:
        validate_path(path, for_write=for_write)
    if message is not None and not 1 <= len(message) <= MESSAGE_MAX:
        raise Validation("message must be 1..500 characters", [FieldError("message", "1..500")])


def files_body_limit(file_size_limit_bytes: int) -> int:
    """API.md §1.9: max(10 MiB, ceil(limit * 4 / 3) + 1 MiB)."""
    return max(DEFAULT_MAX_BODY_BYTES, -(-file_size_limit_bytes * 4 // 3) + MIB)


@get(
    FILES,
    tags=TAGS,
    operation_class=api_doc(response=FileContent, query=("path", "encoding", *PAGE)),
)
@threaded
def read_files(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    workspace_id: FromPath[str],
) -> Response[bytes]:
    """A file, or a directory: ``{path, type: "dir", entries: [{path, name, type, size,
    oid}]}``, directories first, then files, by name in byte order. The whole level is
    returned (API.md §8.2); with ``page`` or ``limit`` the entries are paged and the
    response adds ``pagination``."""
    query = strict_query(request, {"path", "encoding", "page", "limit"})
    page = parse_page(query)
    paged = "page" in query or "limit" in query
    encoding = ENCODINGS.get(query.get("encoding", "base64"))
    if encoding is None:
        raise Validation(
            "encoding: must be base64 or utf-8", [FieldError("encoding", "base64 | utf-8")]
        )
    _check_input(query.get("path", ""), None, for_write=False)
    cmd = ReadPathCmd(
        ref=workspace_ref(auth, workspace_id), path=query.get("path", ""), encoding=encoding
    )
    result = BrowsePath(workspace_deps_of(request))(
        cmd, page=page.page, limit=page.limit if paged else None
    )
    if result.total is None:
        return ok(result.item)
    pagination = Pagination(page=page.page, limit=page.limit, total=result.total)
    return json_response({"data": result.item, "pagination": pagination})


async def _read_limited(request: Request[Any, Any, Any], limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"request body is larger than {limit} bytes")
    chunks: list[bytes] = []
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > limit:
            raise PayloadTooLarge(f"request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _write(
    request: Request[Any, Any, Any], raw: bytes, auth: AuthContext, workspace_id: str
) -> Response[bytes]:
    strict_query(request, ())
    data = body_of(request, raw, WriteFileBody)
    message = None if data.message is UNSET else data.message
    _check_input(data.path, message)
    decode_content(data.content, data.encoding)  # bad base64 → 400 (step 9)
    cmd = WriteFileCmd(
        ref=workspace_ref(auth, workspace_id),
        path=data.path,
        content=data.content,
        encoding=data.encoding,
        message=message,
    )
    return ok(WriteFile(workspace_deps_of(request))(cmd))


@put(
    FILES,
    tags=TAGS,
    opt={"max_body_bytes": None},
    operation_class=api_doc(body=WriteFileBody, response=WriteResult),
)
async def write_file(
    request: Request[Any, Any, Any],
    auth: NamedDependency[AuthContext],
    workspace_id: FromPath[str],
) -> Response[bytes]:
    """Create or update one file: one autosave commit (owner or app_admin)."""
    limit = files_body_limit(auth.require_app().settings.file_size_limit_bytes)
    raw = await _read_limited(request, limit)
    call = functools.partial(_write, request, raw, auth, workspace_id)
    return await anyio.to_thread.run_sync(call)


@delete(
    FILES,
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=DeleteFileBody, response=DeleteResult),
)
@threaded
def delete_file(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    workspace_id: FromPath[str],
) -> Response[bytes]:
    """Delete one file: one autosave commit (owner or app_admin)."""
    strict_query(request, ())
    data = body_of(request, body, DeleteFileBody)
    message = None if data.message is UNSET else data.message
    _check_input(data.path, message)
    cmd = DeleteFileCmd(ref=workspace_ref(auth, workspace_id), path=data.path, message=message)
    return ok(DeleteFile(workspace_deps_of(request))(cmd))


@post(
    f"{ONE}/checkpoints",
    status_code=200,
    tags=TAGS,
    operation_class=api_doc(body=CheckpointBody, response=CheckpointResult),
)
@threaded
def create_checkpoint(
    request: Request[Any, Any, Any],
    body: RawBody,
    auth: NamedDependency[AuthContext],
    workspace_id: FromPath[str],
) -> Response[bytes]:
    """Squash the working state onto the branch (manual_checkpoint mode only)."""
    strict_query(request, ())
    data = body_of(request, body, CheckpointBody) if body.strip() else CheckpointBody()
    message = None if data.message is UNSET else data.message
    _check_input(None, message)
    cmd = CheckpointCmd(ref=workspace_ref(auth, workspace_id), message=message)
    return ok(Checkpoint(workspace_deps_of(request))(cmd))


FILE_ROUTES = [read_files, write_file, delete_file, create_checkpoint]
