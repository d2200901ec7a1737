"""Who may call each changeset route (DOMAIN.md §2.2; API.md §9): the author (a user),
another user, a reviewer, a config_manager, an app_admin and a non-member, each against
a changeset in the state the route needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.http.changeset_world import World, changeset_world

ROLES = ["author", "other", "rev1", "cm", "admin", "stranger"]
MEMBERS = set(ROLES) - {"stranger"}


def _draft(w: World) -> str:
    return str(w.create()["id"])


def _approved(w: World) -> str:
    return w.approved()


def _draft_changed(w: World) -> str:
    changeset_id = _draft(w)
    w.write("pages/a.json", b"{}")
    return changeset_id


def _changes_requested(w: World) -> str:
    changeset_id = w.submitted()
    body = {"decision": "changes_requested"}
    w.call("POST", w.rev2, f"/changesets/{changeset_id}/review", body)
    return changeset_id


def _gate_passed(w: World) -> str:
    changeset_id = w.submitted()
    w.finish_gate()
    return changeset_id


def _resubmittable(w: World) -> str:
    changeset_id = w.submitted()
    w.write("pages/more.json", b"[]")
    return changeset_id


def _env(w: World) -> dict[str, Any]:
    return {"overrides": [{"target_environment_id": w.environments()[0].id}]}


Setup = Callable[[World], str]
# route → (method, path template, setup, body, success status, roles allowed)
ROUTES: dict[str, tuple[str, str, Setup | None, Any, int, set[str]]] = {
    "list": ("GET", "/changesets", None, None, 200, MEMBERS),
    "create": ("POST", "/changesets", None, "create", 201, {"author", "cm", "admin"}),
    "get": ("GET", "/changesets/{id}", _draft, None, 200, MEMBERS),
    "patch": ("PATCH", "/changesets/{id}", _draft, {"title": "t"}, 200, {"author", "cm", "admin"}),
    "submit": ("POST", "/changesets/{id}/submit", _draft_changed, None, 200, {"author"}),
    "resubmit": ("POST", "/changesets/{id}/resubmit", _resubmittable, None, 200, {"author"}),
    "review": (
        "POST", "/changesets/{id}/review", _gate_passed, {"decision": "approved"}, 200,
        {"rev1", "cm", "admin"},
    ),
    "queue": ("POST", "/changesets/{id}/queue", _approved, None, 200, {"author", "cm", "admin"}),
    "move-to-draft": (
        "POST", "/changesets/{id}/move-to-draft", _changes_requested, None, 200,
        {"author", "cm", "admin"},
    ),
    "revisions": ("GET", "/changesets/{id}/revisions", _draft, None, 200, MEMBERS),
    "reviews": ("GET", "/changesets/{id}/reviews", _draft, None, 200, MEMBERS),
    "comments": ("GET", "/changesets/{id}/comments", _draft, None, 200, MEMBERS),
    "comment": (
        "POST", "/changesets/{id}/comments", _draft, {"body": "hi"}, 201,
        MEMBERS,
    ),
    "overrides": (
        "GET", "/changesets/{id}/profile-overrides", _draft, None, 200, MEMBERS,
    ),
    "put-overrides": (
        "PUT", "/changesets/{id}/profile-overrides", _draft, "env", 200,
        {"author", "cm", "admin"},
    ),
}  # fmt: skip


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", sorted(ROUTES))
def test_route_access_by_role(tmp_path: Path, route: str, role: str) -> None:
    method, template, setup, body, success, allowed = ROUTES[route]
    with changeset_world(tmp_path) as w:
        changeset_id = "" if setup is None else setup(w)
        if body == "create":
            body = {"workspace_id": w.workspace.id, "title": "t"}
        elif body == "env":
            body = _env(w)
        response = w.call(method, getattr(w, role), template.format(id=changeset_id), body)
        if role in allowed:
            assert response.status_code == success, response.text
        else:
            assert response.status_code == 403, response.text
            assert response.json()["error"]["code"] == "forbidden"
