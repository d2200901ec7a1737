"""Conman adapters: an OpenAI-compatible chat-completions client (API.md §9)."""

from conman_adapters.llm.openai import OpenAiCompatibleLlm

__all__ = ["OpenAiCompatibleLlm"]
