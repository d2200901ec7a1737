"""Conman adapters: localgit — ``GitPort`` over bare repositories with the git CLI."""

from conman_adapters.localgit.adapter import LocalGit

__all__ = ["LocalGit"]
