"""Optional LLM chat completions (API.md §9, analysis and chat)."""

from __future__ import annotations

import enum
from typing import Protocol

import msgspec

__all__ = ["ChatMessage", "ChatRole", "LlmPort"]


class ChatRole(enum.StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


class ChatMessage(msgspec.Struct, frozen=True, kw_only=True):
    role: ChatRole
    content: str


class LlmPort(Protocol):
    """An OpenAI-compatible chat-completions endpoint. Prompts never contain secrets."""

    @property
    def configured(self) -> bool:
        """False when no provider is configured; ``complete`` then always raises."""
        ...

    def complete(
        self, messages: list[ChatMessage], *, max_tokens: int = 1024, timeout_s: float = 30.0
    ) -> str:
        """Return the assistant's reply to ``messages``.

        Raises ``AiUnavailable`` when no provider is configured, the provider answers with
        an error, or the call exceeds ``timeout_s``.
        """
        ...
