"""The LLM prompts of analyze and chat (API.md §9; DOMAIN.md §15.4)."""

from __future__ import annotations

from conman_domain.ports.llm import ChatRole
from conman_domain.semdiff import ProfileOverrideChange, semantic_diff
from conman_domain.usecases.review_prompts import (
    PROMPT_BUDGET_BYTES,
    VALUE_PREVIEW_CHARS,
    analyze_messages,
    chat_messages,
    prompt_diff,
)

BASE = {"entities/pay.json": b'{"name": "Pay", "note": "short"}'}
HEAD = {"entities/pay.json": ('{"name": "Pay", "note": "' + "n" * 500 + '"}').encode()}


def test_change_values_are_shortened_and_override_values_left_out() -> None:
    env_var = ProfileOverrideChange(
        environment_id="e" * 24, environment_name="Production", kind="envVar",
        key="MODE", operation="modified", before="slow-value", after="fast-value",
    )  # fmt: skip
    diff = semantic_diff(
        BASE, HEAD, base_sha="a" * 40, head_sha="b" * 40, override_changes=[env_var]
    )
    shown = prompt_diff(diff)
    change = shown["changes"][0]
    assert change["keyPath"] == "note"
    assert len(change["after"]) <= VALUE_PREVIEW_CHARS + len("…[truncated]")
    assert change["after"].endswith("…[truncated]")
    assert shown["profileOverrideChanges"] == [
        {"environment": "Production", "kind": "envVar", "key": "MODE", "operation": "modified"}
    ]
    text = analyze_messages(diff, ["naming"])[1].content
    assert "slow-value" not in text and "fast-value" not in text
    assert text.endswith("Focus on: naming")


def test_files_with_secret_looking_keys_are_masked_in_the_chat_prompt() -> None:
    diff = semantic_diff({}, {}, base_sha=None, head_sha="b" * 40)
    files = {
        "config/db.yaml": b"host: db\npassword: hunter2\n",
        "config/plain.yaml": b"host: db # comment kept\n",
    }
    messages, included = chat_messages(diff, "Where is the database?", files)
    assert [m.role for m in messages] == [ChatRole.SYSTEM, ChatRole.USER]
    prompt = messages[1].content
    assert "hunter2" not in prompt
    assert '"password": "****"' in prompt
    assert "host: db # comment kept" in prompt
    assert included == ["config/db.yaml", "config/plain.yaml"]


def test_the_chat_prompt_stays_within_budget_and_names_only_included_files() -> None:
    diff = semantic_diff({}, {}, base_sha=None, head_sha="b" * 40)
    files = {f"config/f{i}.txt": b"x" * 30000 for i in range(4)}
    messages, included = chat_messages(diff, "?", files)
    size = sum(len(m.content.encode()) for m in messages)
    assert size <= PROMPT_BUDGET_BYTES
    assert included == ["config/f0.txt", "config/f1.txt", "config/f2.txt"]
    assert "config/f3.txt" not in messages[1].content
