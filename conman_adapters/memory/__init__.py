"""Conman adapters: memory."""

from conman_adapters.memory.git import InMemoryGit

__all__ = ["InMemoryGit"]
