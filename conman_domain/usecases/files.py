"""Files of a workspace's working state: read, write, delete, checkpoint
(DOMAIN.md §8.2, §8.3; API.md §1.8, §8.2).

Every write or delete is one commit on ``refs/conman/autosave/<workspaceId>``, parented
on the working head and guarded by a compare-and-swap. A lost compare-and-swap re-reads
the working head, decides the action again (create vs update, a delete of a file that
is gone) and retries after a random pause, up to ``MAX_ATTEMPTS`` in total.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Literal

import msgspec

from conman_domain.errors import Conflict, ConmanError, FieldError, NotFound, Validation
from conman_domain.gitmodel import ZERO_OID, FileAction
from conman_domain.model import CommitMode
from conman_domain.rules.paths import check_not_blocked, validate_path
from conman_domain.usecases.workspace_context import (
    WorkingState,
    WorkspaceContext,
    WorkspaceDeps,
    WorkspaceRef,
)

__all__ = [
    "MAX_ATTEMPTS",
    "Checkpoint",
    "CheckpointCmd",
    "CheckpointResult",
    "DeleteFile",
    "DeleteFileCmd",
    "DeleteResult",
    "DirEntry",
    "DirListing",
    "FileContent",
    "ReadPath",
    "ReadPathCmd",
    "WriteFile",
    "WriteFileCmd",
    "WriteResult",
    "decode_content",
    "squash_working_state",
]

MAX_ATTEMPTS = 10
BACKOFF_BASE_SECONDS = 0.025
BACKOFF_CAP_SECONDS = 2.0
MESSAGE_MAX = 500
Encoding = Literal["base64", "utf-8"]


def decode_content(content: str, encoding: Encoding) -> bytes:
    """The bytes a request's ``content`` stands for (API.md §1.8); bad base64 → 400."""
    if encoding == "utf-8":
        return content.encode("utf-8")
    try:
        return base64.b64decode(content.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise Validation("content is not valid base64", [FieldError("content", "base64")]) from exc


def _check_message(message: str | None) -> None:
    if message is not None and not 1 <= len(message) <= MESSAGE_MAX:
        raise Validation("message must be 1..500 characters", [FieldError("message", "1..500")])


class DirEntry(msgspec.Struct, kw_only=True):
    path: str
    name: str
    type: Literal["file", "dir"]
    size: int
    oid: str


class DirListing(msgspec.Struct, kw_only=True):
    path: str
    entries: list[DirEntry]
    type: Literal["dir"] = "dir"


class FileContent(msgspec.Struct, kw_only=True):
    path: str
    content: str
    encoding: Encoding
    size: int
    oid: str
    type: Literal["file"] = "file"


class ReadPathCmd(msgspec.Struct, frozen=True, kw_only=True):
    ref: WorkspaceRef
    path: str = ""
    encoding: Encoding = "base64"


class ReadPath:
    """GET files: a directory listing or a file of the working state (any member)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, cmd: ReadPathCmd) -> DirListing | FileContent:
        ctx = WorkspaceContext(self._d, cmd.ref, write=False)
        path = validate_path(cmd.path, for_write=False)
        working = ctx.state().working_sha
        git = self._d.git
        entry = git.get_entry(ctx.repo, working, path)
        if entry is None:
            raise NotFound("path", path)
        if entry.type == "tree":
            page = git.list_tree(ctx.repo, working, path)
            return DirListing(
                path=path,
                entries=[
                    DirEntry(
                        path=e.path,
                        name=e.name,
                        type="dir" if e.type == "tree" else "file",
                        size=0 if e.type == "tree" else (e.size or 0),
                        oid=e.oid,
                    )
                    for e in page.entries
                ],
            )
        blob = git.read_blobs(ctx.repo, working, [path])[0]
        if cmd.encoding == "utf-8":
            try:
                text = blob.data.decode("utf-8")
                return FileContent(
                    path=path, content=text, encoding="utf-8", size=blob.size, oid=blob.oid
                )
            except UnicodeDecodeError:
                pass  # §1.8: fall back to base64
        content = base64.b64encode(blob.data).decode("ascii")
        return FileContent(
            path=path, content=content, encoding="base64", size=blob.size, oid=blob.oid
        )


class WriteFileCmd(msgspec.Struct, frozen=True, kw_only=True):
    ref: WorkspaceRef
    path: str
    content: str
    encoding: Encoding = "base64"
    message: str | None = None


class WriteResult(msgspec.Struct, kw_only=True):
    path: str
    commit_sha: str
    working_sha: str
    created: bool
    size: int


class DeleteFileCmd(msgspec.Struct, frozen=True, kw_only=True):
    ref: WorkspaceRef
    path: str
    message: str | None = None


class DeleteResult(msgspec.Struct, kw_only=True):
    path: str
    commit_sha: str
    working_sha: str


def _commit_with_retry(
    ctx: WorkspaceContext, plan: Callable[[WorkingState], tuple[FileAction, str]]
) -> str:
    """Commit ``plan(state)`` onto the working head, re-planning after a lost CAS."""
    d = ctx.deps
    author = d.signature(ctx.actor.user_id or "")
    lock = d.working_lock(ctx.workspace.id)
    for attempt in range(MAX_ATTEMPTS):
        with lock:
            state = ctx.state()
            action, message = plan(state)
            try:
                return d.git.commit_files(
                    ctx.repo,
                    ref=ctx.autosave_ref,
                    parent=state.working_sha,
                    expected_old=state.autosave_sha or ZERO_OID,
                    actions=[action],
                    message=message,
                    author=author,
                )
            except (Conflict, NotFound):
                if ctx.state() == state:
                    raise  # not a lost race: the action itself conflicts with the tree
        if attempt + 1 < MAX_ATTEMPTS:
            cap = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2**attempt)
            d.sleep(d.random() * cap)
    raise Conflict("the working state kept changing concurrently; try again")


class WriteFile:
    """PUT files: one autosave commit creating or updating the file (owner or app_admin)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, cmd: WriteFileCmd) -> WriteResult:
        ctx = WorkspaceContext(self._d, cmd.ref, write=True)
        path = validate_path(cmd.path, for_write=True)
        check_not_blocked(path, ctx.app.settings.blocked_paths)
        _check_message(cmd.message)
        data = decode_content(cmd.content, cmd.encoding)
        limit = ctx.app.settings.file_size_limit_bytes
        if len(data) > limit:
            raise Validation(
                f"file is larger than the app's limit of {limit} bytes",
                [FieldError("content", f"at most {limit} bytes")],
            )
        created = False

        def plan(state: WorkingState) -> tuple[FileAction, str]:
            nonlocal created
            entry = self._d.git.get_entry(ctx.repo, state.working_sha, path)
            if entry is not None and entry.type == "tree":
                raise Validation(f"path is a directory: {path}", [FieldError("path", "directory")])
            created = entry is None
            action = FileAction(action="create" if created else "update", path=path, content=data)
            return action, cmd.message or f"Update {path}"

        sha = _commit_with_retry(ctx, plan)
        self._d.audit.record(
            ctx.actor,
            "file.written",
            app_id=ctx.app.id,
            entity_id=ctx.workspace.id,
            after={"path": path, "size": len(data), "created": created},
            git_sha=sha,
        )
        self._d.touch(ctx.app, ctx.workspace.id)
        return WriteResult(
            path=path, commit_sha=sha, working_sha=sha, created=created, size=len(data)
        )


class DeleteFile:
    """DELETE files: one autosave commit deleting the file (owner or app_admin)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, cmd: DeleteFileCmd) -> DeleteResult:
        ctx = WorkspaceContext(self._d, cmd.ref, write=True)
        path = validate_path(cmd.path, for_write=True)
        check_not_blocked(path, ctx.app.settings.blocked_paths)
        _check_message(cmd.message)

        def plan(state: WorkingState) -> tuple[FileAction, str]:
            entry = self._d.git.get_entry(ctx.repo, state.working_sha, path)
            if entry is None:
                raise NotFound("file", path)
            if entry.type == "tree":
                raise Validation(f"cannot delete a directory: {path}", [FieldError("path", "dir")])
            return FileAction(action="delete", path=path), cmd.message or f"Delete {path}"

        sha = _commit_with_retry(ctx, plan)
        self._d.audit.record(
            ctx.actor,
            "file.deleted",
            app_id=ctx.app.id,
            entity_id=ctx.workspace.id,
            before={"path": path},
            git_sha=sha,
        )
        self._d.touch(ctx.app, ctx.workspace.id)
        return DeleteResult(path=path, commit_sha=sha, working_sha=sha)


def squash_working_state(ctx: WorkspaceContext, state: WorkingState, message: str) -> str:
    """Squash the working state into ONE branch commit (tree = working tree, parent =
    branch head) and delete the autosave ref; both by compare-and-swap. Returns the new
    branch head. Used by checkpoint and by submit in submit_commit mode (§8.2)."""
    if state.autosave_sha is None:
        raise Conflict("no uncommitted changes")
    d = ctx.deps
    sha = d.git.squash(
        ctx.repo,
        source_sha=state.autosave_sha,
        branch_ref=ctx.branch_ref,
        expected_old=state.head_sha,
        message=message,
        author=d.signature(ctx.actor.user_id or ""),
    )
    try:
        d.git.delete_ref(ctx.repo, ctx.autosave_ref, expected_old=state.autosave_sha)
    except ConmanError:
        # A write landed between the squash and the delete: move the branch back so
        # nothing is half-applied, and report the race.
        d.git.update_ref(ctx.repo, ctx.branch_ref, new_sha=state.head_sha, expected_old=sha)
        raise
    ctx.refresh({"head_sha": sha, "working_sha": sha})
    return sha


class CheckpointCmd(msgspec.Struct, frozen=True, kw_only=True):
    ref: WorkspaceRef
    message: str | None = None


class CheckpointResult(msgspec.Struct, kw_only=True):
    commit_sha: str
    message: str
    head_sha: str


class Checkpoint:
    """POST checkpoints: squash the working state onto the branch (manual_checkpoint mode)."""

    def __init__(self, deps: WorkspaceDeps) -> None:
        self._d = deps

    def __call__(self, cmd: CheckpointCmd) -> CheckpointResult:
        ctx = WorkspaceContext(self._d, cmd.ref, write=True)
        _check_message(cmd.message)
        if ctx.commit_mode() is CommitMode.SUBMIT_COMMIT:
            raise Conflict("checkpoints are disabled in submit_commit mode")
        message = cmd.message or "Checkpoint"
        with self._d.working_lock(ctx.workspace.id):
            sha = squash_working_state(ctx, ctx.state(), message)
        self._d.audit.record(
            ctx.actor,
            "file.checkpoint",
            app_id=ctx.app.id,
            entity_id=ctx.workspace.id,
            after={"commit_sha": sha, "message": message},
            git_sha=sha,
        )
        self._d.touch(ctx.app, ctx.workspace.id)
        return CheckpointResult(commit_sha=sha, message=message, head_sha=sha)
