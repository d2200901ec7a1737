"""Reviews and approvals over HTTP (DOMAIN.md §9.4; API.md §9 review, reviews)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from conman_domain.model import User
from tests.http.changeset_world import World, changeset_world


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _review(w: World, user: User, changeset_id: str, decision: str, **extra: Any) -> Any:
    body = {"decision": decision, **extra}
    return w.call("POST", user, f"/changesets/{changeset_id}/review", body)


def _require(w: World, approvals: int) -> None:
    app = w.app
    settings = msgspec.structs.replace(app.settings, required_approvals=approvals)
    w.repos.apps.set_fields(app.id, app.version, {"settings": msgspec.to_builtins(settings)})


def test_approval_before_the_submit_gate_passed_is_a_conflict(w: World) -> None:
    changeset_id = w.submitted()
    response = _review(w, w.rev1, changeset_id, "approved")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert w.changeset(changeset_id)["state"] == "submitted"
    assert w.call("GET", w.author, f"/changesets/{changeset_id}/reviews").json()["data"] == []


def test_approval_after_a_failed_gate_is_a_conflict_but_changes_can_be_requested(
    w: World,
) -> None:
    changeset_id = w.submitted()
    w.finish_gate(passed=False)
    assert _review(w, w.rev1, changeset_id, "approved").status_code == 409
    response = _review(w, w.rev1, changeset_id, "changes_requested", comment="fix it")
    assert response.status_code == 200
    assert response.json()["data"]["review"]["comment"] == "fix it"


def test_one_approval_approves_by_default_and_notifies_the_author(w: World) -> None:
    changeset_id = w.submitted()
    w.finish_gate()
    response = _review(w, w.rev1, changeset_id, "approved")
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data["review"]) == {
        "id", "changeset_id", "reviewer_user_id", "revision_number", "decision", "comment",
        "created_at",
    }  # fmt: skip
    assert data["review"]["revision_number"] == 1
    assert data["changeset"]["state"] == "approved"
    assert data["changeset"]["approval_count"] == 1
    assert "changeset.approved" in w.audit_actions()
    assert w.outbox_for("changeset_approved") == {"author@example.com"}


def test_two_required_approvals_count_distinct_reviewers_once(w: World) -> None:
    _require(w, 2)
    changeset_id = w.submitted()
    w.finish_gate()
    first = _review(w, w.rev1, changeset_id, "approved").json()["data"]["changeset"]
    assert (first["state"], first["approval_count"]) == ("in_review", 1)
    again = _review(w, w.rev1, changeset_id, "approved").json()["data"]["changeset"]
    assert (again["state"], again["approval_count"]) == ("in_review", 1)
    second = _review(w, w.rev2, changeset_id, "approved").json()["data"]["changeset"]
    assert (second["state"], second["approval_count"]) == ("approved", 2)
    reviews = w.call("GET", w.author, f"/changesets/{changeset_id}/reviews").json()
    assert reviews["pagination"]["total"] == 3


def test_changes_requested_resets_the_count_and_only_later_approvals_count(w: World) -> None:
    _require(w, 2)
    changeset_id = w.submitted()
    w.finish_gate()
    _review(w, w.rev1, changeset_id, "approved")
    requested = _review(w, w.rev2, changeset_id, "changes_requested").json()["data"]["changeset"]
    assert (requested["state"], requested["approval_count"]) == ("changes_requested", 0)
    assert w.outbox_for("changes_requested") == {"author@example.com"}
    after = _review(w, w.rev2, changeset_id, "approved").json()["data"]["changeset"]
    assert (after["state"], after["approval_count"]) == ("in_review", 1)
    done = _review(w, w.cm, changeset_id, "approved").json()["data"]["changeset"]
    assert (done["state"], done["approval_count"]) == ("approved", 2)


def test_rejection_is_terminal(w: World) -> None:
    changeset_id = w.submitted()
    response = _review(w, w.rev1, changeset_id, "rejected")
    assert response.json()["data"]["changeset"]["state"] == "rejected"
    assert w.outbox_for("changeset_rejected") == {"author@example.com"}
    assert "changeset.rejected" in w.audit_actions()
    later = _review(w, w.rev2, changeset_id, "changes_requested")
    assert later.status_code == 409
    assert later.json()["error"]["code"] == "invalid_transition"
    # A rejected changeset no longer blocks a new one on the workspace.
    assert w.create(title="again")["state"] == "draft"


def test_reviewing_a_draft_or_an_approved_changeset_is_an_invalid_transition(w: World) -> None:
    cs = w.create()
    assert _review(w, w.rev1, cs["id"], "changes_requested").status_code == 409
    approved_id = _approved_on_new_workspace(w)
    response = _review(w, w.rev2, approved_id, "changes_requested")
    assert response.status_code == 409
    assert response.json()["error"]["details"]["from"] == "approved"


def _approved_on_new_workspace(w: World) -> str:
    ws = w.new_workspace(w.other, "ws/other/shop2")
    cs = w.call("POST", w.other, "/changesets", {"workspace_id": ws.id, "title": "o"}).json()
    w.write("x.json", b"1", workspace=ws)
    w.call("POST", w.other, f"/changesets/{cs['data']['id']}/submit")
    w.finish_gate()
    response = _review(w, w.rev1, cs["data"]["id"], "approved")
    assert response.json()["data"]["changeset"]["state"] == "approved"
    return str(cs["data"]["id"])


def test_the_author_cannot_review_whatever_the_role(w: World) -> None:
    ws = w.new_workspace(w.rev2, "ws/rev2/shop")
    cs = w.call("POST", w.rev2, "/changesets", {"workspace_id": ws.id, "title": "mine"}).json()
    w.write("x.json", b"1", workspace=ws)
    w.call("POST", w.rev2, f"/changesets/{cs['data']['id']}/submit")
    w.finish_gate()
    response = _review(w, w.rev2, cs["data"]["id"], "approved")
    assert response.status_code == 403
    assert "own changeset" in response.json()["error"]["message"]


@pytest.mark.parametrize("who", ["author", "other", "stranger"])
def test_users_and_non_members_cannot_review(w: World, who: str) -> None:
    changeset_id = w.submitted()
    assert _review(w, getattr(w, who), changeset_id, "rejected").status_code == 403


@pytest.mark.parametrize(
    "body",
    [{"decision": "maybe"}, {}, {"decision": "approved", "comment": "c" * 10_001},
     {"decision": "approved", "extra": 1}, {"decision": "approved", "comment": None}],
)  # fmt: skip
def test_bad_review_bodies_are_400(w: World, body: dict[str, Any]) -> None:
    changeset_id = w.submitted()
    response = w.call("POST", w.rev1, f"/changesets/{changeset_id}/review", body)
    assert response.status_code == 400


def test_approvals_of_an_earlier_revision_do_not_count_after_resubmit(w: World) -> None:
    _require(w, 2)
    changeset_id = w.submitted()
    w.finish_gate()
    _review(w, w.rev1, changeset_id, "approved")
    w.write("pages/more.json", b"[]")
    assert w.call("POST", w.author, f"/changesets/{changeset_id}/resubmit").status_code == 200
    w.finish_gate()
    after = _review(w, w.rev2, changeset_id, "approved").json()["data"]
    assert after["review"]["revision_number"] == 2
    assert (after["changeset"]["state"], after["changeset"]["approval_count"]) == ("in_review", 1)


def test_reviews_list_newest_first_and_filters_by_revision(w: World) -> None:
    changeset_id = w.submitted()
    _review(w, w.rev1, changeset_id, "changes_requested")
    w.write("pages/more.json", b"[]")
    w.call("POST", w.author, f"/changesets/{changeset_id}/resubmit")
    _review(w, w.rev2, changeset_id, "changes_requested")
    listed = w.call("GET", w.other, f"/changesets/{changeset_id}/reviews").json()["data"]
    assert [r["reviewer_user_id"] for r in listed] == [w.rev2.id, w.rev1.id]
    first = w.call("GET", w.other, f"/changesets/{changeset_id}/reviews?revision_number=1")
    assert [r["reviewer_user_id"] for r in first.json()["data"]] == [w.rev1.id]
    for bad in ("0", "x", "-1", "1.5"):
        response = w.call(
            "GET", w.other, f"/changesets/{changeset_id}/reviews?revision_number={bad}"
        )
        assert response.status_code == 400, bad
