"""``conman apps create|list`` (API.md §16): the CLI is trusted, no role checks."""

from __future__ import annotations

from typing import Any

import click

from conman_cli.common import builtins, emit, handle_errors, json_option
from conman_cli.users import acting_user, as_option, open_identity
from conman_domain.usecases.apps import app_view
from conman_domain.usecases.audit import Actor

__all__ = ["apps"]


@click.group()
def apps() -> None:
    """Apps (each one a git repository)."""


@apps.command("create")
@click.option("--name", required=True, help="App name, 1..128 of [A-Za-z0-9_-].")
@click.option("--repo-path", required=True, help="Repository path, e.g. team/shop.")
@click.option("--integration-branch", default="main", show_default=True)
@as_option
@json_option
@handle_errors
def create(
    name: str, repo_path: str, integration_branch: str, as_email: str | None, as_json: bool
) -> None:
    """As POST /api/apps: the --as user becomes the app's app_admin."""
    with open_identity() as (container, services):
        user = acting_user(container, services, as_email)
        view = services.apps.create(
            user,
            Actor(user_id=user.id),
            name=name,
            repo_path=repo_path,
            integration_branch=integration_branch,
        )
    payload: dict[str, Any] = builtins(view)
    emit(as_json, payload, f"created app {view.name} ({view.id}) at {view.repo_path}")


@apps.command("list")
@json_option
@handle_errors
def list_apps(as_json: bool) -> None:
    """All apps, by name."""
    with open_identity() as (_, services):
        found = services.deps.repos.apps.all({}, sort=(("name", 1),))
    rows: list[dict[str, Any]] = [builtins(app_view(a, None)) for a in found]
    text = "\n".join(f"{a['id']}  {a['name']}  {a['repo_path']}" for a in rows) or "no apps"
    emit(as_json, {"apps": rows}, text)
