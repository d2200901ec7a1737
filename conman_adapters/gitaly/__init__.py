"""Conman adapters: gitaly — ``GitalyGit``, the ``GitPort`` over Gitaly's gRPC API."""

from conman_adapters.gitaly.client import GitalyGit
from conman_adapters.gitaly.transport import GitalyDeadlines, RetryPolicy

__all__ = ["GitalyDeadlines", "GitalyGit", "RetryPolicy"]
