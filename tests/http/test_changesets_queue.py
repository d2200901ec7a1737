"""Entering the queue over HTTP (DOMAIN.md §12.1-§12.2; API.md §9 queue)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.model import User
from conman_domain.usecases.job_shapes import new_job
from tests.http.changeset_world import World, changeset_world


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _queue(w: World, user: User, changeset_id: str) -> Any:
    return w.call("POST", user, f"/changesets/{changeset_id}/queue")


def _approved_with(w: World, owner: User, branch: str, overrides: list[Any]) -> str:
    """An approved changeset of ``owner`` carrying ``overrides``."""
    ws = w.new_workspace(owner, branch)
    cs = w.call("POST", owner, "/changesets", {"workspace_id": ws.id, "title": branch}).json()
    changeset_id = cs["data"]["id"]
    w.write(f"{branch.replace('/', '_')}.json", b"{}", workspace=ws)
    put = w.call(
        "PUT", owner, f"/changesets/{changeset_id}/profile-overrides", {"overrides": overrides}
    )
    assert put.status_code == 200, put.text
    assert w.call("POST", owner, f"/changesets/{changeset_id}/submit").status_code == 200
    w.finish_gate()
    review = w.call("POST", w.rev1, f"/changesets/{changeset_id}/review", {"decision": "approved"})
    assert review.json()["data"]["changeset"]["state"] == "approved", review.text
    return str(changeset_id)


def test_queue_puts_an_approved_changeset_at_position_one(w: World) -> None:
    changeset_id = w.approved()
    response = _queue(w, w.author, changeset_id)
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["state"], data["queue_position"]) == ("queued", 1)
    assert data["queued_at"] is not None
    assert "changeset.queued" in w.audit_actions()
    assert w.outbox_for("changeset_queued") == {"admin@example.com", "cm@example.com"}


def test_positions_follow_the_highest_queued_one(w: World) -> None:
    first = w.approved()
    _queue(w, w.author, first)
    second = _approved_with(w, w.other, "ws/other/q", [])
    response = _queue(w, w.cm, second)
    assert response.json()["data"]["queue_position"] == 2


@pytest.mark.parametrize("who", ["other", "rev1"])
def test_only_the_author_or_a_config_manager_queues(w: World, who: str) -> None:
    changeset_id = w.approved()
    assert _queue(w, getattr(w, who), changeset_id).status_code == 403


def test_queueing_a_submitted_changeset_is_an_invalid_transition(w: World) -> None:
    changeset_id = w.submitted()
    response = _queue(w, w.author, changeset_id)
    assert response.status_code == 409
    assert response.json()["error"]["details"] == {"from": "submitted", "to": "queued"}


def test_queueing_behind_the_integration_branch_is_a_conflict(w: World) -> None:
    changeset_id = w.approved()
    w.commit_branch("published.json", b"{}", branch="main")
    response = _queue(w, w.author, changeset_id)
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert "behind the integration branch" in error["message"]


def test_queueing_when_the_gate_of_the_current_revision_was_retried_and_failed_is_a_conflict(
    w: World,
) -> None:
    changeset_id = w.approved()
    job_id = w.changeset(changeset_id)["last_submit_job_id"]
    job = w.queue.get(job_id)
    # Point the changeset at a failed gate run of the same revision (as a retry would).
    failed = new_job(
        w.env.services.deps.ids, w.env.clock, app_id=w.app_id, job_type=job.job_type,
        entity_type="changeset", entity_id=changeset_id, payload=job.payload, created_by=None,
    )  # fmt: skip
    w.queue.enqueue(failed)
    w.finish_gate(passed=False)
    cs = w.repos.changesets.get(changeset_id)
    w.repos.changesets.set_fields(cs.id, cs.version, {"last_submit_job_id": failed.id})
    response = _queue(w, w.author, changeset_id)
    assert response.status_code == 409
    assert "submit validation has not passed" in response.json()["error"]["message"]


def test_an_override_conflict_with_a_queued_changeset_queues_then_conflicts(w: World) -> None:
    env = w.environments()[0]
    first = _approved_with(
        w, w.author, "ws/author/a",
        [{"target_environment_id": env.id, "env_vars": {"PORT": {"type": "number", "value": 1}},
          "secrets": {"TOKEN": "same-secret-value"}}],
    )  # fmt: skip
    assert _queue(w, w.author, first).json()["data"]["state"] == "queued"
    second = _approved_with(
        w, w.other, "ws/other/b",
        [{"target_environment_id": env.id, "env_vars": {"PORT": {"type": "number", "value": 2}},
          "secrets": {"TOKEN": "same-secret-value"}}],
    )  # fmt: skip
    response = _queue(w, w.other, second)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["state"] == "conflicted"
    assert data["last_revalidation_status"] == "override_conflict"
    assert data["last_revalidation_details"] == {
        "keys": [{"environment_id": env.id, "kind": "env_var", "key": "PORT"}],
        "conflicting_changeset_ids": [first],
    }
    actions = w.audit_actions()
    assert actions[-2:] == ["changeset.queued", "changeset.conflicted"]
    assert w.outbox_for("changeset_conflicted") == {"other@example.com"}
    # The conflicted changeset can go back to draft; its queue fields are cleared.
    back = w.call("POST", w.other, f"/changesets/{second}/move-to-draft").json()["data"]
    assert back["queue_position"] is None and back["last_revalidation_status"] is None


def test_equal_override_values_do_not_conflict(w: World) -> None:
    env = w.environments()[1]
    same = [{"target_environment_id": env.id, "env_vars": {"N": {"type": "number", "value": 1}}}]
    first = _approved_with(w, w.author, "ws/author/a", same)
    _queue(w, w.author, first)
    other = [{"target_environment_id": env.id, "env_vars": {"N": {"type": "number", "value": 1.0}}}]
    second = _approved_with(w, w.other, "ws/other/b", other)
    assert _queue(w, w.other, second).json()["data"]["state"] == "queued"


def test_queue_takes_no_body_and_404s_for_unknown_changesets(w: World) -> None:
    changeset_id = w.approved()
    assert (
        w.call("POST", w.author, f"/changesets/{changeset_id}/queue", {"a": 1}).status_code == 400
    )
    assert _queue(w, w.author, "c" * 24).status_code == 404
