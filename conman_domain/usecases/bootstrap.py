"""The bootstrap user (API.md §4.1 "First login", §16 start-up step 5)."""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from conman_domain.errors import Conflict
from conman_domain.model import User
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.auth import AuthService
from conman_domain.usecases.identity import IdentityRepos, check_password_policy

__all__ = ["BOOTSTRAP_NAME", "BootstrapOutcome", "ensure_bootstrap_user"]

BOOTSTRAP_NAME = "Admin"


class BootstrapOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """``created`` is false when the store already had a user."""

    created: bool
    email: str
    password_generated: bool = False


def ensure_bootstrap_user(
    repos: IdentityRepos,
    auth: AuthService,
    *,
    email: str,
    password: str | None,
    write_generated_password: Callable[[], str],
) -> BootstrapOutcome:
    """Create the first user when the store has none.

    ``password`` is ``CONMAN_BOOTSTRAP_PASSWORD`` (checked against the policy even when
    no user is created, so a bad value is always a start-up error); without it
    ``write_generated_password`` generates one, stores it (mode 0600) and returns it.
    """
    if password is not None:
        check_password_policy(password, "CONMAN_BOOTSTRAP_PASSWORD")
    if repos.users.count({}) > 0:
        return BootstrapOutcome(created=False, email=email)
    generated = password is None
    secret = write_generated_password() if password is None else password
    try:
        user: User = auth.create_user(email, BOOTSTRAP_NAME, secret, Actor())
    except Conflict:
        return BootstrapOutcome(created=False, email=email)  # a concurrent start-up won
    return BootstrapOutcome(created=True, email=user.email, password_generated=generated)
