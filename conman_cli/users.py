"""``conman users create|list`` and the helpers the identity commands share: opening
the store, the bootstrap user (start-up step 5) and ``--as EMAIL`` (API.md §4.1, §16)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from conman_adapters.config import Settings
from conman_adapters.container import Container, build_container
from conman_adapters.envvars import ConfigError
from conman_adapters.keys import bootstrap_password_path, read_or_create_key
from conman_cli.common import emit, handle_errors, json_option, load_config
from conman_domain.errors import NotFound, Validation
from conman_domain.model import User
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.bootstrap import BootstrapOutcome, ensure_bootstrap_user
from conman_domain.usecases.services import IdentityServices

__all__ = ["acting_user", "as_option", "ensure_bootstrap", "open_identity", "users"]

BOOTSTRAP_VARIABLE = "CONMAN_BOOTSTRAP_PASSWORD"

as_option = click.option(
    "--as",
    "as_email",
    default=None,
    help="Acting user's email (default: CONMAN_BOOTSTRAP_EMAIL).",
)


def ensure_bootstrap(container: Container, settings: Settings) -> BootstrapOutcome:
    """Create the bootstrap user when the store has no user (start-up step 5).

    A ``CONMAN_BOOTSTRAP_PASSWORD`` outside the policy is a configuration error naming
    the variable; without it the password is generated into
    ``<data dir>/keys/bootstrap-password`` (mode 0600, O_EXCL) and never printed.
    """

    def generated() -> str:
        value, _ = read_or_create_key(bootstrap_password_path(settings), BOOTSTRAP_VARIABLE)
        return value

    services: IdentityServices = container.identity()
    try:
        return ensure_bootstrap_user(
            services.deps.repos,
            services.auth,
            email=settings.bootstrap_email,
            password=settings.bootstrap_password,
            write_generated_password=generated,
        )
    except Validation as exc:
        raise ConfigError(BOOTSTRAP_VARIABLE, "must be 12..128 characters") from exc


@contextmanager
def open_identity(backend: str | None = None) -> Iterator[tuple[Container, IdentityServices]]:
    """Load the configuration, connect and ping the store, and yield the services."""
    settings, _ = load_config()
    container = build_container(settings, backend=backend)
    store = container.store()
    store.ping()
    try:
        yield container, container.identity()
    finally:
        store.close()


def acting_user(container: Container, services: IdentityServices, email: str | None) -> User:
    """The ``--as`` user (default the bootstrap email); unknown → ``NotFound`` (exit 3)."""
    wanted = (email or container.settings().bootstrap_email).strip().lower()
    user = services.deps.repos.users.find_one({"email": wanted})
    if user is None:
        raise NotFound("user", wanted)
    return user


def user_dict(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "created_at": user.created_at,
    }


def _password(from_stdin: bool, settings: Settings) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if settings.bootstrap_password is not None:
        return settings.bootstrap_password
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@click.group()
def users() -> None:
    """User accounts."""


@users.command("create")
@click.option("--email", required=True, help="The new user's email.")
@click.option("--name", required=True, help="The new user's display name.")
@click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
@json_option
@handle_errors
def create_user(email: str, name: str, password_stdin: bool, as_json: bool) -> None:
    """Create a user. The password comes from --password-stdin, else
    CONMAN_BOOTSTRAP_PASSWORD, else a prompt. Exit 4 when the email exists."""
    with open_identity() as (container, services):
        password = _password(password_stdin, container.settings())
        user = services.auth.create_user(email, name, password, Actor())
    emit(as_json, user_dict(user), f"created user {user.email} ({user.id})")


@users.command("list")
@json_option
@handle_errors
def list_users(as_json: bool) -> None:
    """Every user, by email."""
    with open_identity() as (_, services):
        found = services.deps.repos.users.all({}, sort=(("email", 1),))
    rows = [user_dict(u) for u in found]
    text = "\n".join(f"{u['id']}  {u['email']}  {u['name']}" for u in rows) or "no users"
    emit(as_json, {"users": rows}, text)
