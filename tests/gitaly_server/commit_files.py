"""UserCommitFiles of the test server: file actions applied to a tree, index errors."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import grpc

from conman_adapters.gitaly._pb import errors_pb2, operations_pb2
from tests.gitaly_server.gitcli import git, ls_tree, tree_of
from tests.gitaly_server.state import Abort

_H = operations_pb2.UserCommitFilesActionHeader
_E = errors_pb2.IndexError
_FILE, _EXEC = 0o100644, 0o100755


def index_error(kind: Any, path: str) -> Abort:
    code = (
        grpc.StatusCode.INVALID_ARGUMENT
        if kind
        in {_E.ERROR_TYPE_EMPTY_PATH, _E.ERROR_TYPE_INVALID_PATH, _E.ERROR_TYPE_DIRECTORY_TRAVERSAL}
        else grpc.StatusCode.FAILED_PRECONDITION
    )
    detail = operations_pb2.UserCommitFilesError(
        index_update=errors_pb2.IndexError(path=path.encode(), error_type=kind)
    )
    return Abort(code, f"index error {_E.ErrorType.Name(kind)}: {path}", [detail])


def _check_path(path: str) -> None:
    if not path:
        raise index_error(_E.ERROR_TYPE_EMPTY_PATH, path)
    parts = path.split("/")
    if ".." in parts:
        raise index_error(_E.ERROR_TYPE_DIRECTORY_TRAVERSAL, path)
    if path.startswith("/") or any(p in {"", ".", ".git"} for p in parts):
        raise index_error(_E.ERROR_TYPE_INVALID_PATH, path)


def parse_actions(requests: list[Any]) -> list[tuple[Any, bytes]]:
    """``(action header, content)`` of the action messages after the request header."""
    actions: list[tuple[Any, bytes]] = []
    for r in requests[1:]:
        if r.action.HasField("header"):
            actions.append((r.action.header, b""))
        elif actions:
            actions[-1] = (actions[-1][0], actions[-1][1] + r.action.content)
    return actions


class Tree:
    """A flat ``path -> (mode, oid)`` view of a tree, edited by file actions."""

    def __init__(self, repo: Any, commit: str | None) -> None:
        self.repo = repo
        self.files: dict[str, tuple[int, str]] = {}
        if commit is not None:
            tree = tree_of(repo, commit)
            for mode, _, oid, path in ls_tree(repo, tree, recursive=True, dirs=False):
                self.files[path] = (mode, oid)

    def _is_dir(self, path: str) -> bool:
        return any(p.startswith(f"{path}/") for p in self.files)

    def _under_file(self, path: str) -> bool:
        parts = path.split("/")
        return any("/".join(parts[:i]) in self.files for i in range(1, len(parts)))

    def _must_be_file(self, path: str) -> None:
        if path not in self.files:
            kind = (
                _E.ERROR_TYPE_INVALID_PATH if self._is_dir(path) else _E.ERROR_TYPE_FILE_NOT_FOUND
            )
            raise index_error(kind, path)

    def _must_be_free(self, path: str) -> None:
        if path in self.files or self._under_file(path):
            raise index_error(_E.ERROR_TYPE_FILE_EXISTS, path)
        if self._is_dir(path):
            raise index_error(_E.ERROR_TYPE_DIRECTORY_EXISTS, path)

    def _blob(self, content: bytes) -> str:
        return git(self.repo, "hash-object", "-w", "--stdin", stdin=content).stdout.decode().strip()

    def apply(self, header: Any, content: bytes) -> None:
        path = header.file_path.decode()
        _check_path(path)
        mode = _EXEC if header.execute_filemode else _FILE
        if header.action == _H.CREATE:
            self._must_be_free(path)
            self.files[path] = (mode, self._blob(content))
        elif header.action == _H.CREATE_DIR:
            self._must_be_free(path)
            self.files[f"{path}/.gitkeep"] = (_FILE, self._blob(b""))
        elif header.action == _H.UPDATE:
            self._must_be_file(path)
            self.files[path] = (self.files[path][0], self._blob(content))
        elif header.action == _H.DELETE:
            self._must_be_file(path)
            del self.files[path]
        elif header.action == _H.CHMOD:
            self._must_be_file(path)
            self.files[path] = (mode, self.files[path][1])
        elif header.action == _H.MOVE:
            previous = header.previous_path.decode()
            _check_path(previous)
            self._must_be_file(previous)
            old_mode, old_oid = self.files.pop(previous)
            self._must_be_free(path)
            self.files[path] = (old_mode, old_oid if header.infer_content else self._blob(content))

    def write(self) -> str:
        with tempfile.TemporaryDirectory() as tmp:
            env = {"GIT_INDEX_FILE": os.path.join(tmp, "index")}
            info = "".join(
                f"{mode:o} {oid} 0\t{path}\0" for path, (mode, oid) in self.files.items()
            )
            git(self.repo, "update-index", "-z", "--index-info", stdin=info.encode(), env=env)
            return git(self.repo, "write-tree", env=env).stdout.decode().strip()
