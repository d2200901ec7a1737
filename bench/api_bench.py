"""API benchmark (``make bench``): DOMAIN.md §21 L7 on the embedded default.

A temporary data directory gets a SQLite store and LocalGit repositories, seeded
directly through the repositories: 50 users, one app, 500 changesets (200 queued)
each on its own workspace, 300 jobs. A child process (``--serve``) runs the real
``create_app`` under uvicorn on 127.0.0.1 (one worker, as ``conman serve``); the
parent drives it with ``http.client`` threads over keep-alive connections:

- ``GET /api/apps/:id/changesets?state=queued`` by 50 concurrent clients (L7);
- ``GET /api/apps/:id/jobs`` and ``GET /api/me`` by 10 concurrent clients;
- ``POST /api/auth/login`` by 2 concurrent clients (Argon2 bound).

It prints median / p95 / p99 in milliseconds and the ratio of the HTTP median to
the median of the raw call behind it (the repository list, or the Argon2 verify),
measured in the parent on the same database. Loopback only; request counts are fixed.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from conman_adapters.config import load_settings
from conman_adapters.container import Container, build_container
from conman_domain.model import (
    Changeset,
    ChangesetState,
    JobType,
    Membership,
    Role,
    User,
    Workspace,
)
from conman_domain.model.workspaces import BaseRefType
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.job_shapes import new_job

__all__ = ["main"]

PASSWORD = "bench horse battery staple"
N_USERS = 50
N_CHANGESETS = 500
N_QUEUED = 200
N_JOBS = 300
T0 = datetime(2026, 1, 1, tzinfo=UTC)
ZERO = "0" * 40
ENV = {
    "CONMAN_JWT_SECRET": "j" * 40,
    "CONMAN_SECRETS_MASTER_KEY": "m" * 40,
    "CONMAN_PUBLIC_URL": "http://127.0.0.1",
    "CONMAN_RATE_LIMIT_USER_PER_MIN": "0",
    "CONMAN_RATE_LIMIT_WRITES_PER_MIN": "0",
    "CONMAN_RATE_LIMIT_AUTH_IP_PER_MIN": "0",
    "CONMAN_JOB_RUNNER_ENABLED": "false",
}
Figures = tuple[float, float, float]


def _container(data_dir: Path) -> Container:
    settings = load_settings({**ENV, "CONMAN_DATA_DIR": str(data_dir)}, cwd=data_dir)
    return build_container(settings, backend="sqlite", git_backend="local")


def _seed(container: Container) -> tuple[User, str]:
    """The admin (with a real password) and the seeded app's id."""
    services = container.identity()
    repos = container.repositories()
    ids = services.deps.ids
    admin = services.auth.create_user("admin@bench.example", "Admin", PASSWORD, Actor())
    app = services.apps.create(
        admin, Actor(user_id=admin.id), name="bench", repo_path="repos/bench",
        integration_branch="main",
    )  # fmt: skip
    users = [admin]
    for i in range(1, N_USERS):
        when = T0 + timedelta(seconds=i)
        user = repos.users.insert(
            User(
                id=ids.new_id(), created_at=when, updated_at=when, email=f"u{i}@bench.example",
                name=f"User {i}", password_hash="unused", password_changed_at=T0,
            )
        )  # fmt: skip
        repos.memberships.insert(
            Membership(
                id=ids.new_id(), created_at=when, updated_at=when, app_id=app.id,
                user_id=user.id, role=Role.USER,
            )
        )  # fmt: skip
        users.append(user)
    states = [ChangesetState.DRAFT, ChangesetState.IN_REVIEW, ChangesetState.APPROVED]
    for i in range(N_CHANGESETS):
        when = T0 + timedelta(minutes=i)
        owner = users[i % N_USERS]
        ws = repos.workspaces.insert(
            Workspace(
                id=ids.new_id(), created_at=when, updated_at=when, app_id=app.id,
                owner_user_id=owner.id, branch_name=f"ws/bench/{i}", title="", is_default=False,
                base_ref_type=BaseRefType.BRANCH, base_ref_value="main", base_sha=ZERO,
                head_sha=ZERO, working_sha=ZERO,
            )
        )  # fmt: skip
        queued = i < N_QUEUED
        repos.changesets.insert(
            Changeset(
                id=ids.new_id(), created_at=when, updated_at=when, app_id=app.id,
                workspace_id=ws.id, author_user_id=owner.id, created_by=owner.id,
                title=f"Change {i}", description="x" * 200,
                state=ChangesetState.QUEUED if queued else states[i % len(states)],
                queue_position=i + 1 if queued else None, queued_at=when if queued else None,
            )
        )  # fmt: skip
    for i in range(N_JOBS):
        repos.jobs.enqueue(
            new_job(
                ids, container.clock(), app_id=app.id, job_type=JobType.MSUITE_SUBMIT,
                entity_type="changeset", entity_id=ZERO[:24], payload={"n": i},
                created_by=admin.id,
            )
        )  # fmt: skip
    return admin, app.id


def _raw_median(fn: Callable[[], object], runs: int) -> float:
    fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def _raw_figures(container: Container, admin: User, app_id: str) -> dict[str, float]:
    repos = container.repositories()
    hasher = container.identity().deps.hasher
    queued = {"app_id": app_id, "state": {"$in": [ChangesetState.QUEUED.value]}}
    page = repos.changesets.list(queued, (("updated_at", -1),), 1, 20)
    if (len(page.items), page.total) != (20, N_QUEUED):
        raise RuntimeError(f"unexpected seed: {len(page.items)} of {page.total} queued")
    return {
        "changesets": _raw_median(
            lambda: repos.changesets.list(queued, (("updated_at", -1),), 1, 20), 200
        ),
        "jobs": _raw_median(lambda: repos.jobs.list({"app_id": app_id}), 200),
        "me": _raw_median(lambda: repos.memberships.all({"user_id": admin.id}), 200),
        "login": _raw_median(lambda: hasher.verify(admin.password_hash, PASSWORD), 5),
    }


def _serve(data_dir: str, port_file: str) -> None:
    """Child process: the real app under uvicorn on an ephemeral loopback port."""
    import uvicorn

    from conman_http import create_app

    container = _container(Path(data_dir))
    store = container.store()
    container.repositories()
    # proto must be IPPROTO_TCP: asyncio sets TCP_NODELAY on accepted connections only
    # then (with proto 0, every response would wait ~40 ms for a delayed ACK).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    Path(port_file).write_text(str(sock.getsockname()[1]))
    app = create_app(container, on_shutdown=[store.close])
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


def _request(
    conn: http.client.HTTPConnection, method: str, path: str, headers: Mapping[str, str], body: Any
) -> float:
    payload = None if body is None else json.dumps(body).encode()
    start = time.perf_counter()
    conn.request(method, path, body=payload, headers=dict(headers))
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    if response.status != 200:
        raise RuntimeError(f"{method} {path} answered {response.status}")
    return elapsed * 1000


def _load(
    port: int,
    clients: int,
    per_client: int,
    request: tuple[str, str, Mapping[str, str], Any],
) -> list[float]:
    """``clients`` threads, each with its own keep-alive connection, ``per_client`` calls."""
    times: list[float] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(clients)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            _request(conn, *request)  # connect and warm up, not timed
            barrier.wait()
            mine = [_request(conn, *request) for _ in range(per_client)]
            with lock:
                times.extend(mine)
        except BaseException as exc:  # reported by the caller
            with lock:
                errors.append(exc)
            barrier.abort()
        finally:
            conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"{len(errors)} client(s) failed: {errors[0]!r}")
    return times


def _figures(times: list[float]) -> Figures:
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return statistics.median(times), cuts[94], cuts[98]


def _wait_for_port(port_file: Path, child: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"the server exited with {child.returncode}")
        if port_file.exists() and port_file.read_text():
            port = int(port_file.read_text())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return port
            except OSError:
                pass
        time.sleep(0.05)
    raise RuntimeError("the server did not start within 60 s")


def run() -> dict[str, tuple[Figures, float, int]]:
    """Name → ((median, p95, p99) ms, ratio of median to the raw call, requests)."""
    with tempfile.TemporaryDirectory(prefix="conman-api-bench-") as tmp:
        data_dir = Path(tmp)
        container = _container(data_dir)
        admin, app_id = _seed(container)
        token = container.identity().auth.issue(admin).token
        raw = _raw_figures(container, admin, app_id)
        container.store().close()
        port_file = data_dir / "port"
        child = subprocess.Popen(
            [sys.executable, "-m", "bench.api_bench", "--serve", str(data_dir), str(port_file)],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            port = _wait_for_port(port_file, child)
            auth = {"Authorization": f"Bearer {token}"}
            json_body = {"Content-Type": "application/json"}
            login = {"email": admin.email, "password": PASSWORD}
            plan: list[tuple[str, int, int, tuple[str, str, Mapping[str, str], Any]]] = [
                ("changesets", 50, 20,
                 ("GET", f"/api/apps/{app_id}/changesets?state=queued", auth, None)),
                ("jobs", 10, 50, ("GET", f"/api/apps/{app_id}/jobs", auth, None)),
                ("me", 10, 50, ("GET", "/api/me", auth, None)),
                ("login", 2, 10, ("POST", "/api/auth/login", json_body, login)),
            ]  # fmt: skip
            results = {}
            for name, clients, per_client, request in plan:
                alone = _figures(_load(port, 1, max(per_client, 20), request))
                results[f"{name}/1"] = (alone, alone[0] / raw[name], max(per_client, 20))
                times = _load(port, clients, per_client, request)
                figures = _figures(times)
                results[name] = (figures, figures[0] / raw[name], len(times))
            return results
        finally:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


LABELS = {
    "changesets/1": "GET changesets?state=queued (1 client)",
    "jobs/1": "GET jobs (1 client)",
    "me/1": "GET /api/me (1 client)",
    "login/1": "POST /api/auth/login (1 client)",
    "changesets": "GET changesets?state=queued (50 clients, 200 of 500 queued)",
    "jobs": "GET jobs (10 clients, 300 jobs)",
    "me": "GET /api/me (10 clients)",
    "login": "POST /api/auth/login (2 clients, Argon2)",
}


def main() -> None:
    """Seed, serve, load and print one line per endpoint."""
    results = run()
    print(f"{'endpoint':62} {'n':>5} {'median':>8} {'p95':>8} {'p99':>8} {'x raw':>7}")
    for name, ((median, p95, p99), ratio, count) in results.items():
        print(
            f"{LABELS[name]:62} {count:5d} {median:7.1f}ms {p95:7.1f}ms {p99:7.1f}ms {ratio:7.1f}"
        )
    l7 = results["changesets"][0][2]
    print(f"L7 target p99 < 500 ms: {'met' if l7 < 500 else 'NOT met'} ({l7:.1f} ms)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        _serve(sys.argv[2], sys.argv[3])
    else:
        main()
