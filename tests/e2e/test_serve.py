"""The real ``conman serve`` (and ``conman worker``) as subprocesses over SQLite + local git."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CONMAN = Path(sys.executable).with_name("conman")
STARTUP_TIMEOUT_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CONMAN_")}


def _wait_for(predicate: object, what: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"process exited with {proc.returncode}"
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _stop(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    port, data_dir = _free_port(), tmp_path / "data"
    proc = subprocess.Popen(
        [str(CONMAN), "serve", "--port", str(port), "--data-dir", str(data_dir)],
        cwd=tmp_path,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(f"{base}/api/health", timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    try:
        _wait_for(healthy, "GET /api/health = 200", proc)
        yield base, data_dir, proc
    finally:
        _stop(proc)


def test_serve_answers_health_docs_and_openapi(
    server: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    base, data_dir, proc = server
    health = httpx.get(f"{base}/api/health").json()
    assert [(c["name"], c["status"]) for c in health["components"]][:2] == [
        ("database", "healthy"),
        ("git", "healthy"),
    ]
    assert health["components"][0]["detail"].startswith("sqlite: ping ")
    docs = httpx.get(f"{base}/api/docs")
    assert docs.status_code == 200
    assert "/api/openapi.json" in docs.text
    openapi = httpx.get(f"{base}/api/openapi.json").json()
    assert openapi["openapi"].startswith("3.1")
    assert "/api/health" in openapi["paths"]
    assert (data_dir / "conman.db").exists()
    assert (data_dir / "keys" / "jwt-secret").stat().st_mode & 0o777 == 0o600
    # uvicorn shuts down gracefully, then re-raises SIGTERM so the exit status says so.
    assert _stop(proc) in (0, -signal.SIGTERM)
    assert proc.stdout is not None
    printed = proc.stdout.read().decode()
    assert f"listening on {base}" in printed
    assert f"{base}/api/docs" in printed
    assert str(data_dir / "keys" / "jwt-secret") in printed
    assert (data_dir / "keys" / "jwt-secret").read_text() not in printed


# The worker's heartbeat and jobs (with the API's own runner off) are covered by
# tests/e2e/test_job_wiring.py: ``conman serve`` now runs a runner in-process.


def test_serve_exits_5_when_the_store_is_unreachable(tmp_path: Path) -> None:
    key = "k" * 32
    env = {
        **_env(),
        "CONMAN_MONGO_URI": f"mongodb://127.0.0.1:{_free_port()}/?serverSelectionTimeoutMS=500",
        "CONMAN_JWT_SECRET": key,
        "CONMAN_SECRETS_MASTER_KEY": key,
    }
    result = subprocess.run(
        [str(CONMAN), "serve", "--port", str(_free_port()), "--json"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 5
    assert b'"code": "service_unavailable"' in result.stdout
    assert key.encode() not in result.stdout + result.stderr
