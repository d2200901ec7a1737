"""POST environments/:envId/create-drift-fix-changeset: a workspace on
``drift/<slug>/<n>`` at the baseline, a draft changeset and an override pinning the
desired state, secrets re-encrypted for the target profile (API.md §12; DOMAIN.md
§15.4, §15.10)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.model import ChangesetState
from conman_domain.ports.secrets import CipherPort, SecretAad
from conman_domain.usecases.apps import repo_ref
from tests.http.changeset_world import World
from tests.http.profile_support import defaults_id, no_plaintext
from tests.http.test_drift_support import applied, drift_world, edit, env_at, published

ENV_SECRET = "env-Profile-secret-0001"
SHARED_SECRET = "app-Defaults-secret-0002"
ROTATED_SECRET = "rotated-Secret-value-0003"


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with drift_world(tmp_path) as world:
        yield world


def _fix(w: World, env_id: str, user: Any = None) -> Any:
    return w.call("POST", user or w.cm, f"/environments/{env_id}/create-drift-fix-changeset")


def _drifted(w: World, position: int = 0) -> Any:
    env = env_at(w, position)
    edit(w, defaults_id(w), {"secrets": {"SHARED": SHARED_SECRET}})
    edit(
        w,
        env.runtime_profile_id,
        {
            "base_url": "https://qa.example.com",
            "env_vars": {"PORT": {"type": "number", "value": 8080}},
            "secrets": {"DB_URI": ENV_SECRET},
        },
    )
    env = applied(w, env, published(w))
    edit(
        w,
        env.runtime_profile_id,
        {
            "secrets": {"DB_URI": ROTATED_SECRET},
            "database": {"connection_ref": "DB_URI"},
        },
    )
    return env


def test_without_drift_the_fix_is_a_conflict(w: World) -> None:
    never = env_at(w, 1)
    response = _fix(w, never.id)
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    assert "no drift" in response.json()["error"]["message"]
    env = applied(w, env_at(w), published(w))
    assert _fix(w, env.id).status_code == 409
    branches = [ws.branch_name for ws in w.repos.workspaces.all({"app_id": w.app_id})]
    assert not [b for b in branches if b.startswith("drift/")]


def test_the_fix_creates_a_workspace_a_draft_and_a_pinning_override(w: World) -> None:
    env = _drifted(w)
    response = _fix(w, env.id)
    assert response.status_code == 201, response.text
    data = response.json()["data"]
    workspace, changeset = data["workspace"], data["changeset"]
    assert workspace["branch_name"] == f"drift/{env.slug}/1"
    assert workspace["owner_user_id"] == w.cm.id and workspace["is_default"] is False
    assert workspace["base_sha"] == w.integration_head()
    branch_head = w.git.resolve(repo_ref(w.app), f"refs/heads/drift/{env.slug}/1")
    assert branch_head == w.integration_head()
    assert changeset["title"] == f"Fix runtime drift on `{env.name}`"
    assert changeset["state"] == ChangesetState.DRAFT.value
    assert changeset["workspace_id"] == workspace["id"]
    (override,) = data["overrides"]["overrides"]
    assert override["target_environment_id"] == env.id
    assert override["target_profile_id"] == env.runtime_profile_id
    assert override["env_vars"] == {"PORT": {"type": "number", "value": 8080}}
    assert sorted(override["secrets"]) == ["DB_URI", "SHARED"]
    assert all(s["operation"] == "set" for s in override["secrets"].values())
    assert override["base_url"] == "https://qa.example.com"
    assert override["database"] == {
        "connection_ref": "DB_URI",
        "provisioning_mode": "existing",
        "base_profile_id": None,
    }
    assert no_plaintext(response.text, ENV_SECRET, SHARED_SECRET, ROTATED_SECRET)
    actions = w.audit_actions()
    for action in ("workspace.created", "changeset.created", "profile_override.updated"):
        assert action in actions
    audit_text = str([(e.before, e.after) for e in w.repos.audit.chain(w.app_id)])
    assert no_plaintext(audit_text, ENV_SECRET, SHARED_SECRET, ROTATED_SECRET)


def test_pinned_secrets_are_copied_encrypted_under_the_target_profile(w: World) -> None:
    env = _drifted(w)
    changeset_id = _fix(w, env.id).json()["data"]["changeset"]["id"]
    (doc,) = w.repos.profile_overrides.all({"changeset_id": changeset_id})
    cipher: CipherPort = w.env.container.cipher()
    defaults = w.repos.runtime_profiles.get(defaults_id(w))
    for key, plaintext in (("DB_URI", ROTATED_SECRET), ("SHARED", SHARED_SECRET)):
        record = doc.secret_overrides_encrypted[key].record
        assert record is not None
        aad = SecretAad(app_id=w.app_id, profile_id=env.runtime_profile_id, key=key)
        assert cipher.decrypt(record, aad) == plaintext
    # The app-defaults secret was re-encrypted, not copied byte for byte.
    shared = doc.secret_overrides_encrypted["SHARED"].record
    assert shared is not None and shared.ciphertext != defaults.secrets["SHARED"].ciphertext


def test_drift_branches_are_numbered_after_the_highest_existing_one(w: World) -> None:
    env = _drifted(w)
    first = _fix(w, env.id).json()["data"]["workspace"]["branch_name"]
    assert first == f"drift/{env.slug}/1"
    repo = repo_ref(w.app)
    w.git.create_branch(repo, f"drift/{env.slug}/7", w.integration_head())
    w.git.create_branch(repo, f"drift/{env.slug}x/9", w.integration_head())
    second = _fix(w, env.id).json()["data"]["workspace"]["branch_name"]
    assert second == f"drift/{env.slug}/8"
    third = _fix(w, env.id, w.admin).json()["data"]["workspace"]["branch_name"]
    assert third == f"drift/{env.slug}/9"


def test_only_config_managers_and_admins_create_drift_fixes(w: World) -> None:
    env = _drifted(w)
    for user in (w.author, w.rev1):
        response = _fix(w, env.id, user)
        assert response.status_code == 403, response.text
    assert (
        w.call(
            "POST", w.cm, f"/environments/{env.id}/create-drift-fix-changeset", {"a": 1}
        ).status_code
        == 400
    )
    assert _fix(w, "0" * 24).status_code == 404
    assert w.repos.changesets.count({"app_id": w.app_id}) == 0
