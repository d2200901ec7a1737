"""Runtime profiles over HTTP: list, create, get, PATCH and their errors (API.md §7)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conman_domain.model.profiles import ProfileKind
from tests.http.changeset_world import World, changeset_world
from tests.http.profile_support import (
    SECRET,
    create,
    defaults_id,
    env_profile_id,
    no_plaintext,
    patch,
)


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _error(response: object) -> tuple[int, str, str]:
    status = getattr(response, "status_code")  # noqa: B009
    body = getattr(response, "json")()  # noqa: B009
    return status, body["error"]["code"], body["error"]["message"]


def test_the_list_is_sorted_by_name_paginated_and_filtered_by_kind(w: World) -> None:
    response = w.call("GET", w.author, "/runtime-profiles?limit=2&page=2")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 5}
    everything = w.call("GET", w.author, "/runtime-profiles").json()["data"]
    names = [p["name"] for p in everything]
    assert names == sorted(names) == ["Development", "Production", "QA", "UAT", "app-defaults"]
    assert [p["name"] for p in body["data"]] == names[2:4]
    only = w.call("GET", w.author, "/runtime-profiles?kind=app_defaults").json()
    assert [p["kind"] for p in only["data"]] == ["app_defaults"]
    assert only["pagination"]["total"] == 1


def test_the_list_hides_archived_profiles_unless_asked(w: World) -> None:
    profile = create(w, "old-data")
    stored = w.repos.runtime_profiles.get(profile["id"])
    w.repos.runtime_profiles.set_fields(
        stored.id, stored.version, {"archived": True, "archived_at": w.env.clock.now()}
    )
    default = w.call("GET", w.author, "/runtime-profiles").json()["data"]
    assert "old-data" not in [p["name"] for p in default]
    shown = w.call("GET", w.author, "/runtime-profiles?include_archived=true").json()["data"]
    archived = next(p for p in shown if p["name"] == "old-data")
    assert archived["archived_at"] is not None


@pytest.mark.parametrize(
    "query", ["kind=nope", "include_archived=yes", "sort=name", "kind=app_defaults&kind=x"]
)
def test_bad_list_queries_are_rejected(w: World, query: str) -> None:
    response = w.call("GET", w.author, f"/runtime-profiles?{query}")
    assert _error(response)[:2] == (400, "validation_error")


def test_create_stores_typed_values_and_masks_secrets_everywhere(w: World) -> None:
    base = create(w, "base-data")
    body = {
        "base_url": "https://curated.example.com",
        "env_vars": {"PORT": {"type": "number", "value": 8080},
                     "DEBUG": {"type": "boolean", "value": False},
                     "CFG": {"type": "json", "value": {"a": [1, None]}}},
        "secrets": {"DB_URI": SECRET, "PIN": "1234", "SHORTER": "abcdefg"},
        "database": {"connection_ref": "DB_URI", "provisioning_mode": "clone_from_base",
                     "base_profile_id": base["id"]},
        "migrations": {"repo_paths": ["db/migrations"], "command_ref": "make migrate"},
        "data_strategy": {"seed_mode": "baseline", "seed_source_ref": "seeds/v1"},
        "lifecycle": {"ttl_idle_hours": 24, "grace_hours": 0},
        "change_note": "curated data for demos",
    }  # fmt: skip
    payload = {"name": "curated", "kind": "persistent_env", **body}
    response = w.call("POST", w.admin, "/runtime-profiles", payload)
    assert response.status_code == 201, response.text
    assert no_plaintext(response.text, SECRET, "abcdefg")
    data = response.json()["data"]
    assert data["kind"] == "persistent_env"
    assert data["environment_id"] is None
    assert data["current_revision"] == 1
    assert data["env_vars"]["PORT"] == {"type": "number", "value": 8080.0}
    assert data["env_vars"]["CFG"] == {"type": "json", "value": {"a": [1, None]}}
    assert {k: v["masked"] for k, v in data["secrets"].items()} == {
        "DB_URI": "post****1234",
        "PIN": "****",
        "SHORTER": "****defg",
    }
    assert all(v["updated_at"].endswith("Z") for v in data["secrets"].values())
    assert data["database"] == {"engine": "mongodb", "connection_ref": "DB_URI",
                                "provisioning_mode": "clone_from_base",
                                "base_profile_id": base["id"]}  # fmt: skip
    assert data["migrations"] == {"repo_paths": ["db/migrations"], "command_ref": "make migrate",
                                  "applied_state_ref": None}  # fmt: skip
    assert data["lifecycle"] == {"ttl_idle_hours": 24, "grace_hours": 0, "auto_cleanup": True}
    stored = w.repos.runtime_profiles.get(data["id"])
    assert SECRET not in stored.secrets["DB_URI"].ciphertext
    for user in (w.author, w.admin):
        text = w.call("GET", user, f"/runtime-profiles/{data['id']}").text
        assert no_plaintext(text, SECRET, "abcdefg") and "post****1234" in text
        listed = w.call("GET", user, "/runtime-profiles").text
        assert no_plaintext(listed, SECRET, "abcdefg")
    revisions = w.call("GET", w.author, f"/runtime-profiles/{data['id']}/revisions").json()
    (first,) = revisions["data"]
    assert first["change_kind"] == "created"
    assert first["change_note"] == "curated data for demos"
    assert first["snapshot"]["secrets"]["DB_URI"] == {"masked": "post****1234", "updated_at": None}
    event = w.repos.audit.chain(w.app_id)[-1]
    assert event.action == "runtime_profile.created"
    assert event.after["secret_keys"] == ["DB_URI", "PIN", "SHORTER"]
    assert SECRET not in str(event.after)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "app_defaults"}, "kind"),
        ({"name": ""}, "name"),
        ({"name": "x" * 65}, "name"),
        ({"env_vars": {"PORT": {"type": "number", "value": "80"}}}, "env_vars.PORT"),
        ({"env_vars": {"FLAG": {"type": "boolean", "value": 1}}}, "env_vars.FLAG"),
        ({"env_vars": {"conman_x": {"type": "string", "value": "a"}}}, "env_vars.conman_x"),
        ({"env_vars": {"1BAD": {"type": "string", "value": "a"}}}, "env_vars.1BAD"),
        ({"env_vars": {"A": {"type": "string", "value": "a", "x": 1}}}, "env_vars[...].x"),
        ({"secrets": {"TOKEN": ""}}, "secrets.TOKEN"),
        ({"secrets": {"TOKEN": None}}, "secrets[...]"),
        ({"base_url": "ftp://x.example.com"}, "base_url"),
        ({"database": {"engine": "postgres"}}, "database.engine"),
        ({"database": {"provisioning_mode": "clone_from_base"}}, "database.base_profile_id"),
        ({"database": {"connection_ref": "NOPE"}}, "database.connection_ref"),
        ({"database": {"base_profile_id": "xyz"}}, "database.base_profile_id"),
        ({"migrations": {"repo_paths": ["../up"]}}, "migrations.repo_paths[0]"),
        ({"migrations": {"repo_paths": ["m"] * 21}}, "migrations.repo_paths"),
        ({"migrations": {"command_ref": "x" * 4097}}, "migrations.command_ref"),
        ({"data_strategy": {"seed_mode": "snapshot"}}, "data_strategy.seed_source_ref"),
        ({"lifecycle": {"ttl_idle_hours": 0}}, "lifecycle.ttl_idle_hours"),
        ({"lifecycle": {"grace_hours": 73}}, "lifecycle.grace_hours"),
        ({"lifecycle": {"auto_cleanup": "yes"}}, "lifecycle.auto_cleanup"),
        ({"change_note": "n" * 501}, "change_note"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_create_rejects_bad_input_naming_the_field(
    w: World, body: dict[str, object], field: str
) -> None:
    payload = {"name": "curated", "kind": "persistent_env", **body}
    response = w.call("POST", w.admin, "/runtime-profiles", payload)
    assert response.status_code == 400, response.text
    fields = [f["field"] for f in response.json()["error"]["details"]["fields"]]
    assert field in fields
    assert w.repos.runtime_profiles.find_one({"app_id": w.app_id, "name": "curated"}) is None


def test_create_answers_409_for_a_taken_name_and_404_for_an_unknown_base_profile(
    w: World,
) -> None:
    taken = w.call("POST", w.admin, "/runtime-profiles", {"name": "QA", "kind": "persistent_env"})
    assert _error(taken)[:2] == (409, "conflict")
    unknown = w.call("POST", w.admin, "/runtime-profiles", {
        "name": "x", "kind": "persistent_env",
        "database": {"provisioning_mode": "clone_from_base", "base_profile_id": "a" * 24},
    })  # fmt: skip
    assert _error(unknown) == (404, "not_found", f"not found: runtime profile {'a' * 24}")
    defaults = w.call("POST", w.admin, "/runtime-profiles", {
        "name": "x", "kind": "persistent_env", "database": {"base_profile_id": defaults_id(w)},
    })  # fmt: skip
    assert _error(defaults)[:2] == (400, "validation_error")


def test_connection_ref_may_name_a_secret_of_the_app_defaults(w: World) -> None:
    assert patch(w, defaults_id(w), {"secrets": {"MONGO_URI": SECRET}}).status_code == 200
    made = create(w, "shared-db", database={"connection_ref": "MONGO_URI"})
    assert made["database"]["connection_ref"] == "MONGO_URI"


def test_get_answers_404_for_unknown_malformed_and_foreign_ids(w: World) -> None:
    for bad in ("a" * 24, "not-an-id"):
        response = w.call("GET", w.author, f"/runtime-profiles/{bad}")
        assert _error(response)[:2] == (404, "not_found")
    other_app = w.env.app(w.admin, name="other")
    foreign = w.repos.apps.get(other_app).defaults_profile_id
    response = w.call("GET", w.author, f"/runtime-profiles/{foreign}")
    assert _error(response)[:2] == (404, "not_found")


def test_patch_merges_env_vars_secrets_and_sub_objects(w: World) -> None:
    made = create(
        w,
        env_vars={"A": {"type": "string", "value": "a"}, "B": {"type": "string", "value": "b"}},
        secrets={"KEEP": "keep-this-secret", "DROP": "drop-this-secret"},
        migrations={"repo_paths": ["db"], "command_ref": "migrate"},
    )
    response = patch(w, made["id"], {
        "env_vars": {"A": None, "C": {"type": "number", "value": 1.5}, "MISSING": None},
        "secrets": {"DROP": None, "NEW": "brand-new-secret"},
        "migrations": {"applied_state_ref": "state"},
        "lifecycle": {"auto_cleanup": False},
        "base_url": None,
    })  # fmt: skip
    assert response.status_code == 200, response.text
    assert no_plaintext(response.text, "keep-this-secret", "brand-new-secret")
    data = response.json()["data"]
    assert data["env_vars"] == {"B": {"type": "string", "value": "b"},
                                "C": {"type": "number", "value": 1.5}}  # fmt: skip
    assert sorted(data["secrets"]) == ["KEEP", "NEW"]
    assert data["secrets"]["KEEP"]["updated_at"] == made["secrets"]["KEEP"]["updated_at"]
    assert data["secrets"]["NEW"]["updated_at"] > made["secrets"]["KEEP"]["updated_at"]
    assert data["migrations"] == {"repo_paths": ["db"], "command_ref": "migrate",
                                  "applied_state_ref": "state"}  # fmt: skip
    assert data["lifecycle"]["auto_cleanup"] is False
    assert data["current_revision"] == 2
    revisions = w.call("GET", w.author, f"/runtime-profiles/{made['id']}/revisions").json()
    assert [r["revision_number"] for r in revisions["data"]] == [2, 1]
    assert revisions["data"][0]["change_kind"] == "updated"  # not attached: no direct edit
    event = w.repos.audit.chain(w.app_id)[-1]
    assert event.action == "runtime_profile.updated"
    assert event.before["env_vars"] == {"A": {"type": "string", "value": "a"}, "C": None}
    assert event.after["secrets_written"] == ["NEW"]
    assert event.after["secrets_removed"] == ["DROP"]
    assert "brand-new-secret" not in str(event.after)
    drift = w.queue.list({"job_type": "runtime_profile_drift_check"})
    assert drift.total == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"change_note": "only a note"}, {"name": None}, {"env_vars": {"X": {"type": "date"}}}],
)
def test_patch_needs_a_valid_content_field(w: World, body: dict[str, object]) -> None:
    response = patch(w, env_profile_id(w), body)
    assert _error(response)[:2] == (400, "validation_error")


def test_patch_refuses_temp_and_archived_profiles_and_taken_names(w: World) -> None:
    made = create(w, "temp-one")
    stored = w.repos.runtime_profiles.get(made["id"])
    w.repos.runtime_profiles.set_fields(
        stored.id, stored.version, {"kind": ProfileKind.TEMP_WORKSPACE.value}
    )
    body = {"env_vars": {"A": {"type": "string", "value": "a"}}}
    assert _error(patch(w, made["id"], body))[:2] == (409, "conflict")
    archived = create(w, "archived-one")
    stored = w.repos.runtime_profiles.get(archived["id"])
    w.repos.runtime_profiles.set_fields(stored.id, stored.version, {"archived": True})
    assert _error(patch(w, archived["id"], body))[:2] == (409, "conflict")
    assert _error(patch(w, env_profile_id(w), {"name": "UAT"}))[:2] == (409, "conflict")
    assert patch(w, env_profile_id(w), {"name": "Development"}).status_code == 200
    assert _error(patch(w, "b" * 24, body))[:2] == (404, "not_found")


def test_unsupported_methods_answer_405(w: World) -> None:
    response = w.call("DELETE", w.admin, f"/runtime-profiles/{env_profile_id(w)}")
    assert response.status_code == 405
    assert "PATCH" in response.headers["allow"]
