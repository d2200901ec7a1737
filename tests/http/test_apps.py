"""Apps, settings and environments (API.md §6)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.gitmodel import RepoRef
from tests.http.identity_harness import Env, identity_env


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with identity_env(tmp_path) as e:
        yield e


def create(env: Env, headers: dict[str, str], **body: Any) -> Any:
    return env.client.post("/api/apps", headers=headers, json=body)


def test_creating_an_app_makes_repository_defaults_and_admin(env: Env) -> None:
    ann = env.user("ann@example.com")
    r = create(env, env.headers(ann), name="shop", repo_path="team/shop")
    assert r.status_code == 201
    app = r.json()["data"]
    assert app["my_role"] == "app_admin" and app["integration_branch"] == "main"
    assert app["settings"]["required_approvals"] == 1
    git = env.container.git()
    repo = RepoRef(relative_path="team/shop", gl_repository=f"app-{app['id']}")
    head = git.resolve(repo, "refs/heads/main")
    assert head is not None
    assert git.find_commit(repo, head).message.startswith("Initialize repository")  # type: ignore[union-attr]
    envs = env.client.get(f"/api/apps/{app['id']}/environments", headers=env.headers(ann)).json()
    names = [(e["name"], e["position"], e["is_canonical"]) for e in envs["data"]]
    assert names == [
        ("Development", 0, False), ("QA", 1, False), ("UAT", 2, False), ("Production", 3, True)
    ]  # fmt: skip
    assert app["settings"]["canonical_env_id"] == envs["data"][3]["id"]
    assert envs["data"][0]["branch_ref"] == "refs/heads/env/development"
    profiles = env.repos.runtime_profiles.all({"app_id": app["id"]})
    assert len(profiles) == 5 and app["defaults_profile_id"] in {p.id for p in profiles}
    actions = sorted(e.action for e in env.repos.audit.list({"app_id": app["id"]}).items)
    assert actions == ["app.created", "membership.created", *["runtime_profile.created"] * 5]


def test_invalid_or_duplicate_apps_are_rejected(env: Env) -> None:
    headers = env.headers(env.user("ann@example.com"))
    assert create(env, headers, name="shop", repo_path="team/shop").status_code == 201
    assert create(env, headers, name="shop", repo_path="team/other").status_code == 409
    assert create(env, headers, name="other", repo_path="team/shop").status_code == 409
    for bad in (
        {"name": "sh op", "repo_path": "x/y"},
        {"name": "ok", "repo_path": "/abs"},
        {"name": "ok", "repo_path": "a/../b"},
        {"name": "ok", "repo_path": "x", "integration_branch": "-bad"},
        {"name": "ok", "repo_path": "x", "colour": "red"},
        {"name": {"$gt": ""}, "repo_path": "x"},
    ):
        assert create(env, headers, **bad).status_code == 400, bad


def test_users_see_only_their_apps_and_foreign_apps_are_hidden(env: Env) -> None:
    ann, bob = env.user("ann@example.com"), env.user("bob@example.com")
    shop = env.app(ann, "shop")
    env.app(ann, "blog")
    env.app(bob, "zoo")
    listed = env.client.get("/api/apps", headers=env.headers(ann)).json()
    assert [a["name"] for a in listed["data"]] == ["blog", "shop"]
    assert listed["pagination"]["total"] == 2
    assert env.client.get(f"/api/apps/{shop}", headers=env.headers(bob)).status_code == 403
    assert env.client.get("/api/apps/" + "0" * 24, headers=env.headers(ann)).status_code == 404
    assert env.client.get("/api/apps/not-an-id", headers=env.headers(ann)).status_code == 404


def test_settings_patch_is_partial_validated_and_audited(env: Env) -> None:
    ann = env.user("ann@example.com")
    app_id = env.app(ann)
    headers = env.headers(ann)
    path = f"/api/apps/{app_id}/settings"
    body = {"required_approvals": 2, "validation_gates": {"submit": {"command": "make check"}}}
    r = env.client.patch(path, headers=headers, json=body)
    assert r.status_code == 200
    settings = r.json()["data"]["settings"]
    assert settings["required_approvals"] == 2
    assert settings["validation_gates"]["submit"] == {
        "command": "make check",
        "timeout_seconds": 600,
    }
    events = env.repos.audit.list({"action": "app.settings_updated"}).items
    assert events[0].before["required_approvals"] == 1
    assert events[0].after["required_approvals"] == 2
    for bad in (
        {"required_approvals": 9},
        {"required_approvals": "2"},
        {"file_size_limit_bytes": 1.5},
        {"temp_url_domain": "Not A Domain"},
        {"integration_branch": "dev"},
        {"baseline_mode": "sometimes"},
        {"colour": "red"},
    ):
        assert env.client.patch(path, headers=headers, json=bad).status_code == 400, bad
    missing = env.client.patch(path, headers=headers, json={"canonical_env_id": "a" * 24})
    assert missing.status_code == 404


def test_setting_canonical_env_id_moves_the_flag(env: Env) -> None:
    ann = env.user("ann@example.com")
    app_id = env.app(ann)
    headers = env.headers(ann)
    envs = env.client.get(f"/api/apps/{app_id}/environments", headers=headers).json()["data"]
    uat = envs[2]["id"]
    r = env.client.patch(
        f"/api/apps/{app_id}/settings", headers=headers, json={"canonical_env_id": uat}
    )
    assert r.status_code == 200
    after = env.client.get(f"/api/apps/{app_id}/environments", headers=headers).json()["data"]
    assert [e["is_canonical"] for e in after] == [False, False, True, False]


def entries(envs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": e["id"],
            "name": e["name"],
            "position": e["position"],
            "is_canonical": e["is_canonical"],
        }
        for e in envs
    ]


def test_environment_replacement_keeps_ids_adds_and_removes(env: Env) -> None:
    ann = env.user("ann@example.com")
    app_id = env.app(ann)
    headers = env.headers(ann)
    path = f"/api/apps/{app_id}/environments"
    old = env.client.get(path, headers=headers).json()["data"]
    dev, _qa, uat, prod = entries(old)
    # Drop QA, rename UAT to Staging, swap order, add Sandbox as the canonical one.
    new_list = [
        {**prod, "position": 0, "is_canonical": False},
        {**uat, "name": "Staging", "position": 1},
        {**dev, "position": 2},
        {"id": "new", "name": "Sandbox", "position": 3, "is_canonical": True},
    ]
    r = env.client.patch(path, headers=headers, json={"environments": new_list})
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert [e["name"] for e in data] == ["Production", "Staging", "Development", "Sandbox"]
    assert data[1]["id"] == uat["id"] and data[1]["slug"] == "staging"
    assert data[1]["branch_ref"] == old[2]["branch_ref"]
    assert data[3]["is_canonical"] and data[3]["branch_ref"] == "refs/heads/env/sandbox"
    app = env.client.get(f"/api/apps/{app_id}", headers=headers).json()["data"]
    assert app["settings"]["canonical_env_id"] == data[3]["id"]
    qa_profile = env.repos.runtime_profiles.get(old[1]["runtime_profile_id"])
    assert qa_profile.environment_id is None
    events = env.repos.audit.list({"action": "app.environments_updated"}).items
    assert len(events[0].before) == 4 and len(events[0].after) == 4


def test_environment_replacement_validation_and_lookups(env: Env) -> None:
    ann, bob = env.user("ann@example.com"), env.user("bob@example.com")
    app_id, other = env.app(ann), env.app(bob, "other")
    headers = env.headers(ann)
    path = f"/api/apps/{app_id}/environments"
    current = entries(env.client.get(path, headers=headers).json()["data"])
    two_canonical = [{**e, "is_canonical": True} for e in current]
    gap = [{**current[0], "position": 5}, *current[1:]]
    dup = [*current, {"id": "new", "name": "qa", "position": 4, "is_canonical": False}]
    for bad in (two_canonical, gap, dup, []):
        r = env.client.patch(path, headers=headers, json={"environments": bad})
        assert r.status_code == 400, bad
    foreign = env.repos.environments.all({"app_id": other})[0].id
    swapped = [{**current[0], "id": foreign}, *current[1:]]
    r = env.client.patch(path, headers=headers, json={"environments": swapped})
    assert r.status_code == 404


def test_removing_an_environment_with_an_active_deployment_is_409(env: Env) -> None:
    from conman_domain.model import Deployment

    ann = env.user("ann@example.com")
    app_id = env.app(ann)
    headers = env.headers(ann)
    path = f"/api/apps/{app_id}/environments"
    current = entries(env.client.get(path, headers=headers).json()["data"])
    fields = {f for f in Deployment.__struct_fields__}
    now = env.clock.now()
    values: dict[str, Any] = {
        "id": env.services.deps.ids.new_id(), "created_at": now, "updated_at": now,
        "app_id": app_id, "environment_id": current[0]["id"], "release_id": "b" * 24,
        "kind": "deploy", "state": "running", "active": True, "created_by": ann.id,
    }  # fmt: skip
    env.container.store().collection("deployments").insert_one(
        {("_id" if k == "id" else k): v for k, v in values.items() if k in fields or k == "id"}
    )
    rest = [{**e, "position": i} for i, e in enumerate(current[1:])]
    r = env.client.patch(path, headers=headers, json={"environments": rest})
    assert r.status_code == 409
    assert "active deployment" in r.json()["error"]["message"]
    env.container.store().collection("deployments").update_one(
        {"_id": values["id"]}, {"$set": {"active": False, "state": "succeeded"}}
    )
    assert env.client.patch(path, headers=headers, json={"environments": rest}).status_code == 200


def test_existing_repositories_are_reused_or_refused(env: Env) -> None:
    from conman_domain.gitmodel import FileAction, Signature

    headers = env.headers(env.user("ann@example.com"))
    git = env.container.git()
    empty = RepoRef(relative_path="team/empty")
    git.create_repository(empty, default_branch="main")
    r = create(env, headers, name="empty", repo_path="team/empty")
    assert r.status_code == 201
    assert git.resolve(empty, "refs/heads/main") is not None
    other = RepoRef(relative_path="team/other")
    git.create_repository(other, default_branch="trunk")
    author = Signature(name="A", email="a@example.com", when=env.clock.now())
    git.commit_files(
        other, ref="refs/heads/trunk", parent=None, expected_old="0" * 40,
        actions=[FileAction(action="create", path="a.txt", content=b"a")],
        message="first", author=author,
    )  # fmt: skip
    refused = create(env, headers, name="other", repo_path="team/other")
    assert refused.status_code == 400
    kept = create(env, headers, name="other", repo_path="team/other", integration_branch="trunk")
    assert kept.status_code == 201


def test_a_concurrent_environment_edit_loses_the_compare_and_set(env: Env) -> None:
    from conman_domain.errors import Conflict
    from conman_domain.rules import EnvironmentEntry
    from conman_domain.usecases.audit import Actor

    ann = env.user("ann@example.com")
    app_id = env.app(ann)
    stale = env.repos.apps.get(app_id)
    current = env.services.environments.sorted_list(stale)
    entries_ = [
        EnvironmentEntry(id=e.id, name=e.name, position=e.position, is_canonical=e.is_canonical)
        for e in current
    ]
    env.services.environments.replace(stale, Actor(user_id=ann.id), entries_)
    with pytest.raises(Conflict):
        env.services.environments.replace(stale, Actor(user_id=ann.id), entries_)


def test_profile_references_in_settings_and_environments(env: Env) -> None:
    from conman_domain.model import ProfileKind
    from conman_domain.usecases.apps import new_profile

    ann = env.user("ann@example.com")
    app_id = env.app(ann)
    headers = env.headers(ann)
    settings_path = f"/api/apps/{app_id}/settings"
    app = env.repos.apps.get(app_id)
    defaults = app.defaults_profile_id
    r = env.client.patch(
        settings_path, headers=headers, json={"default_temp_base_profile_id": defaults}
    )
    assert r.status_code == 400
    r = env.client.patch(
        settings_path, headers=headers, json={"default_temp_base_profile_id": "c" * 24}
    )
    assert r.status_code == 404
    path = f"/api/apps/{app_id}/environments"
    current = entries(env.client.get(path, headers=headers).json()["data"])
    attached = env.repos.environments.get(current[1]["id"]).runtime_profile_id
    spare = new_profile(
        env.services.deps, app_id=app_id, name="spare", kind=ProfileKind.PERSISTENT_ENV,
        environment_id=None, created_by=ann.id, now=env.clock.now(),
    )  # fmt: skip
    for profile_id, status in ((attached, 400), ("c" * 24, 404), (spare.id, 200)):
        body = [{**current[0], "runtime_profile_id": profile_id}, *current[1:]]
        r = env.client.patch(path, headers=headers, json={"environments": body})
        assert r.status_code == status, (profile_id, r.text)
    assert env.repos.runtime_profiles.get(spare.id).environment_id == current[0]["id"]
    r = env.client.patch(
        settings_path, headers=headers, json={"default_temp_base_profile_id": spare.id}
    )
    assert r.status_code == 200
