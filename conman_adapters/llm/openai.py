"""``LlmPort`` over an OpenAI-compatible ``POST <base>/chat/completions`` endpoint,
with the standard library only (``CONMAN_LLM_BASE_URL``, ``_MODEL``, ``_API_KEY``).

Every failure (not configured, connection refused, timeout, non-2xx status, a reply
that is not a chat completion) becomes ``AiUnavailable``; the API key never appears in
an error message or in ``repr``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import msgspec

from conman_domain.errors import AiUnavailable
from conman_domain.ports.llm import ChatMessage, LlmPort

__all__ = ["OpenAiCompatibleLlm"]


class _Message(msgspec.Struct):
    content: str | None = None


class _Choice(msgspec.Struct):
    message: _Message


class _Completion(msgspec.Struct):
    choices: list[_Choice]


class OpenAiCompatibleLlm(LlmPort):
    """One HTTP request per ``complete`` call; unconfigured when base URL or model is
    missing (then ``configured`` is False and ``complete`` raises ``AiUnavailable``)."""

    def __init__(
        self, *, base_url: str | None, model: str | None, api_key: str | None = None
    ) -> None:
        self._base_url = base_url.rstrip("/") if base_url else None
        self._model = model
        self._api_key = api_key

    def __repr__(self) -> str:
        return f"OpenAiCompatibleLlm(base_url={self._base_url!r}, model={self._model!r})"

    @property
    def configured(self) -> bool:
        return self._base_url is not None and bool(self._model)

    def complete(
        self, messages: list[ChatMessage], *, max_tokens: int = 1024, timeout_s: float = 30.0
    ) -> str:
        if self._base_url is None or not self._model:
            raise AiUnavailable("no LLM is configured")
        payload: dict[str, Any] = {
            "model": self._model,
            "messages": [{"role": m.role.value, "content": m.content} for m in messages],
            "max_tokens": max_tokens,
        }
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        request = urllib.request.Request(
            f"{self._base_url}/chat/completions",
            data=json.dumps(payload).encode("utf-8"),
            headers=headers,
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout_s) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            raise AiUnavailable(f"the LLM provider answered HTTP {exc.code}") from exc
        except TimeoutError as exc:
            raise AiUnavailable("the LLM provider timed out") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise AiUnavailable("the LLM provider is unreachable") from exc
        return _reply(body)


def _reply(body: bytes) -> str:
    try:
        completion = msgspec.json.decode(body, type=_Completion)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise AiUnavailable("the LLM provider sent an unexpected reply") from exc
    if not completion.choices or completion.choices[0].message.content is None:
        raise AiUnavailable("the LLM provider sent an empty reply")
    return completion.choices[0].message.content
