"""Analyze and chat over HTTP, with a local fake OpenAI-compatible server
(API.md §9; DOMAIN.md §15.4: secret values never enter a prompt)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from conman_adapters.llm import OpenAiCompatibleLlm
from conman_domain.errors import AiUnavailable
from conman_domain.ports.llm import ChatMessage, ChatRole
from conman_domain.usecases.review_prompts import PROMPT_BUDGET_BYTES
from tests.http.changeset_world import SECRET, World, changeset_world
from tests.http.identity_harness import identity_env

API_KEY = "sk-test-key-123"


class FakeLlm:
    """Records every request; answers ``reply``, or ``status`` when not 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.status = 200
        self.reply = "Looks fine; check the page that uses Customer."
        self.delay = 0.0
        self.abandoned = 0

    def prompt_text(self, index: int = -1) -> str:
        return "\n".join(m["content"] for m in self.requests[index]["messages"])


@contextmanager
def fake_llm() -> Iterator[tuple[FakeLlm, str]]:
    fake = FakeLlm()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            fake.requests.append(json.loads(self.rfile.read(length)))
            fake.headers.append({k.lower(): v for k, v in self.headers.items()})
            if fake.delay:
                time.sleep(fake.delay)
            if self.path != "/v1/chat/completions" or fake.status != 200:
                self.send_response(fake.status if fake.status != 200 else 404)
                self.end_headers()
                return
            body = json.dumps(
                {"choices": [{"index": 0, "message": {"role": "assistant", "content": fake.reply}}]}
            ).encode()
            try:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                fake.abandoned += 1  # the client timed out before the reply

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield fake, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def llm_world(tmp_path: Path) -> Iterator[tuple[World, FakeLlm]]:
    with (
        fake_llm() as (fake, url),
        identity_env(
            tmp_path,
            CONMAN_LLM_BASE_URL=url,
            CONMAN_LLM_MODEL="test-model",
            CONMAN_LLM_API_KEY=API_KEY,
        ) as env,
    ):
        yield World(env), fake


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as w:
        yield w


def _risky_changeset(world: World) -> str:
    """Removes entity Customer (still used by page Profile), changes a field's type, and
    overrides an env var and a secret of the canonical environment."""
    world.commit_branch("entities/customer.json", b'{"name": "Customer"}', "main")
    world.commit_branch("entities/order.json", b'{"name": "Order", "limit": 1}', "main")
    world.commit_branch("pages/profile.json", b'{"name": "Profile", "entity": "Customer"}', "main")
    reset = world.call("POST", world.author, f"/workspaces/{world.workspace.id}/reset")
    assert reset.status_code == 200, reset.text
    cs = world.create()
    files = f"/workspaces/{world.workspace.id}/files"
    assert (
        world.call("DELETE", world.author, files, {"path": "entities/customer.json"}).status_code
        == 200
    )
    order = {"path": "entities/order.json", "encoding": "utf-8",
             "content": '{"name": "Order", "limit": "1"}'}  # fmt: skip
    assert world.call("PUT", world.author, files, order).status_code == 200
    production = next(e for e in world.environments() if e.is_canonical)
    overrides = {"overrides": [{"target_environment_id": production.id,
                                "env_vars": {"MODE": {"type": "string", "value": "fast"}},
                                "secrets": {"API_TOKEN": SECRET}}]}  # fmt: skip
    put = world.call("PUT", world.author, f"/changesets/{cs['id']}/profile-overrides", overrides)
    assert put.status_code == 200, put.text
    return str(cs["id"])


def test_analysis_without_an_llm_lists_the_deterministic_risks(world: World) -> None:
    changeset_id = _risky_changeset(world)
    response = world.call("POST", world.other, f"/changesets/{changeset_id}/analyze", {})
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["llm_status"] == "disabled"
    assert data["llm_summary"] is None
    kinds = {(r["kind"], r["severity"]) for r in data["risks"]}
    assert kinds == {
        ("removed_referenced", "error"),
        ("type_changed", "warning"),
        ("secret_override", "warning"),
        ("env_var_override", "info"),
        ("canonical_profile_impact", "warning"),
    }
    removed = next(r for r in data["risks"] if r["kind"] == "removed_referenced")
    assert removed["file_path"] == "pages/profile.json"
    assert removed["target"] == "Customer"
    assert data["summary"] == "2 changes across 1 config types; 5 risks"
    assert [s["severity"] for s in data["suggestions"]] == [r["severity"] for r in data["risks"]]
    assert SECRET not in response.text


def test_analysis_of_a_harmless_change_suggests_nothing_and_echoes_the_focus(world: World) -> None:
    cs = world.create()
    world.write("config/app.json", b'{"a": 1}')
    body = {"focus": ["performance", "naming"]}
    data = world.call("POST", world.author, f"/changesets/{cs['id']}/analyze", body).json()["data"]
    assert data["summary"] == "1 changes across 1 config types; 0 risks; focus: performance, naming"
    assert data["risks"] == []
    assert data["suggestions"] == [
        {"file_path": None, "description": "No risks detected", "severity": "info"}
    ]
    no_body = world.call("POST", world.author, f"/changesets/{cs['id']}/analyze")
    assert no_body.status_code == 200


def test_analyze_and_chat_validate_their_bodies(world: World) -> None:
    cs = world.create()
    url = f"/changesets/{cs['id']}"
    assert (
        world.call("POST", world.author, f"{url}/analyze", {"focus": ["x"] * 21}).status_code == 400
    )
    assert (
        world.call("POST", world.author, f"{url}/analyze", {"focus": ["x" * 201]}).status_code
        == 400
    )
    assert world.call("POST", world.author, f"{url}/analyze", {"focus": "x"}).status_code == 400
    assert world.call("POST", world.author, f"{url}/analyze", {"colour": 1}).status_code == 400
    assert world.call("POST", world.author, f"{url}/chat", {}).status_code == 400
    assert world.call("POST", world.author, f"{url}/chat", {"message": ""}).status_code == 400
    assert (
        world.call("POST", world.author, f"{url}/chat", {"message": "x" * 4001}).status_code == 400
    )
    many = {"message": "hi", "file_paths": [f"f{i}.json" for i in range(21)]}
    assert world.call("POST", world.author, f"{url}/chat", many).status_code == 400
    assert world.call("POST", world.stranger, f"{url}/analyze", {}).status_code == 403
    assert (
        world.call("POST", world.author, f"/changesets/{'b' * 24}/analyze", {}).status_code == 404
    )


def test_chat_without_an_llm_is_ai_unavailable(world: World) -> None:
    cs = world.create()
    response = world.call("POST", world.author, f"/changesets/{cs['id']}/chat", {"message": "hi"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "ai_unavailable"


def test_analysis_with_an_llm_adds_its_summary_and_never_sends_a_secret(
    llm_world: tuple[World, FakeLlm],
) -> None:
    world, fake = llm_world
    changeset_id = _risky_changeset(world)
    response = world.call(
        "POST", world.rev1, f"/changesets/{changeset_id}/analyze", {"focus": ["db"]}
    )
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["llm_status"] == "ok"
    assert data["llm_summary"] == fake.reply
    assert len(fake.requests) == 1
    sent = fake.requests[0]
    assert sent["model"] == "test-model"
    assert [m["role"] for m in sent["messages"]] == ["system", "user"]
    assert fake.headers[0]["authorization"] == f"Bearer {API_KEY}"
    prompt = fake.prompt_text()
    assert "entities/customer.json" in prompt
    assert "API_TOKEN" in prompt
    assert SECRET not in json.dumps(sent)


def test_a_failing_llm_leaves_the_analysis_with_an_error_status(
    llm_world: tuple[World, FakeLlm],
) -> None:
    world, fake = llm_world
    fake.status = 500
    cs = world.create()
    world.write("config/app.json", b"{}")
    response = world.call("POST", world.author, f"/changesets/{cs['id']}/analyze", {})
    assert response.status_code == 200
    assert response.json()["data"]["llm_status"] == "error"
    assert response.json()["data"]["llm_summary"] is None


def test_chat_answers_with_the_listed_files_and_never_sends_a_secret(
    llm_world: tuple[World, FakeLlm],
) -> None:
    world, fake = llm_world
    changeset_id = _risky_changeset(world)
    world.write("config/db.json", b'{"host": "db", "password": "hunter2-in-file"}')
    body = {"message": "What breaks?", "file_paths": ["pages/profile.json", "config/db.json"]}
    response = world.call("POST", world.other, f"/changesets/{changeset_id}/chat", body)
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data == {
        "reply": fake.reply,
        "referenced_files": ["pages/profile.json", "config/db.json"],
    }
    prompt = fake.prompt_text()
    assert "What breaks?" in prompt
    assert '{"name": "Profile", "entity": "Customer"}' in prompt
    assert "hunter2-in-file" not in prompt
    assert SECRET not in json.dumps(fake.requests)
    missing = {"message": "?", "file_paths": ["entities/customer.json"]}
    gone = world.call("POST", world.other, f"/changesets/{changeset_id}/chat", missing)
    assert gone.status_code == 400
    assert len(fake.requests) == 1


def test_the_chat_prompt_is_truncated_to_64_kib(llm_world: tuple[World, FakeLlm]) -> None:
    world, fake = llm_world
    cs = world.create()
    world.write("config/big.txt", b"line of text\n" * 20000)
    body = {"message": "Summarize", "file_paths": ["config/big.txt"]}
    response = world.call("POST", world.author, f"/changesets/{cs['id']}/chat", body)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["referenced_files"] == ["config/big.txt"]
    sizes = [len(m["content"].encode()) for m in fake.requests[0]["messages"]]
    assert sum(sizes) <= PROMPT_BUDGET_BYTES
    assert "[truncated]" in fake.prompt_text()


def test_a_failing_provider_makes_chat_unavailable(llm_world: tuple[World, FakeLlm]) -> None:
    world, fake = llm_world
    fake.status = 502
    cs = world.create()
    response = world.call("POST", world.author, f"/changesets/{cs['id']}/chat", {"message": "hi"})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "ai_unavailable"
    assert API_KEY not in response.text


def test_the_adapter_turns_timeouts_and_bad_replies_into_ai_unavailable() -> None:
    hello = [ChatMessage(role=ChatRole.USER, content="hello")]
    with fake_llm() as (fake, url):
        llm = OpenAiCompatibleLlm(base_url=url, model="m", api_key=API_KEY)
        assert llm.configured
        assert API_KEY not in repr(llm)
        assert llm.complete(hello) == fake.reply
        fake.delay = 0.5
        with pytest.raises(AiUnavailable):
            llm.complete(hello, timeout_s=0.05)
        fake.delay = 0.0
        fake.reply = None  # type: ignore[assignment]
        with pytest.raises(AiUnavailable):
            llm.complete(hello)
    with pytest.raises(AiUnavailable):
        OpenAiCompatibleLlm(base_url=url, model="m").complete(hello, timeout_s=1)
    unconfigured = OpenAiCompatibleLlm(base_url=None, model=None)
    assert not unconfigured.configured
    with pytest.raises(AiUnavailable):
        unconfigured.complete(hello)
