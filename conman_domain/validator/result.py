"""The result of one validation run (DOMAIN.md §11.4)."""

from __future__ import annotations

from typing import Literal

import msgspec

__all__ = ["EnvironmentRun", "ValidationFailure", "ValidationResult"]


class ValidationFailure(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """One problem: the repository path it concerns ("" for a command), a message, a line."""

    path: str
    message: str
    line: int | None = None


class EnvironmentRun(msgspec.Struct, frozen=True, kw_only=True):
    """One command run of a release gate, per environment (§11.4 ``runs``)."""

    environment_id: str
    passed: bool
    exit_code: int | None
    duration_ms: int


class ValidationResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """``{passed, runner, checks, failures, duration_ms, exit_code?, runs?}``.

    ``checks`` counts the individual checks evaluated (a command run counts as 1).
    Never holds a secret value.
    """

    passed: bool
    runner: Literal["builtin", "command"]
    checks: int
    failures: list[ValidationFailure]
    duration_ms: int
    exit_code: int | None = None
    runs: list[EnvironmentRun] | None = None
