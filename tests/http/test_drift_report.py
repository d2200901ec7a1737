"""GET environments/:envId/drift: the DriftReport categories computed on resolved values,
acknowledged vs blocking, the drift gate and RBAC (API.md §2, §12; DOMAIN.md §15.9)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conman_domain.errors import DriftDetected
from conman_domain.usecases.drift import DriftService
from tests.http.changeset_world import World
from tests.http.profile_support import defaults_id, no_plaintext
from tests.http.test_drift_support import (
    applied,
    drift,
    drift_world,
    edit,
    env_at,
    executed,
    published,
)

OLD_SECRET = "first-Secret-value-0001"
NEW_SECRET = "second-Secret-value-0002"
KEPT_SECRET = "kept-Secret-value-0003"
GONE_SECRET = "gone-Secret-value-0004"
ADDED_SECRET = "added-Secret-value-0005"
MIGRATIONS = {"repo_paths": ["db/migrations"], "command_ref": "./migrate.sh"}


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with drift_world(tmp_path) as world:
        yield world


def _service(w: World) -> DriftService:
    service: DriftService = w.env.container.drift()
    return service


def test_a_never_deployed_environment_has_no_applied_state_and_never_drifts(w: World) -> None:
    env = env_at(w)
    edit(w, env.runtime_profile_id, {"env_vars": {"A": {"type": "string", "value": "x"}}})
    report = drift(w, env)
    assert report["applied"] is None
    assert (report["drifted"], report["blocking"]) == (False, False)
    assert report["desired"]["profile_revision_number"] == 2
    assert report["categories"]["env_vars"] == {"added": [], "removed": [], "changed": []}


def test_a_deployment_of_the_current_revisions_shows_no_drift(w: World) -> None:
    env = env_at(w)
    release = published(w, {"config/app.json": b"{}"})
    applied(w, env, release)
    report = drift(w, env)
    assert report["applied"]["release_id"] == release.id
    assert report["applied"]["profile_revision_number"] == 1
    assert report["release_id"] == release.id == report["desired"]["release_id"]
    assert (report["drifted"], report["acknowledged"], report["blocking"]) == (
        False,
        False,
        False,
    )


def test_env_vars_are_added_removed_and_changed_with_their_typed_values(w: World) -> None:
    env = env_at(w)
    edit(
        w,
        env.runtime_profile_id,
        {
            "env_vars": {
                "GONE": {"type": "string", "value": "bye"},
                "PORT": {"type": "number", "value": 8080},
                "SAME": {"type": "json", "value": {"a": [1, 2]}},
            }
        },
    )
    applied(w, env, published(w))
    edit(
        w,
        env.runtime_profile_id,
        {"env_vars": {"GONE": None, "PORT": {"type": "number", "value": 9090}}},
    )
    edit(w, defaults_id(w), {"env_vars": {"DEBUG": {"type": "boolean", "value": True}}})
    env_vars = drift(w, env)["categories"]["env_vars"]
    assert env_vars["added"] == [{"key": "DEBUG", "value": {"type": "boolean", "value": True}}]
    assert env_vars["removed"] == [{"key": "GONE", "value": {"type": "string", "value": "bye"}}]
    assert env_vars["changed"] == [
        {
            "key": "PORT",
            "from": {"type": "number", "value": 8080},
            "to": {"type": "number", "value": 9090},
        }
    ]


def test_a_profile_value_shadowing_an_app_default_change_is_no_drift(w: World) -> None:
    env = env_at(w)
    edit(w, defaults_id(w), {"env_vars": {"LEVEL": {"type": "string", "value": "info"}}})
    edit(w, env.runtime_profile_id, {"env_vars": {"LEVEL": {"type": "string", "value": "warn"}}})
    applied(w, env, published(w))
    edit(w, defaults_id(w), {"env_vars": {"LEVEL": {"type": "string", "value": "error"}}})
    report = drift(w, env)
    assert report["drifted"] is False
    assert report["desired"]["defaults_revision_id"] != report["applied"]["defaults_revision_id"]


def test_secrets_are_compared_by_plaintext_and_reported_by_key_only(w: World) -> None:
    env = env_at(w)
    profile_id = env.runtime_profile_id
    edit(
        w,
        profile_id,
        {"secrets": {"ROTATED": OLD_SECRET, "KEPT": KEPT_SECRET, "GONE": GONE_SECRET}},
    )
    applied(w, env, published(w))
    edit(w, profile_id, {"secrets": {"ROTATED": NEW_SECRET, "GONE": None, "ADDED": ADDED_SECRET}})
    # Writing the same plaintext again and rotating the key re-encrypt: no drift.
    edit(w, profile_id, {"secrets": {"KEPT": KEPT_SECRET}})
    response = w.call("POST", w.admin, f"/runtime-profiles/{profile_id}/rotate-key")
    assert response.status_code == 200, response.text
    response = w.call("GET", w.author, f"/environments/{env.id}/drift")
    assert response.json()["data"]["categories"]["secrets"] == {
        "added": ["ADDED"],
        "removed": ["GONE"],
        "rotated": ["ROTATED"],
    }
    secrets = (OLD_SECRET, NEW_SECRET, KEPT_SECRET, GONE_SECRET, ADDED_SECRET)
    assert no_plaintext(response.text, *secrets)


def test_re_encryption_alone_is_not_drift(w: World) -> None:
    env = env_at(w)
    edit(w, env.runtime_profile_id, {"secrets": {"TOKEN": OLD_SECRET}})
    edit(w, defaults_id(w), {"secrets": {"SHARED": KEPT_SECRET}})
    applied(w, env, published(w))
    for profile_id in (env.runtime_profile_id, defaults_id(w)):
        response = w.call("POST", w.admin, f"/runtime-profiles/{profile_id}/rotate-key")
        assert response.status_code == 200, response.text
    report = drift(w, env)
    assert report["categories"]["secrets"] == {"added": [], "removed": [], "rotated": []}
    assert report["drifted"] is False


def test_base_url_and_database_fields_report_from_and_to(w: World) -> None:
    env = env_at(w)
    edit(
        w,
        env.runtime_profile_id,
        {"base_url": "https://dev.example.com", "secrets": {"DB_URI": OLD_SECRET}},
    )
    applied(w, env, published(w))
    edit(
        w,
        env.runtime_profile_id,
        {
            "base_url": "https://dev2.example.com",
            "database": {"connection_ref": "DB_URI", "provisioning_mode": "empty"},
        },
    )
    categories = drift(w, env)["categories"]
    assert categories["base_url"] == {
        "from": "https://dev.example.com",
        "to": "https://dev2.example.com",
    }
    assert categories["database"] == [
        {"field": "connection_ref", "from": None, "to": "DB_URI"},
        {"field": "provisioning_mode", "from": "existing", "to": "empty"},
    ]


def test_migrations_pending_and_unexpected_come_from_the_tree_and_the_executions(
    w: World,
) -> None:
    env = env_at(w)
    edit(w, env.runtime_profile_id, {"migrations": MIGRATIONS})
    files = {
        "db/migrations/001_init.js": b"1",
        "db/migrations/sub/002_users.js": b"2",
        "config/app.json": b"{}",
    }
    release = published(w, files)
    applied(w, env, release, ["db/migrations/001_init.js"])
    executed(
        w,
        env,
        release,
        {
            "db/migrations/001_init.js": "succeeded",
            "db/migrations/sub/002_users.js": "failed",
            "db/migrations/000_legacy.js": "succeeded",
        },
    )
    report = drift(w, env)
    assert report["desired"]["migration_ids"] == [
        "db/migrations/001_init.js",
        "db/migrations/sub/002_users.js",
    ]
    assert report["categories"]["migrations"] == {
        "pending": ["db/migrations/sub/002_users.js"],
        "unexpected": ["db/migrations/000_legacy.js"],
    }
    assert report["drifted"] is True
    newer = published(w, {"db/migrations/003_orders.js": b"3"})
    pending = drift(w, env, f"?release_id={newer.id}")["categories"]["migrations"]["pending"]
    assert pending == ["db/migrations/003_orders.js", "db/migrations/sub/002_users.js"]


def test_migrations_without_a_command_never_drift(w: World) -> None:
    env = env_at(w)
    edit(w, env.runtime_profile_id, {"migrations": {"repo_paths": ["db/migrations"]}})
    release = published(w, {"db/migrations/001_init.js": b"1"})
    applied(w, env, release)
    report = drift(w, env)
    assert report["desired"]["migration_ids"] == []
    assert report["categories"]["migrations"] == {"pending": [], "unexpected": []}


def test_an_acknowledgement_of_the_current_revisions_stops_blocking(w: World) -> None:
    release = published(w)
    env = applied(w, env_at(w), release)
    edit(w, env.runtime_profile_id, {"base_url": "https://new.example.com"})
    service = _service(w)
    blocked = drift(w, env)
    assert (blocked["drifted"], blocked["acknowledged"], blocked["blocking"]) == (
        True,
        False,
        True,
    )
    with pytest.raises(DriftDetected) as caught:
        service.ensure_not_blocking(w.app, env, release)
    assert caught.value.details is not None
    assert caught.value.details["drift"]["categories"]["base_url"]["to"] == (
        "https://new.example.com"
    )
    desired = blocked["desired"]
    stored = service.acknowledge(
        env, desired["profile_revision_id"], desired["defaults_revision_id"]
    )
    assert stored is True
    again = service.acknowledge(
        env, desired["profile_revision_id"], desired["defaults_revision_id"]
    )
    assert again is False
    report = drift(w, env)
    assert (report["drifted"], report["acknowledged"], report["blocking"]) == (True, True, False)
    service.ensure_not_blocking(w.app, env, release)
    # A new revision is not covered by the acknowledgement.
    edit(w, env.runtime_profile_id, {"base_url": "https://newer.example.com"})
    assert drift(w, env)["blocking"] is True


def test_every_member_reads_the_report_and_others_get_no_access(w: World) -> None:
    env = env_at(w)
    for user in (w.author, w.rev1, w.cm, w.admin):
        assert drift(w, env, user=user)["environment_id"] == env.id
    stranger = w.call("GET", w.stranger, f"/environments/{env.id}/drift")
    assert stranger.status_code in {403, 404}


def test_unknown_ids_and_query_parameters_are_rejected(w: World) -> None:
    env = env_at(w)
    missing = "0" * 24
    assert w.call("GET", w.author, f"/environments/{missing}/drift").status_code == 404
    assert w.call("GET", w.author, "/environments/nope/drift").status_code == 404
    path = f"/environments/{env.id}/drift"
    assert w.call("GET", w.author, f"{path}?release_id={missing}").status_code == 404
    assert w.call("GET", w.author, f"{path}?other=1").status_code == 400
