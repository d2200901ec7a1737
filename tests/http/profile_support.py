"""Shortcuts for the runtime-profile HTTP tests over the changeset world (API.md §7)."""

from __future__ import annotations

from typing import Any

from conman_domain.model import User
from tests.http.changeset_world import World

__all__ = ["SECRET", "create", "defaults_id", "env_profile_id", "no_plaintext", "patch"]

SECRET = "postgres-Pa55w0rd-value-1234"


def create(w: World, name: str = "curated", **body: Any) -> dict[str, Any]:
    payload = {"name": name, "kind": "persistent_env", **body}
    response = w.call("POST", w.admin, "/runtime-profiles", payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def patch(w: World, profile_id: str, body: dict[str, Any], user: User | None = None) -> Any:
    return w.call("PATCH", user or w.admin, f"/runtime-profiles/{profile_id}", body)


def defaults_id(w: World) -> str:
    profile_id = w.app.defaults_profile_id
    assert profile_id is not None
    return profile_id


def env_profile_id(w: World, position: int = 0) -> str:
    profile_id: str = w.environments()[position].runtime_profile_id
    return profile_id


def no_plaintext(text: str, *secrets: str) -> bool:
    """Whether none of ``secrets`` (nor their long inner parts) appears in ``text``."""
    return all(s not in text and s[2:-2] not in text for s in secrets)
