"""Conman adapters: runner (the command sandbox, DOMAIN.md §11.2)."""

from conman_adapters.runner.environment import build_environment, secret_masks
from conman_adapters.runner.subprocess_runner import SubprocessRunner

__all__ = ["SubprocessRunner", "build_environment", "secret_masks"]
