"""Running gate, deploy, migration and hook commands in a sandbox (DOMAIN.md §11.2)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, Protocol

import msgspec

from conman_domain.model.profiles import TypedValue

__all__ = [
    "MAX_OUTPUT_LINES",
    "CommandEnv",
    "CommandMetadata",
    "CommandResult",
    "CommandRunnerPort",
    "LogSink",
    "Materializer",
    "OutputLine",
]

MAX_OUTPUT_LINES = 10_000
"""Lines kept per run; then one "output truncated" line (§11.2 step 4)."""

Materializer = Callable[[Path], None]
"""Writes the exact tree to validate into the given empty directory, e.g.
``lambda dest: git.materialize(repo, sha, dest)``."""

LogSink = Callable[[str, str], None]
"""Receives ``(level, line)`` as output arrives: stdout ``info``, stderr ``warn``."""


class CommandMetadata(msgspec.Struct, frozen=True, kw_only=True):
    """The ``CONMAN_*`` variables of a run; empty strings outside their context."""

    job_id: str = ""
    job_type: str = ""
    app_id: str = ""
    entity_type: str = ""
    entity_id: str = ""
    commit_sha: str = ""
    gate: Literal["submit", "release", "deploy", ""] = ""

    def variables(self) -> dict[str, str]:
        """The metadata as ``CONMAN_JOB_ID`` ... ``CONMAN_GATE``."""
        return {
            "CONMAN_JOB_ID": self.job_id,
            "CONMAN_JOB_TYPE": self.job_type,
            "CONMAN_APP_ID": self.app_id,
            "CONMAN_ENTITY_TYPE": self.entity_type,
            "CONMAN_ENTITY_ID": self.entity_id,
            "CONMAN_COMMIT_SHA": self.commit_sha,
            "CONMAN_GATE": self.gate,
        }


class CommandEnv(msgspec.Struct, frozen=True, kw_only=True):
    """Everything a command's environment is built from; nothing is inherited.

    ``variables`` are the resolved profile variables of the scope, ``secrets`` its
    decrypted secrets (their values are masked in output), ``extra`` the additional
    variables of migrations and hooks (§15.8, §16.5).
    """

    variables: dict[str, TypedValue] = msgspec.field(default_factory=dict)
    secrets: dict[str, str] = msgspec.field(default_factory=dict)
    metadata: CommandMetadata = msgspec.field(default_factory=CommandMetadata)
    extra: dict[str, str] = msgspec.field(default_factory=dict)


class OutputLine(msgspec.Struct, frozen=True, kw_only=True):
    """One captured line, already masked."""

    stream: Literal["stdout", "stderr"]
    text: str


class CommandResult(msgspec.Struct, frozen=True, kw_only=True):
    """How a run ended. ``exit_code`` is the command's status (a process killed by
    signal N reports 128+N, or -N); ``passed`` only for exit 0 without timeout or cancel."""

    exit_code: int
    timed_out: bool = False
    canceled: bool = False
    duration_ms: int
    output: list[OutputLine] = msgspec.field(default_factory=list)
    truncated: bool = False

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and not self.timed_out and not self.canceled


class CommandRunnerPort(Protocol):
    """Runs one shell command on a materialized tree, isolated and bounded."""

    def run(
        self,
        command: str,
        *,
        materialize: Materializer,
        env: CommandEnv,
        timeout_seconds: float,
        log: LogSink | None = None,
        should_cancel: Callable[[], bool] | None = None,
    ) -> CommandResult:
        """Materialize the tree into a fresh temporary directory and run
        ``/bin/sh -c command`` there in its own process group, with an environment
        built only from ``PATH``, ``HOME`` (a fresh temporary home), ``LANG=C.UTF-8``
        and ``env``. Output lines are masked (every secret value of ≥4 chars becomes
        ``****``), passed to ``log`` as they arrive and kept up to ``MAX_OUTPUT_LINES``.

        When ``timeout_seconds`` passes, or ``should_cancel()`` turns true, the whole
        process group gets SIGTERM and SIGKILL after a grace period; the result says
        ``timed_out`` or ``canceled``. No process of the group survives the call and the
        temporary directories are always removed. Errors of ``materialize`` propagate
        unchanged; failing to start the shell raises ``Internal``; an environment
        value the OS cannot carry (a NUL character) raises ``Validation``.
        """
        ...
