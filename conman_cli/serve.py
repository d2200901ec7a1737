"""``conman serve``: the API plus an in-process job runner (API.md §16 start-up)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
import uvicorn

from conman_adapters.container import build_container
from conman_adapters.keys import bootstrap_password_path
from conman_cli.common import emit, handle_errors, json_option, load_config
from conman_cli.users import ensure_bootstrap
from conman_http import create_app
from conman_http.logs import configure_logging

__all__ = ["RUNNER_STOP_TIMEOUT_S", "serve"]

RUNNER_STOP_TIMEOUT_S = 10.0
"""On shutdown, running jobs get this long to finish; the leases of the others expire."""


def _url(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@click.command()
@click.option("--host", help="Interface to listen on (CONMAN_HOST, default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (CONMAN_PORT, default 3000).")
@click.option("--data-dir", help="Data directory (CONMAN_DATA_DIR, default ./conman-data).")
@click.option(
    "--backend",
    type=click.Choice(["sqlite", "mongo", "memory"]),
    help="Store backend; default mongo when CONMAN_MONGO_URI is set, else sqlite.",
)
@click.option(
    "--job-concurrency",
    type=click.IntRange(1, 256),
    help="Jobs run in parallel (CONMAN_JOB_CONCURRENCY, default 4).",
)
@json_option
@handle_errors
def serve(
    *,
    host: str | None,
    port: int | None,
    data_dir: str | None,
    backend: str | None,
    job_concurrency: int | None,
    as_json: bool,
) -> None:
    """Serve the HTTP API (docs at /api/docs) until SIGINT/SIGTERM."""
    configure_logging()
    overrides = {
        name: str(value)
        for name, value in (
            ("CONMAN_HOST", host),
            ("CONMAN_PORT", port),
            ("CONMAN_DATA_DIR", data_dir),
            ("CONMAN_JOB_CONCURRENCY", job_concurrency),
        )
        if value is not None
    }
    settings, key_files = load_config(overrides)
    container = build_container(settings, backend=backend)
    store = container.store()
    store.ping()  # start-up step 3, fail fast: ServiceUnavailable → exit 5
    container.repositories()  # step 4: ensure indexes
    bootstrap = ensure_bootstrap(container, settings)  # step 5: the first user
    # Step 7: the in-process job runner (threads), stopped before the store closes.
    shutdown: list[Callable[[], object]] = []
    runner = container.job_runner() if settings.job_runner_enabled else None
    if runner is not None:
        runner.start()
        shutdown.append(functools.partial(runner.stop, RUNNER_STOP_TIMEOUT_S))
    # uvicorn re-raises SIGTERM/SIGINT after a graceful shutdown, so code after
    # ``run()`` may never execute: the store is closed by the lifespan shutdown hook.
    app = create_app(container, on_shutdown=[*shutdown, store.close])
    url = _url(settings.host, settings.port)
    password_file = (
        str(bootstrap_password_path(settings)) if settings.bootstrap_password is None else None
    )
    payload: dict[str, Any] = {
        "url": url,
        "docs_url": f"{url}/api/docs",
        "store": store.backend,
        "data_dir": settings.data_dir,
        "key_files": [{"variable": k.variable, "path": k.path} for k in key_files if k.created],
        "bootstrap_password_file": password_file,
        "job_runner": None
        if runner is None
        else {"runner_id": runner.runner_id, "concurrency": settings.job_concurrency},
        "bootstrap_user_created": bootstrap.created,
    }
    lines = [
        f"Conman {container.version()} listening on {url}",
        f"API docs: {url}/api/docs",
        f"Store: {store.backend}; data directory: {settings.data_dir}",
    ]
    lines.append(
        "Job runner: disabled (CONMAN_JOB_RUNNER_ENABLED=false)"
        if runner is None
        else f"Job runner {runner.runner_id}: {settings.job_concurrency} concurrent jobs"
    )
    lines += [f"Generated {k.variable} into {k.path}" for k in key_files if k.created]
    if bootstrap.created:
        lines.append(f"Created the bootstrap user {bootstrap.email}")
    if password_file is not None:
        lines.append(
            f"Bootstrap password file (written when the first user is created): {password_file}"
        )
        lines.append(
            f"Log in: POST {url}/api/auth/login with email {settings.bootstrap_email} and "
            f"the password in that file (or use the API docs page)"
        )
    else:
        lines.append(
            f"Log in: POST {url}/api/auth/login with email {settings.bootstrap_email} and "
            "the password from CONMAN_BOOTSTRAP_PASSWORD"
        )
    emit(as_json, payload, "\n".join(lines))
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        lifespan="on",
    )
    uvicorn.Server(config).run()
