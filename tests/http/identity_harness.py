"""An app over a memory store and memory git with a controllable clock, plus helpers
to create users, apps and members without going through Argon2 on every request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dependency_injector import providers
from litestar import Litestar
from litestar.testing import TestClient

from conman_adapters.config import load_settings
from conman_adapters.container import Container, build_container
from conman_domain.model import Membership, Role, User
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.services import IdentityServices
from conman_http import create_app

PASSWORD = "correct horse battery staple"
EPOCH = datetime(2026, 2, 25, 10, 0, tzinfo=UTC)
NO_LIMITS = {
    "CONMAN_RATE_LIMIT_USER_PER_MIN": "0",
    "CONMAN_RATE_LIMIT_WRITES_PER_MIN": "0",
    "CONMAN_RATE_LIMIT_AUTH_IP_PER_MIN": "0",
}


class TickingClock:
    """``now`` moves forward 1 ms per call (ordered events) and jumps on ``advance``."""

    def __init__(self) -> None:
        self.current = EPOCH
        self.mono = 0.0

    def now(self) -> datetime:
        self.current += timedelta(milliseconds=1)
        return self.current

    def monotonic(self) -> float:
        self.mono += 0.001
        return self.mono

    def advance(self, **delta: float) -> None:
        self.current += timedelta(**delta)


class Env:
    """One test app: container, clock, HTTP client and shortcuts."""

    def __init__(self, container: Container, clock: TickingClock, client: TestClient[Litestar]):
        self.container = container
        self.clock = clock
        self.client = client
        self.services: IdentityServices = container.identity()
        self.repos = self.services.deps.repos

    def user(self, email: str, name: str = "Someone", password: str = PASSWORD) -> User:
        return self.services.auth.create_user(email, name, password, Actor())

    def token(self, user: User) -> str:
        return self.services.auth.issue(user).token

    def headers(self, user: User) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user)}"}

    def app(self, owner: User, name: str = "shop") -> str:
        view = self.services.apps.create(
            owner, Actor(user_id=owner.id), name=name, repo_path=f"repos/{name}",
            integration_branch="main",
        )  # fmt: skip
        return view.id

    def add_member(self, app_id: str, user: User, role: Role) -> Membership:
        now = self.clock.now()
        return self.repos.memberships.insert(
            Membership(
                id=self.services.deps.ids.new_id(), created_at=now, updated_at=now,
                app_id=app_id, user_id=user.id, role=role,
            )
        )  # fmt: skip

    def outbox(self) -> list[Any]:
        return self.repos.notification_outbox.all({}, sort=(("created_at", 1),))


@contextmanager
def identity_env(tmp_path: Path, **env: str) -> Iterator[Env]:
    values = {
        "CONMAN_JWT_SECRET": "j" * 40,
        "CONMAN_SECRETS_MASTER_KEY": "m" * 40,
        "CONMAN_PUBLIC_URL": "https://conman.example.com",
        **NO_LIMITS,
        **env,
    }
    settings = load_settings(values, cwd=tmp_path)
    container = build_container(settings, backend="memory", git_backend="memory")
    clock = TickingClock()
    container.clock.override(providers.Object(clock))
    with TestClient(create_app(container)) as client:
        yield Env(container, clock, client)
