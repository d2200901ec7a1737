"""Submit and resubmit over HTTP (DOMAIN.md §8.2, §9.3; API.md §9)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.model import CommitMode, JobType
from conman_domain.usecases.apps import repo_ref
from tests.http.changeset_world import World, changeset_world


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _submit(w: World, changeset_id: str, kind: str = "submit") -> Any:
    return w.call("POST", w.author, f"/changesets/{changeset_id}/{kind}")


def _env_override(w: World, position: int) -> dict[str, Any]:
    env = w.environments()[position]
    return {"target_environment_id": env.id, "env_vars": {"PORT": {"type": "number", "value": 8}}}


def test_submit_squashes_the_working_state_into_one_branch_commit(w: World) -> None:
    repo = repo_ref(w.app)
    old_head = w.git.resolve(repo, "refs/heads/ws/author/shop")
    cs = w.create(title="Add customer page")
    w.write("pages/a.json", b"{}")
    w.write("pages/b.json", b"{}")
    response = _submit(w, cs["id"])
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    new_head = w.git.resolve(repo, "refs/heads/ws/author/shop")
    commit = w.git.find_commit(repo, new_head or "")
    assert commit is not None
    assert commit.parents == [old_head]
    assert commit.message.strip() == "Add customer page"
    assert commit.author.email == "author@example.com"
    assert w.git.resolve(repo, f"refs/conman/autosave/{w.workspace.id}") is None
    assert {b.path for b in w.git.read_blobs(repo, new_head or "", ["pages/a.json"])} == {
        "pages/a.json"
    }
    changeset = data["changeset"]
    assert changeset["state"] == "submitted"
    assert changeset["head_sha"] == new_head
    assert changeset["base_sha"] == w.integration_head()
    assert changeset["current_revision"] == 1
    assert data["revision"]["revision_number"] == 1
    assert data["revision"]["head_sha"] == new_head
    assert data["included_profile_overrides"] == []


def test_submit_enqueues_the_submit_gate_and_names_it(w: World) -> None:
    changeset_id = w.submitted()
    cs = w.changeset(changeset_id)
    job = w.queue.get(cs["last_submit_job_id"])
    assert job.job_type == JobType.MSUITE_SUBMIT
    assert job.entity_type == "changeset" and job.entity_id == changeset_id
    assert job.payload == {
        "changeset_id": changeset_id,
        "revision_number": 1,
        "head_sha": cs["head_sha"],
        "base_sha": cs["base_sha"],
    }


def test_submit_audits_with_the_head_and_notifies_reviewers_and_managers(w: World) -> None:
    changeset_id = w.submitted()
    events = [e for e in w.repos.audit.chain(w.app_id) if e.action == "changeset.submitted"]
    assert len(events) == 1
    assert events[0].git_sha == w.changeset(changeset_id)["head_sha"]
    assert w.outbox_for("changeset_submitted") == {
        "admin@example.com", "cm@example.com", "rev1@example.com", "rev2@example.com"
    }  # fmt: skip


def test_submit_without_any_change_is_400(w: World) -> None:
    cs = w.create()
    response = _submit(w, cs["id"])
    assert response.status_code == 400
    assert "no changes to submit" in response.json()["error"]["message"]


def test_submit_with_only_overrides_is_accepted(w: World) -> None:
    cs = w.create()
    put = w.call(
        "PUT", w.author, f"/changesets/{cs['id']}/profile-overrides",
        {"overrides": [_env_override(w, 0)]},
    )  # fmt: skip
    assert put.status_code == 200, put.text
    response = _submit(w, cs["id"])
    assert response.status_code == 200
    summary = response.json()["data"]["included_profile_overrides"]
    assert summary[0]["env_vars"] == [{"key": "PORT", "type": "number", "operation": "set"}]


def test_an_override_on_the_canonical_environment_needs_two_approvals(w: World) -> None:
    cs = w.create()
    w.call(
        "PUT", w.author, f"/changesets/{cs['id']}/profile-overrides",
        {"overrides": [_env_override(w, 3)]},  # Production is canonical
    )  # fmt: skip
    response = _submit(w, cs["id"])
    assert response.json()["data"]["changeset"]["required_approval_count"] == 2


def test_manual_mode_with_a_dirty_working_state_is_uncommitted_changes(w: World) -> None:
    w.set_commit_mode(w.author, CommitMode.MANUAL_CHECKPOINT)
    cs = w.create()
    w.write("pages/a.json", b"{}")
    response = _submit(w, cs["id"])
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "uncommitted_changes"
    assert error["details"] == {"workspace_id": w.workspace.id}


def test_manual_mode_submits_the_checkpointed_branch_head_without_squashing(w: World) -> None:
    w.set_commit_mode(w.author, CommitMode.MANUAL_CHECKPOINT)
    cs = w.create()
    head = w.commit_branch("pages/a.json", b"{}")
    response = _submit(w, cs["id"])
    assert response.status_code == 200
    assert response.json()["data"]["changeset"]["head_sha"] == head


@pytest.mark.parametrize("who", ["cm", "admin", "rev1", "other"])
def test_only_the_author_submits(w: World, who: str) -> None:
    cs = w.create()
    w.write("pages/a.json", b"{}")
    response = w.call("POST", getattr(w, who), f"/changesets/{cs['id']}/submit")
    assert response.status_code == 403


def test_submitting_twice_is_an_invalid_transition(w: World) -> None:
    changeset_id = w.submitted()
    response = _submit(w, changeset_id)
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"from": "submitted", "to": "submitted"}


def test_submit_takes_no_body(w: World) -> None:
    cs = w.create()
    response = w.call("POST", w.author, f"/changesets/{cs['id']}/submit", {"force": True})
    assert response.status_code == 400


def test_submit_of_an_unknown_changeset_is_404(w: World) -> None:
    assert _submit(w, "b" * 24).status_code == 404


def test_resubmit_without_changes_is_400(w: World) -> None:
    changeset_id = w.submitted()
    response = _submit(w, changeset_id, "resubmit")
    assert response.status_code == 400
    assert "no changes since the current revision" in response.json()["error"]["message"]


def test_resubmit_makes_a_new_revision_resets_approvals_and_asks_earlier_reviewers(
    w: World,
) -> None:
    changeset_id = w.approved()
    first_job = w.changeset(changeset_id)["last_submit_job_id"]
    w.write("pages/more.json", b"[]")
    response = _submit(w, changeset_id, "resubmit")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["changeset"]["state"] == "submitted"
    assert data["changeset"]["approval_count"] == 0
    assert data["changeset"]["current_revision"] == 2
    assert data["revision"]["revision_number"] == 2
    assert data["changeset"]["last_submit_job_id"] != first_job
    assert "changeset.resubmitted" in w.audit_actions()
    assert w.outbox_for("review_requested") == {"rev1@example.com"}
    revisions = w.call("GET", w.other, f"/changesets/{changeset_id}/revisions").json()
    assert [r["revision_number"] for r in revisions["data"]] == [2, 1]
    assert revisions["pagination"]["total"] == 2


def test_resubmit_with_only_changed_overrides_is_accepted(w: World) -> None:
    changeset_id = w.submitted()
    path = f"/changesets/{changeset_id}/profile-overrides"
    w.call("PUT", w.author, path, {"overrides": [_env_override(w, 0)]})
    assert _submit(w, changeset_id, "resubmit").status_code == 200


def test_resending_the_same_secret_plaintext_is_not_a_change(w: World) -> None:
    cs = w.create()
    env = w.environments()[0]
    body = {"overrides": [{"target_environment_id": env.id, "secrets": {"TOKEN": "abcdefghij"}}]}
    path = f"/changesets/{cs['id']}/profile-overrides"
    w.call("PUT", w.author, path, body)
    assert _submit(w, cs["id"]).status_code == 200
    w.call("PUT", w.author, path, body)  # a fresh record with the same plaintext
    response = _submit(w, cs["id"], "resubmit")
    assert response.status_code == 400


def test_resubmit_of_a_draft_is_an_invalid_transition(w: World) -> None:
    cs = w.create()
    w.write("pages/a.json", b"{}")
    response = _submit(w, cs["id"], "resubmit")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_only_the_author_resubmits(w: World) -> None:
    changeset_id = w.submitted()
    w.write("pages/more.json", b"[]")
    response = w.call("POST", w.cm, f"/changesets/{changeset_id}/resubmit")
    assert response.status_code == 403
