"""Temp environment routes (API.md §13; DOMAIN.md §16.1-§16.4)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest

from conman_domain.gitmodel import RepoRef
from conman_domain.model import ChangesetState, JobState, JobType, ProfileKind
from conman_domain.rules.temp_words import ADJECTIVES, NOUNS
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.temp_envs import TempEnvService
from tests.http.changeset_world import World
from tests.http.test_temp_envs_support import (
    FakeProvisioner,
    call,
    env_of,
    run_temp_job,
    temp_world,
)


@pytest.fixture
def wp(tmp_path: Path) -> Iterator[tuple[World, FakeProvisioner]]:
    with temp_world(tmp_path) as pair:
        yield pair


@pytest.fixture
def w(wp: tuple[World, FakeProvisioner]) -> World:
    return wp[0]


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _create(w: World, **body: Any) -> dict[str, Any]:
    payload = body or {"workspace_id": w.workspace.id}
    response = call(w, "POST", "", payload)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _active(w: World, **body: Any) -> dict[str, Any]:
    created = _create(w, **body)
    job, result = run_temp_job(w, JobType.TEMP_ENV_PROVISION)
    assert job.state == JobState.SUCCEEDED, result
    data: dict[str, Any] = call(w, "GET", f"/{created['id']}").json()["data"]
    return data


def test_creating_a_workspace_temp_env_names_its_resources_and_enqueues_provisioning(
    w: World,
) -> None:
    data = _create(w)
    assert data["state"] == "provisioning"
    assert data["kind"] == "workspace" and data["workspace_id"] == w.workspace.id
    match = re.fullmatch(r"https://shop-ws-([a-z]+)-([a-z]+)\.localhost", data["base_url"])
    assert match is not None
    assert match.group(1) in ADJECTIVES and match.group(2) in NOUNS
    assert data["db_name"] == f"tmp_{w.app_id[-6:]}_{data['id']}"
    assert data["snapshot_branch"] == f"temp/{data['id']}/ws/author/shop"
    position0 = w.environments()[0]
    assert data["base_runtime_profile_id"] == position0.runtime_profile_id
    job = w.queue.get(data["provision_job_id"])
    assert job.job_type == JobType.TEMP_ENV_PROVISION and job.state == JobState.QUEUED
    assert (job.entity_type, job.entity_id) == ("temp_environment", data["id"])
    assert job.payload == {"temp_env_id": data["id"]}
    assert "temp_environment.created" in w.audit_actions()


def test_the_app_url_domain_and_default_base_profile_are_used(w: World) -> None:
    qa = w.environments()[1]
    app = w.app
    app.settings = msgspec.structs.replace(
        app.settings,
        temp_url_domain="preview.example.com",
        default_temp_base_profile_id=qa.runtime_profile_id,
    )
    w.repos.apps.save(app)
    data = _create(w)
    assert data["base_url"].endswith(".preview.example.com")
    assert data["base_runtime_profile_id"] == qa.runtime_profile_id


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"workspace_id": "0" * 24, "changeset_id": "0" * 24},
        {"workspace_id": "not-an-id"},
        {"workspace_id": None, "changeset_id": None},
        {"workspace_id": "0" * 24, "colour": "red"},
        {
            "workspace_id": "0" * 24,
            "env_var_overrides": {"CONMAN_X": {"type": "string", "value": "a"}},
        },
        {"workspace_id": "0" * 24, "env_var_overrides": {"N": {"type": "number", "value": "1"}}},
    ],
)
def test_bad_create_bodies_are_rejected_with_400(w: World, body: dict[str, Any]) -> None:
    response = call(w, "POST", "", body)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "validation_error"


def test_unknown_sources_and_profiles_are_404_and_non_persistent_bases_are_400(w: World) -> None:
    assert call(w, "POST", "", {"workspace_id": "0" * 24}).status_code == 404
    assert call(w, "POST", "", {"changeset_id": "0" * 24}).status_code == 404
    missing = {"workspace_id": w.workspace.id, "base_runtime_profile_id": "0" * 24}
    assert call(w, "POST", "", missing).status_code == 404
    defaults = {
        "workspace_id": w.workspace.id,
        "base_runtime_profile_id": w.app.defaults_profile_id,
    }
    response = call(w, "POST", "", defaults)
    assert response.status_code == 400
    assert "persistent_env" in response.json()["error"]["message"]


def test_a_source_has_at_most_one_live_temp_env(w: World) -> None:
    first = _create(w)
    again = call(w, "POST", "", {"workspace_id": w.workspace.id})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    assert first["id"] in again.json()["error"]["message"]


def test_changeset_temp_envs_need_an_open_changeset(w: World) -> None:
    cs = w.create()
    data = _create(w, changeset_id=cs["id"])
    assert data["kind"] == "changeset"
    assert data["snapshot_branch"] == f"temp/{data['id']}/changeset-{cs['id']}"
    assert re.fullmatch(r"https://shop-cs-[a-z]+-[a-z]+\.localhost", data["base_url"])
    changeset = w.repos.changesets.get(cs["id"])
    w.repos.changesets.set_fields(changeset.id, changeset.version, {"state": "rejected"})
    assert w.repos.changesets.get(cs["id"]).state == ChangesetState.REJECTED
    other_ws = w.new_workspace(w.other, "ws/other/x")
    cs2 = w.create(user=w.other, workspace_id=other_ws.id)
    closed = w.repos.changesets.get(cs2["id"])
    w.repos.changesets.set_fields(closed.id, closed.version, {"state": "released"})
    response = call(w, "POST", "", {"changeset_id": cs2["id"]}, user=w.other)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert response.json()["error"]["details"] == {"from": "released", "to": "provisioning"}


def test_listing_filters_by_state_and_hides_deleted_ones_by_default(w: World) -> None:
    first = _active(w)
    other_ws = w.new_workspace(w.other, "ws/other/list")
    second = _create(w, workspace_id=other_ws.id)
    assert call(w, "DELETE", f"/{first['id']}").status_code == 204
    listed = call(w, "GET", "").json()
    assert [e["id"] for e in listed["data"]] == [second["id"]]
    assert listed["pagination"] == {"page": 1, "limit": 20, "total": 1}
    everything = call(w, "GET", "?include_deleted=true").json()["data"]
    assert [e["id"] for e in everything] == [second["id"], first["id"]]
    deleted = call(w, "GET", "?state=deleted").json()["data"]
    assert [e["id"] for e in deleted] == [first["id"]]
    assert call(w, "GET", "?state=gone").status_code == 400
    assert call(w, "GET", "?include_deleted=yes").status_code == 400
    assert call(w, "GET", "?colour=red").status_code == 400


def test_reads_of_unknown_or_malformed_ids_are_404(w: World) -> None:
    assert call(w, "GET", "/" + "0" * 24).status_code == 404
    assert call(w, "GET", "/nope").status_code == 404
    assert call(w, "GET", "", user=w.stranger).status_code == 403


def test_extend_adds_hours_within_the_maximum_lifetime(w: World) -> None:
    data = _active(w)
    expires = _ts(data["expires_at"])
    extended = call(w, "POST", f"/{data['id']}/extend", {"hours": 10})
    assert extended.status_code == 200, extended.text
    assert _ts(extended.json()["data"]["expires_at"]) == expires + timedelta(hours=10)
    default = call(w, "POST", f"/{data['id']}/extend")
    assert _ts(default.json()["data"]["expires_at"]) == expires + timedelta(hours=34)
    for hours in (0, 49):
        bad = call(w, "POST", f"/{data['id']}/extend", {"hours": hours})
        assert bad.status_code == 400
    too_long = call(w, "POST", f"/{data['id']}/extend", {"hours": 48})
    assert too_long.status_code == 400
    assert "exceeds maximum lifetime" in too_long.json()["error"]["message"]
    assert w.audit_actions().count("temp_environment.extended") == 2


def test_only_the_creator_or_cm_plus_may_extend_undo_or_delete(w: World) -> None:
    data = _active(w)
    path = f"/{data['id']}"
    assert call(w, "POST", f"{path}/extend", {"hours": 1}, user=w.other).status_code == 403
    assert call(w, "POST", f"{path}/undo-expire", user=w.rev1).status_code == 403
    assert call(w, "DELETE", path, user=w.other).status_code == 403
    assert call(w, "POST", f"{path}/extend", {"hours": 1}, user=w.cm).status_code == 200
    touched = call(w, "POST", f"{path}/touch", user=w.other)
    assert touched.status_code == 200


def test_lifecycle_actions_on_a_provisioning_env_are_invalid_transitions(w: World) -> None:
    data = _create(w)
    path = f"/{data['id']}"
    for method, suffix in (("POST", "/extend"), ("POST", "/touch"), ("POST", "/undo-expire")):
        response = call(w, method, path + suffix)
        assert response.status_code == 409, suffix
        assert response.json()["error"]["code"] == "invalid_transition"
    assert call(w, "DELETE", path).status_code == 409


def test_touch_moves_expiry_forward_and_clears_the_warning(w: World) -> None:
    data = _active(w)
    w.env.clock.advance(hours=5)
    touched = call(w, "POST", f"/{data['id']}/touch").json()["data"]
    assert _ts(touched["expires_at"]) > _ts(data["expires_at"])
    assert _ts(touched["last_activity_at"]) > _ts(data["last_activity_at"])
    assert call(w, "POST", f"/{data['id']}/touch", {"x": 1}).status_code == 400


def test_delete_marks_deleted_enqueues_cleanup_and_notifies_the_creator(
    wp: tuple[World, FakeProvisioner],
) -> None:
    w, provisioner = wp
    data = _active(w)
    assert data["db_name"] in provisioner.databases
    response = call(w, "DELETE", f"/{data['id']}", user=w.cm)
    assert response.status_code == 204 and response.content == b""
    env = env_of(w, data["id"])
    assert env.state == "deleted" and env.deleted_at is not None and not env.live
    assert "temp_environment.deleted" in w.audit_actions()
    assert w.outbox_for("temp_env_deleted") == {"author@example.com"}
    assert call(w, "DELETE", f"/{data['id']}", user=w.cm).status_code == 409
    job, result = run_temp_job(w, JobType.TEMP_ENV_CLEANUP)
    assert job.state == JobState.SUCCEEDED, result
    env = env_of(w, data["id"])
    assert env.cleaned_up_at is not None and env.state == "deleted"
    assert data["db_name"] not in provisioner.databases
    profile = w.repos.runtime_profiles.get(data["runtime_profile_id"])
    assert profile.archived and profile.kind == ProfileKind.TEMP_WORKSPACE
    assert w.git.resolve(_repo(w), f"refs/heads/{data['snapshot_branch']}") is None
    # A new temp env for the same source is allowed once the old one is gone.
    assert call(w, "POST", "", {"workspace_id": w.workspace.id}).status_code == 201


def _repo(w: World) -> RepoRef:
    return repo_ref(w.app)


def test_source_activity_touches_only_an_active_temp_env(w: World) -> None:
    service = TempEnvService(w.env.container.temp_env_deps())
    assert service.touch_source(w.app, workspace_id=w.workspace.id) is False
    data = _active(w)
    w.env.clock.advance(hours=2)
    assert service.touch_source(w.app, workspace_id=w.workspace.id) is True
    env = env_of(w, data["id"])
    assert env.expires_at is not None and env.expires_at > _ts(data["expires_at"])
    assert service.touch_source(w.app, changeset_id="0" * 24) is False


def test_writing_a_file_through_the_api_touches_the_workspace_temp_env(w: World) -> None:
    data = _active(w)
    w.env.clock.advance(hours=3)
    response = w.call(
        "PUT",
        w.author,
        f"/workspaces/{w.workspace.id}/files",
        {"path": "config/app.json", "content": "{}", "encoding": "utf-8"},
    )
    assert response.status_code == 200, response.text
    env = env_of(w, data["id"])
    assert env.last_activity_at is not None
    assert env.last_activity_at > _ts(data["last_activity_at"])
    assert env.expires_at is not None and env.expires_at > _ts(data["expires_at"])
