"""Authoring benchmark: the files and diff routes over HTTP versus their git calls.

Run with ``python -m bench`` (or ``python -m bench bench.authoring_bench``). The
embedded default (SQLite + ``LocalGit``) lives in a temporary data directory; requests
go through Litestar's ``TestClient`` (full middleware, auth and envelope). The
repository has 2,000 YAML files in 100 directories; the workspace's draft changeset
changes 40 of them. Each HTTP operation is compared with the ``GitPort`` call(s) doing
its git work directly:

- file write → ``commit_files`` (one update on a scratch ref);
- file read → ``read_blobs`` (one path);
- directory listing → ``list_tree`` (one page of 20);
- raw diff → ``diff``;
- semantic diff → ``diff`` plus the two ``read_blobs`` of the changed paths.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from conman_adapters.config import load_settings
from conman_adapters.container import Container, build_container
from conman_domain.gitmodel import FileAction, RepoRef, Signature
from conman_domain.ports.git import GitPort
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor
from conman_http import create_app

DIRS, PER_DIR, CHANGED = 100, 20, 40
ROUNDS = int(os.environ.get("CONMAN_BENCH_ROUNDS", "30"))
PASSWORD = "correct horse battery staple"


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def timed(fn: Callable[[int], object], rounds: int = ROUNDS) -> list[float]:
    fn(0)  # warm-up
    samples = []
    for i in range(rounds):
        start = time.perf_counter()
        fn(i + 1)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _path(i: int) -> str:
    return f"entities/d{i // PER_DIR:03}/e{i % PER_DIR:02}.yaml"


class Scene:
    """One app with a seeded repository, a workspace with a draft changeset, a token."""

    def __init__(self, container: Container, client: TestClient[Litestar]) -> None:
        self.container = container
        self.client = client
        services = container.identity()
        admin = services.auth.create_user("bench@example.com", "Bench", PASSWORD, Actor())
        self.headers = {"Authorization": f"Bearer {services.auth.issue(admin).token}"}
        self.signature = Signature(
            name="Bench", email="bench@example.com", when=container.clock().now()
        )
        view = services.apps.create(
            admin, Actor(user_id=admin.id), name="bench", repo_path="bench/app",
            integration_branch="main",
        )  # fmt: skip
        self.app_id = view.id
        self.git: GitPort = container.git()
        self.repo: RepoRef = repo_ref(services.deps.repos.apps.get(view.id))
        self._seed()
        self.base = f"/api/apps/{self.app_id}"
        ws = self.ok("POST", "/workspaces", {"title": "bench"})
        self.files = f"/workspaces/{ws['id']}/files"
        for i in range(CHANGED):
            body = {"path": _path(i * 7), "encoding": "utf-8",
                    "content": f"name: e{i}\nfields:\n  size: {i}\n  kind: changed\n"}  # fmt: skip
            self.ok("PUT", self.files, body)
        cs = self.ok("POST", "/changesets", {"workspace_id": ws["id"], "title": "bench"})
        self.changeset = f"/changesets/{cs['id']}"
        raw = self.ok("GET", f"{self.changeset}/diff")
        self.base_sha: str = raw["base_sha"]
        self.head_sha: str = raw["head_sha"]

    def _seed(self) -> None:
        head = self.git.resolve(self.repo, "refs/heads/main")
        actions = [
            FileAction(action="create", path=_path(i), content=f"name: e{i}\n".encode())
            for i in range(DIRS * PER_DIR)
        ]
        self.git.commit_files(
            self.repo, ref="refs/heads/main", parent=head, expected_old=head, actions=actions,
            message="seed", author=self.signature,
        )  # fmt: skip

    def ok(self, method: str, route: str, body: Any = None, **params: str) -> Any:
        kw: dict[str, Any] = {"headers": self.headers, "params": params}
        if body is not None:
            kw["json"] = body
        response = self.client.request(method, f"{self.base}{route}", **kw)
        if response.status_code not in (200, 201):
            raise RuntimeError(f"{method} {route}: {response.status_code} {response.text[:300]}")
        return response.json()["data"]


def _operations(s: Scene) -> list[tuple[str, Callable[[int], object], Callable[[int], object]]]:
    scratch = "refs/heads/bench-scratch"
    s.git.create_branch(s.repo, "bench-scratch", s.head_sha)

    def write_http(i: int) -> object:
        body = {"path": _path(i), "content": f"name: e{i}\nround: {i}\n", "encoding": "utf-8"}
        return s.ok("PUT", s.files, body)

    def write_git(i: int) -> object:
        head = s.git.resolve(s.repo, scratch)
        action = FileAction(
            action="update", path=_path(i), content=f"name: e{i}\nr: {i}\n".encode()
        )
        return s.git.commit_files(
            s.repo, ref=scratch, parent=head, expected_old=head, actions=[action],
            message=f"Update {_path(i)}", author=s.signature,
        )  # fmt: skip

    def semantic_git(_: int) -> object:
        diff = s.git.diff(s.repo, s.base_sha, s.head_sha)
        old = sorted({f.old_path for f in diff.files if f.old_path})
        new = sorted({f.new_path for f in diff.files if f.new_path})
        return s.git.read_blobs(s.repo, s.base_sha, old), s.git.read_blobs(s.repo, s.head_sha, new)

    return [
        ("file write", write_http, write_git),
        (
            "file read",
            lambda i: s.ok("GET", s.files, path=_path(i), encoding="utf-8"),
            lambda i: s.git.read_blobs(s.repo, s.head_sha, [_path(i)]),
        ),
        (
            "directory listing",
            lambda i: s.ok("GET", s.files, path=f"entities/d{i % DIRS:03}"),
            lambda i: s.git.list_tree(s.repo, s.head_sha, f"entities/d{i % DIRS:03}", limit=20),
        ),
        (
            "raw diff",
            lambda _: s.ok("GET", f"{s.changeset}/diff"),
            lambda _: s.git.diff(s.repo, s.base_sha, s.head_sha),
        ),
        (
            "semantic diff",
            lambda _: s.ok("GET", f"{s.changeset}/diff", mode="semantic"),
            semantic_git,
        ),
    ]  # fmt: skip


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="conman-authoring-bench-") as tmp:
        env = {
            "CONMAN_DATA_DIR": str(Path(tmp) / "data"),
            "CONMAN_JWT_SECRET": "j" * 40,
            "CONMAN_SECRETS_MASTER_KEY": "m" * 40,
            "CONMAN_RATE_LIMIT_USER_PER_MIN": "0",
            "CONMAN_RATE_LIMIT_WRITES_PER_MIN": "0",
        }
        container = build_container(load_settings(env, cwd=Path(tmp)))
        try:
            with TestClient(create_app(container)) as client:
                scene = Scene(container, client)
                print(
                    f"{DIRS * PER_DIR} files, {CHANGED} changed in the draft, {ROUNDS} rounds; "
                    "HTTP (TestClient) vs GitPort, ms"
                )
                print(f"{'operation':<18} {'median':>8} {'p95':>8} {'git med':>8} {'ratio':>6}")
                for name, http_op, git_op in _operations(scene):
                    http = timed(http_op)
                    git = timed(git_op)
                    med, git_med = statistics.median(http), statistics.median(git)
                    print(
                        f"{name:<18} {med:8.2f} {p95(http):8.2f} {git_med:8.2f} "
                        f"{med / git_med:6.2f}",
                        flush=True,
                    )
        finally:
            container.store().close()


if __name__ == "__main__":
    main()
