"""``conman invites create`` (API.md §16): the invite mail is queued in the outbox."""

from __future__ import annotations

from typing import Any

import click

from conman_cli.common import builtins, emit, handle_errors, json_option
from conman_cli.users import acting_user, as_option, open_identity
from conman_domain.model import Role
from conman_domain.usecases.audit import Actor

__all__ = ["invites"]


@click.group()
def invites() -> None:
    """Invitations to apps."""


@invites.command("create")
@click.option("--app", "app_id", required=True, help="The app id.")
@click.option("--email", required=True, help="The invitee's email.")
@click.option("--role", type=click.Choice([r.value for r in Role]), required=True)
@as_option
@json_option
@handle_errors
def create(app_id: str, email: str, role: str, as_email: str | None, as_json: bool) -> None:
    """As POST /api/apps/:appId/invites, with the --as user as inviter."""
    with open_identity() as (container, services):
        user = acting_user(container, services, as_email)
        app = services.deps.repos.apps.get(app_id)
        view = services.invites.create(app, user, Actor(user_id=user.id), email, Role(role))
    payload: dict[str, Any] = builtins(view)
    emit(as_json, payload, f"invited {view.email} to {app.name} as {view.role} ({view.id})")
