"""Changeset profile overrides over HTTP (DOMAIN.md §15.6; API.md §9 profile-overrides)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from conman_domain.model import User
from conman_domain.ports.secrets import CipherPort, SecretAad
from tests.http.changeset_world import SECRET, World, changeset_world


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _put(w: World, user: User, changeset_id: str, overrides: list[Any]) -> Any:
    path = f"/changesets/{changeset_id}/profile-overrides"
    return w.call("PUT", user, path, {"overrides": overrides})


def _get(w: World, user: User, changeset_id: str) -> Any:
    return w.call("GET", user, f"/changesets/{changeset_id}/profile-overrides")


def _full(env_id: str) -> dict[str, Any]:
    return {
        "target_environment_id": env_id,
        "env_vars": {"PORT": {"type": "number", "value": 8080}, "OLD": None,
                     "CFG": {"type": "json", "value": {"a": [1, None]}}},
        "secrets": {"API_TOKEN": SECRET, "GONE": None},
        "base_url": "https://qa.example.com",
        "database": {"provisioning_mode": "empty", "connection_ref": None},
        "data_strategy": {"seed_mode": "baseline", "seed_source_ref": "seeds/v1"},
    }  # fmt: skip


def test_put_stores_an_override_per_environment_and_masks_secrets(w: World) -> None:
    cs = w.create()
    env = w.environments()[1]
    response = _put(w, w.author, cs["id"], [_full(env.id)])
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["changeset_id"] == cs["id"]
    (override,) = data["overrides"]
    assert override["target_environment_id"] == env.id
    assert override["target_profile_id"] == env.runtime_profile_id
    assert override["env_vars"] == {
        "CFG": {"type": "json", "value": {"a": [1, None]}},
        "OLD": None,
        "PORT": {"type": "number", "value": 8080.0},
    }
    assert override["secrets"] == {
        "API_TOKEN": {"operation": "set", "masked": "s3cr****e-42"},
        "GONE": {"operation": "remove", "masked": None},
    }
    assert override["base_url"] == "https://qa.example.com"
    assert override["database"] == {"connection_ref": None, "provisioning_mode": "empty"}
    assert override["data_strategy"] == {"seed_mode": "baseline", "seed_source_ref": "seeds/v1"}
    assert (override["created_by"], override["updated_by"]) == (w.author.id, w.author.id)
    assert _get(w, w.other, cs["id"]).json()["data"] == data
    assert "profile_override.updated" in w.audit_actions()


def test_secrets_are_encrypted_for_the_target_profile(w: World) -> None:
    cs = w.create()
    env = w.environments()[0]
    _put(w, w.author, cs["id"], [_full(env.id)])
    (doc,) = w.repos.profile_overrides.all({"changeset_id": cs["id"]})
    record = doc.secret_overrides_encrypted["API_TOKEN"].record
    assert record is not None and SECRET not in msgspec.json.encode(doc).decode()
    cipher: CipherPort = w.env.container.cipher()
    aad = SecretAad(app_id=w.app_id, profile_id=env.runtime_profile_id, key="API_TOKEN")
    assert cipher.decrypt(record, aad) == SECRET


def test_put_replaces_the_whole_set_and_an_empty_list_clears_it(w: World) -> None:
    cs = w.create()
    envs = w.environments()
    _put(w, w.author, cs["id"], [_full(envs[0].id), _full(envs[1].id)])
    assert len(_get(w, w.author, cs["id"]).json()["data"]["overrides"]) == 2
    only = {
        "target_environment_id": envs[1].id,
        "env_vars": {"A": {"type": "string", "value": "x"}},
    }
    data = _put(w, w.author, cs["id"], [only]).json()["data"]
    assert [o["target_environment_id"] for o in data["overrides"]] == [envs[1].id]
    assert data["overrides"][0]["secrets"] == {}
    assert _put(w, w.author, cs["id"], []).json()["data"]["overrides"] == []


def test_keep_reuses_the_stored_secret_and_needs_one(w: World) -> None:
    cs = w.create()
    env = w.environments()[0]
    _put(w, w.author, cs["id"], [_full(env.id)])
    keep = {"target_environment_id": env.id, "secrets": {"API_TOKEN": {"keep": True}}}
    response = _put(w, w.author, cs["id"], [keep])
    assert response.status_code == 200
    assert response.json()["data"]["overrides"][0]["secrets"]["API_TOKEN"]["masked"] == (
        "s3cr****e-42"
    )
    missing = {"target_environment_id": env.id, "secrets": {"OTHER": {"keep": True}}}
    assert _put(w, w.author, cs["id"], [missing]).status_code == 400


@pytest.mark.parametrize(
    "entry",
    [
        {"env_vars": {"PORT": {"type": "number", "value": "8080"}}},
        {"env_vars": {"FLAG": {"type": "boolean", "value": 1}}},
        {"env_vars": {"1BAD": {"type": "string", "value": "x"}}},
        {"env_vars": {"CONMAN_X": {"type": "string", "value": "x"}}},
        {"env_vars": {"A": {"type": "text", "value": "x"}}},
        {"env_vars": {"A": {"type": "string"}}},
        {"secrets": {"TOKEN": ""}},
        {"secrets": {"TOKEN": 5}},
        {"secrets": {"TOKEN": {"keep": False}}},
        {"base_url": "ftp://x"},
        {"base_url": None},
        {"database": {"engine": "postgres"}},
        {"database": {"provisioning_mode": "magic"}},
        {"data_strategy": {"seed_source_ref": ""}},
        {"colour": "red"},
    ],
)
def test_bad_entries_are_400_naming_the_field(w: World, entry: dict[str, Any]) -> None:
    cs = w.create()
    env = w.environments()[0]
    response = _put(w, w.author, cs["id"], [{"target_environment_id": env.id, **entry}])
    assert response.status_code == 400, entry
    assert response.json()["error"]["code"] == "validation_error"


def test_a_bad_typed_value_names_the_key(w: World) -> None:
    cs = w.create()
    env = w.environments()[0]
    entry = {
        "target_environment_id": env.id,
        "env_vars": {"PORT": {"type": "number", "value": "x"}},
    }
    error = _put(w, w.author, cs["id"], [entry]).json()["error"]
    assert error["details"]["fields"][0]["field"] == "overrides[0].env_vars.PORT"


def test_duplicate_targets_and_too_many_entries_are_400(w: World) -> None:
    cs = w.create()
    env = w.environments()[0]
    entry = {"target_environment_id": env.id}
    assert _put(w, w.author, cs["id"], [entry, entry]).status_code == 400
    many = [{"target_environment_id": f"{i:024x}"} for i in range(51)]
    assert _put(w, w.author, cs["id"], many).status_code == 400


def test_unknown_environment_or_base_profile_is_404(w: World) -> None:
    cs = w.create()
    assert _put(w, w.author, cs["id"], [{"target_environment_id": "a" * 24}]).status_code == 404
    env = w.environments()[0]
    entry = {"target_environment_id": env.id, "database": {"base_profile_id": "a" * 24}}
    assert _put(w, w.author, cs["id"], [entry]).status_code == 404


def test_who_may_edit_overrides(w: World) -> None:
    cs = w.create()
    entry = [{"target_environment_id": w.environments()[0].id}]
    assert _put(w, w.other, cs["id"], entry).status_code == 403
    assert _put(w, w.rev1, cs["id"], entry).status_code == 403
    assert _put(w, w.stranger, cs["id"], entry).status_code == 403
    assert _put(w, w.cm, cs["id"], entry).status_code == 200
    assert _put(w, w.admin, cs["id"], entry).status_code == 200
    assert _get(w, w.stranger, cs["id"]).status_code == 403


def test_overrides_of_a_queued_changeset_are_frozen(w: World) -> None:
    changeset_id = w.approved()
    entry = [{"target_environment_id": w.environments()[0].id}]
    assert _put(w, w.author, changeset_id, entry).status_code == 200  # approved: editable
    w.call("POST", w.author, f"/changesets/{changeset_id}/queue")
    response = _put(w, w.author, changeset_id, entry)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_the_secret_plaintext_never_appears_in_any_response_or_record(w: World) -> None:
    cs = w.create()
    env = w.environments()[0]
    w.write("pages/a.json", b"{}")
    bodies = [_put(w, w.author, cs["id"], [_full(env.id)]).text]
    bodies.append(w.call("POST", w.author, f"/changesets/{cs['id']}/submit").text)
    w.finish_gate()
    bodies.append(
        w.call("POST", w.rev1, f"/changesets/{cs['id']}/review", {"decision": "approved"}).text
    )
    bodies.append(w.call("POST", w.author, f"/changesets/{cs['id']}/queue").text)
    for path in ("", "/revisions", "/reviews", "/profile-overrides", "/comments"):
        bodies.append(w.call("GET", w.admin, f"/changesets/{cs['id']}{path}").text)
    bodies.append(w.call("GET", w.admin, "/changesets").text)
    bodies.append(w.call("GET", w.admin, "/jobs").text)
    bodies.append(w.call("GET", w.admin, "/audit").text)
    stored = [msgspec.json.encode(e).decode() for e in w.repos.audit.chain(w.app_id)]
    stored += [msgspec.json.encode(o).decode() for o in w.env.outbox()]
    for text in bodies + stored:
        assert SECRET not in text
        assert "s3cr3t" not in text
