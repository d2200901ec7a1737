"""``conman audit verify [--app ID]`` and ``conman audit export --app ID`` (API.md §16)."""

from __future__ import annotations

import json
import sys
from typing import Any

import click
import msgspec

from conman_cli.common import EXIT_CHECK_FAILED, builtins, emit, handle_errors, json_option
from conman_cli.users import open_identity

__all__ = ["audit"]


@click.group()
def audit() -> None:
    """The hash-chained audit trail."""


@audit.command("verify")
@click.option("--app", "app_id", default=None, help="App id (default: the global chain).")
@json_option
@handle_errors
def verify(app_id: str | None, as_json: bool) -> None:
    """Verify a chain; exit 1 when it is broken."""
    with open_identity() as (_, services):
        if app_id is not None:
            services.deps.repos.apps.get(app_id)  # unknown app → exit 3
        report = services.audit_log.verify(app_id)
    payload: dict[str, Any] = builtins(report)
    chain = app_id or "global"
    if report.verified:
        text = f"chain {chain}: verified {report.events_checked} events"
    else:
        broken = report.broken_at
        assert broken is not None
        text = (
            f"chain {chain}: BROKEN at seq {broken.seq} ({broken.reason}, event {broken.event_id})"
        )
    emit(as_json, payload, text)
    if not report.verified:
        sys.exit(EXIT_CHECK_FAILED)


@audit.command("export")
@click.option("--app", "app_id", required=True, help="App id.")
@json_option
@handle_errors
def export(app_id: str, as_json: bool) -> None:
    """The app's events in seq order as JSON lines (the output is JSON either way)."""
    with open_identity() as (_, services):
        services.deps.repos.apps.get(app_id)
        for event in services.audit_log.events(app_id):
            body = msgspec.to_builtins(event)
            body.pop("chain_key", None)
            body.pop("created_at", None)
            click.echo(json.dumps(body, ensure_ascii=False, sort_keys=True))
