"""Runtime profiles over HTTP: direct edits, revisions, revert, rotate-key, reveal and
RBAC; secret plaintext only ever leaves through reveal (API.md §7; DOMAIN.md §15)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.model import User
from conman_domain.model.profiles import ProfileKind
from conman_domain.ports.secrets import CipherPort, SecretAad
from tests.http.changeset_world import World, changeset_world
from tests.http.profile_support import (
    SECRET,
    create,
    defaults_id,
    env_profile_id,
    no_plaintext,
    patch,
)

ENV_VAR = {"env_vars": {"LOG_LEVEL": {"type": "string", "value": "debug"}}}


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _drift_jobs(w: World) -> list[Any]:
    return w.queue.list({"job_type": "runtime_profile_drift_check"}, limit=100).items


def _reveal(w: World, profile_id: str, key: str, user: User | None = None) -> Any:
    path = f"/runtime-profiles/{profile_id}/secrets/{key}/reveal"
    return w.call("POST", user or w.admin, path)


def test_a_direct_edit_of_an_environment_profile_checks_drift_and_notifies(w: World) -> None:
    env = w.environments()[1]
    response = patch(w, env.runtime_profile_id, {**ENV_VAR, "change_note": "louder"})
    assert response.status_code == 200, response.text
    revisions = w.call("GET", w.author, f"/runtime-profiles/{env.runtime_profile_id}/revisions")
    latest = revisions.json()["data"][0]
    assert (latest["change_kind"], latest["change_note"]) == ("direct_edit", "louder")
    (job,) = _drift_jobs(w)
    assert (job.entity_type, job.entity_id, job.state) == ("environment", env.id, "queued")
    assert job.payload["runtime_profile_id"] == env.runtime_profile_id
    assert w.outbox_for("runtime_profile_changed") == {"cm@example.com"}  # never the actor
    assert w.audit_actions()[-1] == "runtime_profile.direct_edit"


def test_editing_app_defaults_checks_every_environment(w: World) -> None:
    response = patch(w, defaults_id(w), {"secrets": {"SHARED": SECRET}})
    assert response.status_code == 200, response.text
    assert sorted(j.entity_id for j in _drift_jobs(w)) == sorted(e.id for e in w.environments())
    assert w.outbox_for("runtime_profile_changed") == {"cm@example.com"}
    for mail in w.env.outbox():
        assert SECRET not in str(mail.template_data) and SECRET not in mail.subject


def test_revisions_are_newest_first_paginated_and_masked(w: World) -> None:
    made = create(w, secrets={"TOKEN": SECRET})
    for value in ("second-secret-value", "third-secret-value"):
        assert patch(w, made["id"], {"secrets": {"TOKEN": value}}).status_code == 200
    path = f"/runtime-profiles/{made['id']}/revisions"
    first = w.call("GET", w.author, f"{path}?limit=2").json()
    assert first["pagination"] == {"page": 1, "limit": 2, "total": 3}
    assert [r["revision_number"] for r in first["data"]] == [3, 2]
    assert [r["snapshot"]["secrets"]["TOKEN"]["masked"] for r in first["data"]] == [
        "thir****alue",
        "seco****alue",
    ]
    text = w.call("GET", w.author, path).text
    assert no_plaintext(text, SECRET, "second-secret-value", "third-secret-value")
    assert w.call("GET", w.author, f"{path}?page=0").status_code == 400
    assert w.call("GET", w.author, f"/runtime-profiles/{'c' * 24}/revisions").status_code == 404


def test_revert_copies_an_old_revision_into_a_new_one(w: World) -> None:
    profile_id = env_profile_id(w, 2)
    assert patch(w, profile_id, {**ENV_VAR, "secrets": {"TOKEN": SECRET}}).status_code == 200
    assert patch(w, profile_id, {"env_vars": {"LOG_LEVEL": None}}).status_code == 200
    jobs_before = len(_drift_jobs(w))
    path = f"/runtime-profiles/{profile_id}/revert"
    response = w.call("POST", w.admin, path, {"revision_number": 2, "change_note": "back"})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["current_revision"] == 4
    assert data["env_vars"] == ENV_VAR["env_vars"]
    assert data["secrets"]["TOKEN"]["masked"] == "post****1234"
    assert no_plaintext(response.text, SECRET)
    latest = w.call("GET", w.author, f"/runtime-profiles/{profile_id}/revisions").json()["data"][0]
    assert (latest["change_kind"], latest["reverted_to_revision"]) == ("reverted", 2)
    assert len(_drift_jobs(w)) == jobs_before + 1  # attached: drift check as for a direct edit
    assert w.audit_actions()[-1] == "runtime_profile.reverted"
    assert _reveal(w, profile_id, "TOKEN").json()["data"]["value"] == SECRET


def test_revert_errors(w: World) -> None:
    made = create(w, "curated")
    path = f"/runtime-profiles/{made['id']}/revert"
    missing = w.call("POST", w.admin, path, {"revision_number": 9})
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    for body in ({"revision_number": 0}, {"revision_number": "1"}, {}, {"revision_number": 1.0}):
        assert w.call("POST", w.admin, path, body).status_code == 400
    stored = w.repos.runtime_profiles.get(made["id"])
    w.repos.runtime_profiles.set_fields(
        stored.id, stored.version, {"kind": ProfileKind.TEMP_CHANGESET.value}
    )
    assert w.call("POST", w.admin, path, {"revision_number": 1}).status_code == 409


def test_rotate_key_re_encrypts_every_secret_with_the_same_plaintext(w: World) -> None:
    made = create(w, secrets={"TOKEN": SECRET, "OTHER": "another-secret"})
    before = w.repos.runtime_profiles.get(made["id"]).secrets
    response = w.call("POST", w.admin, f"/runtime-profiles/{made['id']}/rotate-key")
    assert response.status_code == 200, response.text
    assert no_plaintext(response.text, SECRET, "another-secret")
    data = response.json()["data"]
    assert data["current_revision"] == 2
    assert data["secrets"] == made["secrets"]  # same previews and updated_at
    after = w.repos.runtime_profiles.get(made["id"]).secrets
    cipher: CipherPort = w.env.container.cipher()
    for key, plaintext in (("TOKEN", SECRET), ("OTHER", "another-secret")):
        assert after[key].wrapped_dek != before[key].wrapped_dek
        assert after[key].ciphertext != before[key].ciphertext
        aad = SecretAad(app_id=w.app_id, profile_id=made["id"], key=key)
        assert cipher.decrypt(after[key], aad) == plaintext
    revisions = w.call("GET", w.author, f"/runtime-profiles/{made['id']}/revisions").json()
    assert revisions["data"][0]["change_kind"] == "key_rotated"
    event = w.repos.audit.chain(w.app_id)[-1]
    assert (event.action, event.after["keys"]) == (
        "runtime_profile.key_rotated",
        ["OTHER", "TOKEN"],
    )
    assert _drift_jobs(w) == []
    body = w.call("POST", w.admin, f"/runtime-profiles/{made['id']}/rotate-key", {"x": 1})
    assert body.status_code == 400


def test_reveal_returns_plaintext_uncached_and_audits_the_key_only(w: World) -> None:
    made = create(w, secrets={"TOKEN": SECRET})
    response = _reveal(w, made["id"], "TOKEN")
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"key": "TOKEN", "value": SECRET}
    assert response.headers["cache-control"] == "no-store"
    event = w.repos.audit.chain(w.app_id)[-1]
    assert (event.action, event.entity_id, event.after) == (
        "runtime_profile.secret_revealed",
        made["id"],
        {"key": "TOKEN"},
    )
    assert all(SECRET not in str(e.after) for e in w.repos.audit.chain(w.app_id))
    missing = _reveal(w, made["id"], "NOPE")
    assert (missing.status_code, missing.json()["error"]["message"]) == (
        404,
        "not found: secret NOPE",
    )
    assert _reveal(w, "d" * 24, "TOKEN").status_code == 404
    assert w.call("POST", w.admin, f"/runtime-profiles/{made['id']}/secrets/TOKEN/reveal",
                  {"why": "x"}).status_code == 400  # fmt: skip


@pytest.mark.parametrize("role", ["cm", "rev1", "author"])
def test_only_app_admins_write_or_reveal(w: World, role: str) -> None:
    user: User = getattr(w, role)
    made = create(w, secrets={"TOKEN": SECRET})
    one = f"/runtime-profiles/{made['id']}"
    calls = [
        ("POST", "/runtime-profiles", {"name": "mine", "kind": "persistent_env"}),
        ("PATCH", one, ENV_VAR),
        ("POST", f"{one}/revert", {"revision_number": 1}),
        ("POST", f"{one}/rotate-key", None),
        ("POST", f"{one}/secrets/TOKEN/reveal", None),
    ]
    for method, path, body in calls:
        response = w.call(method, user, path, body)
        assert (response.status_code, response.json()["error"]["code"]) == (403, "forbidden")
    for path in ("/runtime-profiles", one, f"{one}/revisions"):
        read = w.call("GET", user, path)
        assert read.status_code == 200 and no_plaintext(read.text, SECRET)
    assert w.repos.runtime_profiles.get(made["id"]).current_revision == 1


def test_non_members_get_403_everywhere(w: World) -> None:
    made = create(w)
    one = f"/runtime-profiles/{made['id']}"
    for method, path in [("GET", "/runtime-profiles"), ("GET", one), ("GET", f"{one}/revisions"),
                         ("PATCH", one), ("POST", f"{one}/rotate-key")]:  # fmt: skip
        response = w.call(method, w.stranger, path, ENV_VAR if method == "PATCH" else None)
        assert response.status_code == 403, (method, path)


def test_the_openapi_document_lists_the_profile_routes(w: World) -> None:
    paths = w.env.client.get("/api/openapi.json").json()["paths"]
    base = "/api/apps/{app_id}/runtime-profiles"
    assert {"get", "post"} <= set(paths[base])
    assert "patch" in paths[f"{base}/{{profile_id}}"]
    assert "post" in paths[f"{base}/{{profile_id}}/secrets/{{key}}/reveal"]
