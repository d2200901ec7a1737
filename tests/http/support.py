"""Fakes for the health probes and test-only routes for the HTTP plumbing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath

from conman_adapters.container import Container
from conman_domain.errors import (
    Conflict,
    ConmanError,
    GitTimeout,
    GitUnavailable,
    NotFound,
    RateLimited,
    ServiceUnavailable,
)
from conman_http.body import read_json, read_no_body
from conman_http.envelope import ok, ok_list
from conman_http.query import JOB_LOG_LIMITS, parse_page, strict_query

EPOCH = datetime(2026, 2, 25, 10, 0, tzinfo=UTC)


class FakeClock:
    """``now`` and ``monotonic`` advance only when a test (or a fake probe) says so."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return self.offset


class FakeStore:
    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.ping_seconds = 0.002
        self.down = False

    @property
    def backend(self) -> str:
        return "memory"

    def ping(self) -> None:
        self.clock.offset += self.ping_seconds
        if self.down:
            raise ServiceUnavailable("store unreachable")


class FakeGit:
    def __init__(self) -> None:
        self.down = False

    def ping(self) -> None:
        if self.down:
            raise GitUnavailable("git unreachable")


class FakeHeartbeats:
    def __init__(self) -> None:
        self.last: datetime | None = EPOCH

    def beat(self, runner_id: str, host: str, pid: int, at: datetime) -> None:
        self.last = at

    def latest(self) -> datetime | None:
        return self.last


class Item(msgspec.Struct, forbid_unknown_fields=True):
    colour: str


class CreateThing(msgspec.Struct, forbid_unknown_fields=True):
    name: str
    enabled: bool = False
    count: int = 0
    items: list[Item] = []


ERRORS: dict[str, ConmanError] = {
    "not_found": NotFound("thing", "abc"),
    "conflict": Conflict("already exists"),
    "rate_limited": RateLimited(17),
    "service_unavailable": ServiceUnavailable("store down"),
    "git_timeout": GitTimeout("too slow"),
}


@post("/test/things")
async def create_thing(request: Request[object, object, object]) -> Response[bytes]:
    thing = await read_json(request, CreateThing)
    return ok(thing, status_code=201)


@post("/test/no-body")
async def no_body(request: Request[object, object, object]) -> Response[bytes]:
    await read_no_body(request)
    return ok({"done": True})


@get("/test/things", sync_to_thread=False)
def list_things(request: Request[object, object, object]) -> Response[bytes]:
    query = strict_query(request, {"page", "limit", "state"})
    page = parse_page(query)
    items = [{"n": n} for n in range(45)][page.skip : page.skip + page.limit]
    return ok_list(items, page, 45)


@get("/test/logs", sync_to_thread=False)
def list_logs(request: Request[object, object, object]) -> Response[bytes]:
    page = parse_page(strict_query(request, {"page", "limit"}), JOB_LOG_LIMITS)
    return ok_list([], page, 0)


@get("/test/things/{thing_id:str}", sync_to_thread=False)
def get_thing(thing_id: FromPath[str]) -> Response[bytes]:
    return ok({"id": thing_id})


@get("/test/fail/{code:str}", sync_to_thread=False)
def fail(code: FromPath[str]) -> None:
    if code == "boom":
        raise RuntimeError("secret internals: password=hunter2")
    raise ERRORS[code]


TEST_ROUTES = [create_thing, no_body, list_things, list_logs, get_thing, fail]


class Harness(msgspec.Struct, kw_only=True):
    container: Container
    clock: FakeClock
    store: FakeStore
    git: FakeGit
    heartbeats: FakeHeartbeats
    app: Litestar
