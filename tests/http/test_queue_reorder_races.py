"""Reorders that race with other writers: the positions already written are restored
and the reorder answers 409 (API.md §10; DOMAIN.md §12.1)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.http.changeset_world import World, changeset_world
from tests.http.queue_support import insert_changeset, positions, reorder, three_queued


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


class RacingRepo:
    """The changesets repository with ``hook(n)`` run before the n-th ``set_fields``
    (0-based): a concurrent writer acting between the reorder's writes."""

    def __init__(self, inner: Any, hook: Callable[[int], None]) -> None:
        self.inner = inner
        self.hook = hook
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def set_fields(self, entity_id: str, expected_version: int, changes: Mapping[str, Any]) -> int:
        self.calls += 1
        self.hook(self.calls - 1)
        result: int = self.inner.set_fields(entity_id, expected_version, changes)
        return result


def _race(w: World, monkeypatch: pytest.MonkeyPatch, hook: Callable[[int], None]) -> RacingRepo:
    racing = RacingRepo(w.repos.changesets, hook)
    monkeypatch.setattr(w.repos, "changesets", racing)
    return racing


def test_a_change_between_the_passes_restores_every_position_and_answers_409(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = three_queued(w)
    inner = w.repos.changesets

    def concurrent_edit(n: int) -> None:
        if n == 3:  # pass 1 wrote the three temporary positions
            current = inner.get(ids[1])
            inner.set_fields(ids[1], current.version, {"title": "edited meanwhile"})

    before, actions = positions(w), w.audit_actions()
    racing = _race(w, monkeypatch, concurrent_edit)
    response = reorder(w, {"ordered_changeset_ids": list(reversed(ids))})
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "conflict"
    assert racing.calls > 4  # two passes started, then the restoring writes
    assert positions(w) == before
    assert inner.get(ids[1]).title == "edited meanwhile"
    assert w.audit_actions() == actions


def test_a_changeset_moved_in_the_meantime_is_not_overwritten_by_the_restore(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = three_queued(w)
    inner = w.repos.changesets

    def concurrent_move(n: int) -> None:
        if n == 2:  # after the first two temporary writes: someone moves the first
            current = inner.get(ids[0])
            inner.set_fields(ids[0], current.version, {"queue_position": 50})

    _race(w, monkeypatch, concurrent_move)
    response = reorder(w, {"ordered_changeset_ids": ids})
    assert response.status_code == 409
    assert positions(w) == {ids[0]: 50, ids[1]: 2, ids[2]: 3}


def test_a_newcomer_during_the_reorder_is_a_conflict_and_nothing_changes(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = three_queued(w)
    newcomer: list[str] = []

    def concurrent_queue(n: int) -> None:
        if n == 0:
            newcomer.append(insert_changeset(w, w.other, 4).id)

    before, actions = positions(w), w.audit_actions()
    _race(w, monkeypatch, concurrent_queue)
    response = reorder(w, {"ordered_changeset_ids": ids})
    assert response.status_code == 409
    assert "conflict: " in response.json()["error"]["message"]
    assert positions(w) == {**before, newcomer[0]: 4}
    assert w.audit_actions() == actions


def test_a_changeset_leaving_the_queue_before_its_write_is_a_conflict(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = three_queued(w)
    inner = w.repos.changesets

    def concurrent_release(n: int) -> None:
        if n == 1:
            current = inner.get(ids[2])
            changes = {"state": "conflicted", "queue_position": None, "is_open": True}
            inner.set_fields(ids[2], current.version, changes)

    _race(w, monkeypatch, concurrent_release)
    assert reorder(w, {"ordered_changeset_ids": ids}).status_code == 409
    assert positions(w) == {ids[0]: 1, ids[1]: 2}


def test_a_final_position_taken_between_the_passes_restores_and_answers_409(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = three_queued(w)
    newcomer: list[str] = []

    def concurrent_queue_at_1000(n: int) -> None:
        if n == 3:  # between the passes, a newcomer holds the second final position
            newcomer.append(insert_changeset(w, w.other, 1000).id)

    before = positions(w)
    _race(w, monkeypatch, concurrent_queue_at_1000)
    response = reorder(w, {"ordered_changeset_ids": ids})
    assert response.status_code == 409, response.text
    assert positions(w) == {**before, newcomer[0]: 1000}
