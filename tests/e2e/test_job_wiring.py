"""The job runner inside ``conman serve`` and as ``conman worker`` (real subprocesses over
SQLite): heartbeats for ``/api/health`` and jobs claimed from the shared store."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from conman_adapters.config import load_settings
from conman_adapters.container import Container, build_container
from conman_domain.model import JobState, JobType
from conman_domain.usecases.job_shapes import new_job

CONMAN = Path(sys.executable).with_name("conman")
WAIT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(predicate: Callable[[], bool], what: str, *procs: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        for proc in procs:
            assert proc.poll() is None, f"process exited with {proc.returncode}"
        if predicate():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


class Site:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CONMAN_")},
            "CONMAN_DATA_DIR": str(tmp_path / "data"),
            "CONMAN_JWT_SECRET": "j" * 40,
            "CONMAN_SECRETS_MASTER_KEY": "m" * 40,
            "CONMAN_BOOTSTRAP_PASSWORD": "correct horse battery staple",
            "CONMAN_JOB_POLL_INTERVAL_MS": "100",
        }
        self.procs: list[subprocess.Popen[bytes]] = []
        self._container: Container | None = None

    def start(self, *args: str, **env: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [str(CONMAN), *args],
            cwd=self.tmp_path,
            env={**self.env, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.procs.append(proc)
        return proc

    def runner_health(self) -> dict[str, str] | None:
        try:
            body = httpx.get(f"{self.base}/api/health", timeout=2).json()
        except httpx.TransportError:
            return None
        found: dict[str, str] = next(c for c in body["components"] if c["name"] == "job_runner")
        return found

    @property
    def container(self) -> Container:
        if self._container is None:
            self._container = build_container(load_settings(self.env, cwd=self.tmp_path))
        return self._container

    def enqueue_orphan(self) -> str:
        """A job of a type this build has no handler for: any runner fails it at once."""
        container = self.container
        job = new_job(
            container.ids(), container.clock(), app_id=None, job_type=JobType.MSUITE_DEPLOY,
            entity_type="release", entity_id="r" * 24, payload={}, created_by=None,
        )  # fmt: skip
        return container.job_queue().enqueue(job).id

    def state_of(self, job_id: str) -> JobState:
        return self.container.job_queue().get(job_id).state

    def close(self) -> None:
        for proc in self.procs:
            _stop(proc)
        if self._container is not None:
            self._container.store().close()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    site = Site(tmp_path)
    try:
        yield site
    finally:
        site.close()


def test_serve_runs_jobs_in_process_and_reports_a_healthy_runner(site: Site) -> None:
    serve = site.start("serve", "--port", str(site.port), "--job-concurrency", "2", "--json")
    _wait(lambda: site.runner_health() is not None, "the API", serve)
    health = site.runner_health()
    assert health is not None and health["status"] == "healthy"
    job_id = site.enqueue_orphan()
    _wait(lambda: site.state_of(job_id) == JobState.FAILED, "the job to fail", serve)
    assert site.container.job_queue().get(job_id).error_message == "no worker for job type"
    assert _stop(serve) in (0, -signal.SIGTERM)
    assert serve.stdout is not None
    assert '"concurrency": 2' in serve.stdout.read().decode()


def test_a_worker_runs_the_jobs_when_the_api_has_no_runner(site: Site) -> None:
    serve = site.start("serve", "--port", str(site.port), CONMAN_JOB_RUNNER_ENABLED="false")
    _wait(lambda: site.runner_health() is not None, "the API", serve)
    assert site.runner_health() == {
        "name": "job_runner",
        "status": "unhealthy",
        "detail": "no heartbeat",
    }
    job_id = site.enqueue_orphan()
    time.sleep(0.5)  # several poll intervals: nothing in the API process claims it
    assert site.state_of(job_id) == JobState.QUEUED
    worker = site.start("worker", "--job-concurrency", "1")
    _wait(lambda: (site.runner_health() or {}).get("status") == "healthy", "heartbeat", worker)
    _wait(lambda: site.state_of(job_id) == JobState.FAILED, "the worker to run the job", worker)
    assert _stop(worker) == 0
