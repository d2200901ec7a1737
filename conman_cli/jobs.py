"""``conman jobs list|show|logs|cancel|retry`` (API.md §14, §16): the CLI is trusted, no
role checks apply; ``--as`` names the acting user of cancel and retry."""

from __future__ import annotations

import re
from typing import Any

import click
import msgspec

from conman_cli.common import builtins, emit, handle_errors, json_option
from conman_cli.users import acting_user, as_option, open_identity
from conman_domain.errors import NotFound
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.job_shapes import JobLogView, JobView, parse_job_filter
from conman_domain.usecases.jobs import JobsService

__all__ = ["jobs"]

_OBJECT_ID = re.compile(r"[0-9a-f]{24}")
_LOG_PAGE = 1000


def _check_id(entity: str, value: str) -> str:
    if not _OBJECT_ID.fullmatch(value):
        raise NotFound(entity, value)
    return value


def _plain(view: msgspec.Struct) -> dict[str, Any]:
    data: dict[str, Any] = builtins(view)
    return data


def _summary(job: JobView) -> str:
    entity = f"{job.entity_type}:{job.entity_id}" if job.entity_type else "-"
    return (
        f"{job.id}  {job.job_type.value}  {job.state.value}  {entity}  {job.created_at.isoformat()}"
    )


def _details(job: JobView) -> str:
    lines = [_summary(job), f"attempts: {job.attempts}/{job.max_attempts}"]
    if job.cancel_requested:
        lines.append("cancel requested")
    if job.error_message:
        lines.append(f"error: {job.error_message}")
    if job.result is not None:
        lines.append("result: " + msgspec.json.encode(job.result).decode())
    return "\n".join(lines)


def _log_line(line: JobLogView) -> str:
    return f"{line.seq:>5} {line.timestamp.isoformat()} {line.level.value:<5} {line.message}"


@click.group()
def jobs() -> None:
    """Asynchronous jobs: list, show, logs, cancel, retry."""


@jobs.command("list")
@click.option("--app", "app_id", default=None, help="Only the jobs of this app.")
@click.option("--type", "type_", default=None, help="Job type(s), comma-separated.")
@click.option("--state", default=None, help="State(s), comma-separated.")
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@click.option("--limit", type=click.IntRange(1, 1000), default=100, show_default=True)
@json_option
@handle_errors
def list_jobs(
    *,
    app_id: str | None,
    type_: str | None,
    state: str | None,
    page: int,
    limit: int,
    as_json: bool,
) -> None:
    """Jobs, newest first (every app unless --app)."""
    flt = parse_job_filter(type_, state)
    with open_identity() as (container, services):
        if app_id is not None:
            services.deps.repos.apps.get(_check_id("app", app_id))
        service: JobsService = container.jobs()
        items, total = service.list(app_id, flt, page, limit)
    payload = {"jobs": [_plain(j) for j in items], "total": total, "page": page, "limit": limit}
    emit(as_json, payload, "\n".join(_summary(j) for j in items) or "no jobs")


@jobs.command("show")
@click.argument("job_id")
@json_option
@handle_errors
def show(job_id: str, as_json: bool) -> None:
    """One job, with its error and result."""
    with open_identity() as (container, _):
        service: JobsService = container.jobs()
        job = service.get(None, _check_id("job", job_id))
    emit(as_json, _plain(job), _details(job))


@jobs.command("logs")
@click.argument("job_id")
@json_option
@handle_errors
def logs(job_id: str, as_json: bool) -> None:
    """Every log line of the job, in seq order."""
    lines: list[JobLogView] = []
    with open_identity() as (container, _):
        service: JobsService = container.jobs()
        page = 1
        while True:
            items, total = service.logs(None, _check_id("job", job_id), page, _LOG_PAGE)
            lines += items
            if not items or len(lines) >= total:
                break
            page += 1
    payload = {"job_id": job_id, "logs": [_plain(line) for line in lines]}
    emit(as_json, payload, "\n".join(_log_line(line) for line in lines) or "no log lines")


@jobs.command("cancel")
@click.argument("job_id")
@as_option
@json_option
@handle_errors
def cancel(job_id: str, as_email: str | None, as_json: bool) -> None:
    """As POST .../jobs/:jobId/cancel: queued → canceled, running → cancel requested."""
    with open_identity() as (container, services):
        user = acting_user(container, services, as_email)
        service: JobsService = container.jobs()
        job = service.cancel(None, _check_id("job", job_id), Actor(user_id=user.id), None)
    done = "canceled" if job.state.value == "canceled" else "cancel requested"
    emit(as_json, _plain(job), f"job {job.id}: {done}")


@jobs.command("retry")
@click.argument("job_id")
@as_option
@json_option
@handle_errors
def retry(job_id: str, as_email: str | None, as_json: bool) -> None:
    """As POST .../jobs/:jobId/retry: a new job with the same type, entity and payload."""
    with open_identity() as (container, services):
        user = acting_user(container, services, as_email)
        service: JobsService = container.jobs()
        job = service.retry(None, _check_id("job", job_id), Actor(user_id=user.id), None)
    emit(as_json, _plain(job), f"job {job_id} retried as {job.id}")
