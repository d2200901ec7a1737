"""Release composition, validation, publish and revalidation (DOMAIN.md §12.3, §13)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conman_domain.errors import GateFailed
from conman_domain.model import (
    Changeset,
    ChangesetRevision,
    ChangesetState,
    JobState,
    JobType,
    OverrideSnapshot,
    TypedValue,
    ValueType,
)
from conman_domain.rules.tags import tag_date_prefix
from conman_domain.usecases.apps import repo_ref
from tests.http.changeset_world import World, changeset_world
from tests.http.release_world import Run, call_release, queued, run_job, set_release_command


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _assembling(w: World, changesets: list[Changeset]) -> str:
    created = call_release(w, "POST", "", {"changeset_ids": [c.id for c in changesets]})
    assert created.status_code == 201, created.text
    release_id: str = created.json()["data"]["id"]
    response = call_release(w, "POST", f"/{release_id}/assemble")
    assert response.status_code == 202, response.text
    return release_id


def _validated(w: World, changesets: list[Changeset]) -> str:
    release_id = _assembling(w, changesets)
    job, result = run_job(w, JobType.RELEASE_ASSEMBLE)
    assert job.state == JobState.SUCCEEDED, result
    job, result = run_job(w, JobType.MSUITE_MERGE)
    assert job.state == JobState.SUCCEEDED, result
    return release_id


def _release(w: World, release_id: str) -> dict[str, Any]:
    data: dict[str, Any] = call_release(w, "GET", f"/{release_id}").json()["data"]
    return data


def _ref(w: World, ref: str) -> str | None:
    return w.git.resolve(repo_ref(w.app), ref)


def test_assembly_merges_members_in_order_and_enqueues_validation(w: World) -> None:
    a = queued(w, "config/a.json", b"{}", title="First")
    b = queued(w, "config/b.json", b"{}", title="Second")
    head = w.integration_head()
    release_id = _assembling(w, [a, b])
    job, result = run_job(w, JobType.RELEASE_ASSEMBLE)
    assert job.state == JobState.SUCCEEDED
    assert isinstance(result, dict)
    data = _release(w, release_id)
    assert data["state"] == "assembling"
    assert data["base_sha"] == head
    composed = data["composed_sha"]
    assert composed == _ref(w, f"refs/conman/compose/{release_id}")
    merges = [m["merge_sha"] for m in data["changesets"]]
    assert merges[1] == composed
    first = w.git.find_commit(repo_ref(w.app), merges[0])
    second = w.git.find_commit(repo_ref(w.app), merges[1])
    assert first is not None and second is not None
    assert first.parents == [head, a.head_sha]
    assert second.parents == [merges[0], b.head_sha]
    assert second.message.startswith(f"Merge changeset 'Second' ({b.id})")
    validation = w.queue.get(data["validation_job_id"])
    assert validation.job_type == JobType.MSUITE_MERGE
    assert validation.payload == {"release_id": release_id, "composed_sha": composed}
    job, _ = run_job(w, JobType.MSUITE_MERGE)
    assert job.state == JobState.SUCCEEDED
    assert _release(w, release_id)["state"] == "validated"
    assert "release.assembled" in w.audit_actions()


def test_a_composition_conflict_marks_the_changeset_and_returns_the_release_to_draft(
    w: World,
) -> None:
    a = queued(w, "config/same.json", b'{"v": 1}')
    b = queued(w, "config/same.json", b'{"v": 2}')
    release_id = _assembling(w, [a, b])
    job, error = run_job(w, JobType.RELEASE_ASSEMBLE)
    assert job.state == JobState.FAILED
    assert isinstance(error, GateFailed)
    assert job.result == {
        "outcome": "conflict", "changeset_id": b.id, "conflicting_paths": ["config/same.json"],
    }  # fmt: skip
    data = _release(w, release_id)
    assert data["state"] == "draft_release"
    assert [m["merge_sha"] for m in data["changesets"]] == [None, None]
    assert _ref(w, f"refs/conman/compose/{release_id}") is None
    conflicted = w.repos.changesets.get(b.id)
    assert conflicted.state == ChangesetState.CONFLICTED
    assert conflicted.last_revalidation_details == {"conflicting_paths": ["config/same.json"]}
    assert conflicted.release_id is None
    assert w.repos.changesets.get(a.id).release_id is None
    actions = w.audit_actions()
    assert "release.assembly_failed" in actions and "changeset.conflicted" in actions


def _fails_on(marker: str) -> Any:
    return lambda tree: 1 if (tree / marker).exists() else 0


def test_a_failed_release_gate_blames_the_first_failing_merge(w: World) -> None:
    set_release_command(w, "./check")
    a = queued(w, "config/a.json", b"{}")
    b = queued(w, "config/bad.json", b"{}")
    c = queued(w, "config/c.json", b"{}")
    release_id = _assembling(w, [a, b, c])
    run_job(w, JobType.RELEASE_ASSEMBLE)
    job, error = run_job(w, JobType.MSUITE_MERGE, _fails_on("config/bad.json"))
    assert job.state == JobState.FAILED
    assert isinstance(error, GateFailed)
    assert job.result is not None
    assert job.result["passed"] is False
    environments = w.environments()
    assert len(job.result["runs"]) == len(environments)
    assert job.result["blamed_changeset_id"] == b.id
    blamed = w.repos.changesets.get(b.id)
    assert blamed.state == ChangesetState.NEEDS_REVALIDATION
    assert blamed.last_revalidation_status == "test_failed"
    assert w.repos.changesets.get(a.id).state == ChangesetState.QUEUED
    assert w.repos.changesets.get(c.id).state == ChangesetState.QUEUED
    assert _release(w, release_id)["state"] == "draft_release"
    assert _ref(w, f"refs/conman/compose/{release_id}") is None
    assert "release.assembly_failed" in w.audit_actions()


def test_nobody_is_blamed_when_the_integration_head_fails_too(w: World) -> None:
    set_release_command(w, "./check")
    a = queued(w, "config/a.json", b"{}")
    release_id = _assembling(w, [a])
    run_job(w, JobType.RELEASE_ASSEMBLE)
    job, _ = run_job(w, JobType.MSUITE_MERGE, lambda _tree: 3)
    assert job.state == JobState.FAILED
    assert job.result is not None and job.result["blamed_changeset_id"] is None
    assert job.result["exit_code"] == 3
    assert w.repos.changesets.get(a.id).state == ChangesetState.QUEUED
    assert _release(w, release_id)["state"] == "draft_release"


def test_publish_tags_moves_integration_and_releases_the_members(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    b = queued(w, "config/b.json", b"{}")
    third = queued(w, "config/c.json", b"{}")
    other_draft = call_release(w, "POST", "", {"changeset_ids": [third.id]}).json()["data"]
    release_id = _validated(w, [a, b])
    composed = _release(w, release_id)["composed_sha"]
    # Another draft that lists a member loses it at publish.
    response = call_release(w, "POST", f"/{release_id}/publish")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    tag = f"{tag_date_prefix(w.env.clock.now())}.1"
    assert data["state"] == "published"
    assert data["tag"] == tag
    assert data["published_sha"] == composed
    assert data["published_by"] == w.cm.id
    assert data["published_at"] is not None
    assert w.git.find_tag(repo_ref(w.app), tag) == composed
    assert w.integration_head() == composed
    assert _ref(w, f"refs/conman/compose/{release_id}") is None
    for cs in (a, b):
        released = w.repos.changesets.get(cs.id)
        assert released.state == ChangesetState.RELEASED
        assert released.queue_position is None and released.queued_at is None
        assert released.release_id == release_id
    jobs = w.queue.list({"job_type": JobType.REVALIDATE_QUEUED_CHANGESET.value}).items
    assert [j.entity_id for j in jobs] == [third.id]
    assert jobs[0].payload == {"changeset_id": third.id, "release_id": release_id}
    actions = w.audit_actions()
    assert "release.published" in actions
    assert actions.count("changeset.released") == 2
    assert "cm@example.com" not in w.outbox_for("release_published")
    assert "author@example.com" in w.outbox_for("release_published")
    assert _release(w, other_draft["id"])["ordered_changeset_ids"] == [third.id]
    # A published release is immutable.
    again = call_release(w, "POST", f"/{release_id}/publish")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"


def test_publish_removes_the_released_changesets_from_other_drafts(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    b = queued(w, "config/b.json", b"{}")
    draft = call_release(w, "POST", "", {"changeset_ids": [a.id, b.id]}).json()["data"]
    release_id = _validated(w, [a])
    assert call_release(w, "POST", f"/{release_id}/publish").status_code == 200
    data = _release(w, draft["id"])
    assert data["ordered_changeset_ids"] == [b.id]
    assert [(m["changeset_id"], m["position"]) for m in data["changesets"]] == [(b.id, 0)]


def test_the_next_tag_of_the_day_skips_taken_names(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    release_id = _validated(w, [a])
    prefix = tag_date_prefix(w.env.clock.now())
    w.git.create_tag(repo_ref(w.app), f"{prefix}.1", w.integration_head())
    response = call_release(w, "POST", f"/{release_id}/publish")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["tag"] == f"{prefix}.2"


def test_publish_after_the_integration_branch_moved_returns_the_release_to_draft(
    w: World,
) -> None:
    a = queued(w, "config/a.json", b"{}")
    release_id = _validated(w, [a])
    w.commit_branch("config/hotfix.json", b"{}", "main")
    response = call_release(w, "POST", f"/{release_id}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    data = _release(w, release_id)
    assert data["state"] == "draft_release"
    assert data["tag"] is None
    assert w.git.list_tags(repo_ref(w.app)) == []
    assert w.repos.changesets.get(a.id).state == ChangesetState.QUEUED


def test_publish_requires_a_succeeded_validation_of_the_composed_commit(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    release_id = _validated(w, [a])
    release = w.repos.releases.get(release_id)
    w.repos.releases.set_fields(release.id, release.version, {"validation_job_id": None})
    response = call_release(w, "POST", f"/{release_id}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert _release(w, release_id)["state"] == "validated"


def test_canceling_a_queued_compose_job_returns_the_release_to_draft(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    release_id = _assembling(w, [a])
    job_id = _release(w, release_id)["compose_job_id"]
    response = w.call("POST", w.cm, f"/jobs/{job_id}/cancel")
    assert response.status_code == 200, response.text
    assert _release(w, release_id)["state"] == "draft_release"
    assert w.repos.changesets.get(a.id).release_id is None


def _published(w: World, changesets: list[Changeset]) -> str:
    release_id = _validated(w, changesets)
    response = call_release(w, "POST", f"/{release_id}/publish")
    assert response.status_code == 200, response.text
    return release_id


def test_revalidation_keeps_a_valid_changeset_queued(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    third = queued(w, "config/c.json", b"{}")
    _published(w, [a])
    job, result = run_job(w, JobType.REVALIDATE_QUEUED_CHANGESET)
    assert job.state == JobState.SUCCEEDED
    assert isinstance(result, dict) and result["status"] == "valid"
    cs = w.repos.changesets.get(third.id)
    assert cs.state == ChangesetState.QUEUED
    assert cs.last_revalidation_status == "valid"
    assert cs.last_revalidation_job_id == job.id
    assert _ref(w, f"refs/conman/revalidate/{third.id}") is None


def test_revalidation_marks_a_conflicting_changeset(w: World) -> None:
    a = queued(w, "config/same.json", b'{"v": 1}')
    third = queued(w, "config/same.json", b'{"v": 2}')
    _published(w, [a])
    job, result = run_job(w, JobType.REVALIDATE_QUEUED_CHANGESET)
    assert job.state == JobState.SUCCEEDED
    assert isinstance(result, dict) and result["status"] == "conflicted"
    cs = w.repos.changesets.get(third.id)
    assert cs.state == ChangesetState.CONFLICTED
    assert cs.last_revalidation_status == "conflicted"
    assert cs.last_revalidation_details == {"conflicting_paths": ["config/same.json"]}
    assert cs.last_revalidation_job_id == job.id


def test_revalidation_fails_a_changeset_whose_trial_merge_fails_the_gate(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    third = queued(w, "config/bad.json", b"{}")
    set_release_command(w, "./check")
    _published(w, [a])
    job, error = run_job(w, JobType.REVALIDATE_QUEUED_CHANGESET, _fails_on("config/bad.json"))
    assert job.state == JobState.FAILED
    assert isinstance(error, GateFailed)
    cs = w.repos.changesets.get(third.id)
    assert cs.state == ChangesetState.NEEDS_REVALIDATION
    assert cs.last_revalidation_status == "test_failed"
    assert "changeset.needs_revalidation" in w.audit_actions()


def test_revalidation_skips_a_changeset_that_left_the_queue(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    third = queued(w, "config/c.json", b"{}")
    _published(w, [a])
    cs = w.repos.changesets.get(third.id)
    w.repos.changesets.set_fields(cs.id, cs.version, {"state": "draft", "queue_position": None})
    job, result = run_job(w, JobType.REVALIDATE_QUEUED_CHANGESET)
    assert job.state == JobState.SUCCEEDED
    assert result == {"skipped": True}


def test_the_recovery_pass_finishes_an_interrupted_publish(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    release_id = _validated(w, [a])
    release = w.repos.releases.get(release_id)
    # As if the process died right after recording the release as published.
    w.repos.releases.set_fields(
        release.id, release.version, {"state": "published", "tag": "r2000.01.01.1"}
    )
    services = w.env.container.releases()
    assert services.recover() == 1
    assert w.repos.changesets.get(a.id).state == ChangesetState.RELEASED
    assert _ref(w, f"refs/conman/compose/{release_id}") is None
    assert services.recover() == 0


def _with_flag(w: World, cs: Changeset, environment: Any, value: str) -> None:
    """Revision 1 of ``cs`` overrides FLAG=``value`` for ``environment``."""
    override = OverrideSnapshot(
        target_environment_id=environment.id,
        target_profile_id=environment.runtime_profile_id,
        env_var_overrides_typed={"FLAG": TypedValue(type=ValueType.STRING, value=value)},
    )
    w.repos.changeset_revisions.insert(
        ChangesetRevision(
            id=w.env.services.deps.ids.new_id(), created_at=w.env.clock.now(),
            changeset_id=cs.id, revision_number=1, head_sha=cs.head_sha or "",
            base_sha=cs.base_sha or "", profile_overrides_snapshot=[override],
            created_by=w.author.id,
        )
    )  # fmt: skip


def test_the_release_gate_runs_once_per_environment_with_its_overrides(w: World) -> None:
    set_release_command(w, "./check")
    a = queued(w, "config/a.json", b"{}")
    environments = w.environments()
    assert len(environments) >= 2
    target = environments[1]
    _with_flag(w, a, target, "on")
    release_id = _assembling(w, [a])
    run_job(w, JobType.RELEASE_ASSEMBLE)
    services = w.env.container.releases()
    w.env.clock.advance(seconds=1)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, [JobType.MSUITE_MERGE.value])
    assert job is not None
    ctx = Run(job)
    result = services.merge_job(ctx)
    assert [r["environment_id"] for r in result["runs"]] == [e.id for e in environments]
    flags = [env.variables.get("FLAG") for env in ctx.envs]
    expected = [
        TypedValue(type=ValueType.STRING, value="on") if e.id == target.id else None
        for e in environments
    ]
    assert flags == expected
    assert all(env.metadata.gate == "release" for env in ctx.envs)
    assert all(env.metadata.entity_id == release_id for env in ctx.envs)


def test_revalidation_finds_override_conflicts_with_lower_positions_only(w: World) -> None:
    a = queued(w, "config/a.json", b"{}")
    lower = queued(w, "config/l.json", b"{}")
    higher = queued(w, "config/h.json", b"{}")
    environment = w.environments()[0]
    _with_flag(w, lower, environment, "blue")
    _with_flag(w, higher, environment, "green")
    _published(w, [a])
    job, result = run_job(w, JobType.REVALIDATE_QUEUED_CHANGESET)
    assert job.entity_id == lower.id and isinstance(result, dict)
    assert result["status"] == "valid"
    job, result = run_job(w, JobType.REVALIDATE_QUEUED_CHANGESET)
    assert job.entity_id == higher.id and isinstance(result, dict)
    assert result["status"] == "override_conflict"
    cs = w.repos.changesets.get(higher.id)
    assert cs.state == ChangesetState.CONFLICTED
    assert cs.last_revalidation_details == {
        "keys": [{"environment_id": environment.id, "kind": "env_var", "key": "FLAG"}],
        "conflicting_changeset_ids": [lower.id],
    }
    assert w.repos.changesets.get(lower.id).state == ChangesetState.QUEUED


def test_publish_with_a_member_that_left_the_queue_returns_the_release_to_draft(
    w: World,
) -> None:
    a = queued(w, "config/a.json", b"{}")
    release_id = _validated(w, [a])
    cs = w.repos.changesets.get(a.id)
    w.repos.changesets.set_fields(cs.id, cs.version, {"state": "needs_revalidation"})
    response = call_release(w, "POST", f"/{release_id}/publish")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert _release(w, release_id)["state"] == "draft_release"
    assert w.integration_head() == _release(w, release_id)["base_sha"]
    assert w.git.list_tags(repo_ref(w.app)) == []
