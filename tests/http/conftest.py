"""An app over the memory container, with controllable health probes and test routes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from dependency_injector import providers
from litestar import Litestar
from litestar.testing import TestClient

from conman_adapters.config import load_settings
from conman_adapters.container import build_container
from conman_http import create_app
from tests.http.support import (
    TEST_ROUTES,
    FakeClock,
    FakeGit,
    FakeHeartbeats,
    FakeStore,
    Harness,
)


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    settings = load_settings({}, cwd=tmp_path)
    container = build_container(settings, backend="memory", git_backend="memory")
    clock = FakeClock()
    store, git, heartbeats = FakeStore(clock), FakeGit(), FakeHeartbeats()
    container.clock.override(providers.Object(clock))
    container.store.override(providers.Object(store))
    container.git.override(providers.Object(git))
    container.heartbeats.override(providers.Object(heartbeats))
    app = create_app(container, extra_routes=TEST_ROUTES)
    return Harness(
        container=container, clock=clock, store=store, git=git, heartbeats=heartbeats, app=app
    )


@pytest.fixture
def client(harness: Harness) -> Iterator[TestClient[Litestar]]:
    with TestClient(harness.app) as test_client:
        yield test_client
