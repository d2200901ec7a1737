"""The audit writer (DOMAIN.md §19.1, §19.3): chaining, seq races, store failures."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime, timedelta

from conman_domain.audit_chain import verify
from conman_domain.errors import Conflict, ServiceUnavailable
from conman_domain.model import AuditContext, AuditEvent
from conman_domain.model.audit import GENESIS_HASH
from conman_domain.ports.repos import Page, Sort, Where
from conman_domain.usecases.audit import Actor, AuditTrail


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        self.t += timedelta(milliseconds=1)
        return self.t

    def monotonic(self) -> float:
        return 0.0


class Ids:
    def __init__(self) -> None:
        self.n = 0

    def new_id(self) -> str:
        self.n += 1
        return f"{self.n:024x}"

    def request_id(self) -> str:
        return "r"

    def token(self, nbytes: int = 32) -> str:
        return "t"

    def hex_token(self, nbytes: int = 16) -> str:
        return "h"

    def choice(self, items: builtins.list[str]) -> str:
        return items[0]


class Repo:
    """An in-memory audit repository that can lose races and fail on demand."""

    def __init__(self) -> None:
        self.events: builtins.list[AuditEvent] = []
        self.races = 0
        self.failures = 0

    def append(self, event: AuditEvent) -> None:
        if self.failures:
            self.failures -= 1
            raise ServiceUnavailable("store down")
        if self.races:
            self.races -= 1
            # Another writer appends first at the same seq.
            rival = AuditEvent(
                id=f"rival{self.races:019d}", created_at=event.created_at, seq=event.seq,
                chain_key=event.chain_key, occurred_at=event.occurred_at, entity_type="x",
                action="x.y", prev_hash=event.prev_hash,
            )  # fmt: skip
            from conman_domain.audit_chain import seal

            self.events.append(seal(rival))
        if any(e.chain_key == event.chain_key and e.seq == event.seq for e in self.events):
            raise Conflict("duplicate seq")
        self.events.append(event)

    def last_in_chain(self, chain_key: str) -> AuditEvent | None:
        chain = [e for e in self.events if e.chain_key == chain_key]
        return max(chain, key=lambda e: e.seq) if chain else None

    def chain(
        self, chain_key: str, after_seq: int = 0, limit: int = 1000
    ) -> builtins.list[AuditEvent]:
        chain = sorted((e for e in self.events if e.chain_key == chain_key), key=lambda e: e.seq)
        return [e for e in chain if e.seq > after_seq][:limit]

    def list(
        self, where: Where, sort: Sort = (), page: int = 1, limit: int = 20
    ) -> Page[AuditEvent]:
        return Page(items=self.events, total=len(self.events), page=page, limit=limit)


def make(repo: Repo) -> tuple[AuditTrail, builtins.list[int]]:
    lost: builtins.list[int] = []
    return AuditTrail(repo, Clock(), Ids(), on_failure=lambda: lost.append(1)), lost


ACTOR = Actor(user_id="a" * 24, context=AuditContext(ip="10.0.0.1", request_id="req-1"))


def test_events_form_one_verifiable_chain_per_app() -> None:
    repo = Repo()
    trail, lost = make(repo)
    for i in range(3):
        trail.record(ACTOR, "app.settings_updated", app_id="app1", entity_id="app1", after={"i": i})
    trail.record(ACTOR, "user.logged_in", app_id=None, entity_id="u")
    chain = repo.chain("app1")
    assert [e.seq for e in chain] == [1, 2, 3]
    assert chain[0].prev_hash == GENESIS_HASH and chain[1].prev_hash == chain[0].hash
    assert chain[0].entity_type == "app" and chain[0].context.ip == "10.0.0.1"
    assert verify(chain).verified and verify(repo.chain("global")).verified
    assert lost == []


def test_a_lost_seq_race_is_retried_on_the_new_head() -> None:
    repo = Repo()
    trail, lost = make(repo)
    repo.races = 3
    event = trail.record(ACTOR, "app.created", app_id="app1", entity_id="app1")
    assert event is not None and event.seq == 4
    assert lost == []


def test_store_failures_are_retried_three_times_then_logged_and_counted() -> None:
    repo = Repo()
    trail, lost = make(repo)
    repo.failures = 3
    assert trail.record(ACTOR, "app.created", app_id="app1", entity_id="app1") is not None
    repo.failures = 4
    assert trail.record(ACTOR, "app.created", app_id="app1", entity_id="app1") is None
    assert lost == [1]
