"""Validation of a tree: the built-in validator over a git revision, and the result of a
gate command (DOMAIN.md §11.3, §11.4)."""

from __future__ import annotations

from conman_domain.errors import NotFound
from conman_domain.gitmodel import RepoRef
from conman_domain.ports.clock import ClockPort
from conman_domain.ports.git import GitPort
from conman_domain.ports.runner import CommandEnv, CommandMetadata, CommandResult
from conman_domain.ports.secrets import CipherPort, SecretAad
from conman_domain.rules.resolution import ResolvedProfile
from conman_domain.validator import (
    ValidationFailure,
    ValidationResult,
    is_structured_file,
    run_builtin_validator,
)

__all__ = [
    "ValidateRevision",
    "command_env",
    "command_validation_result",
    "read_structured_files",
]

_BLOB_BATCH = 500


def read_structured_files(git: GitPort, repo: RepoRef, sha: str) -> dict[str, bytes]:
    """Every ``.json``/``.yaml``/``.yml`` file of commit ``sha``: the validator's input."""
    entries = git.list_tree(repo, sha, recursive=True).entries
    paths = [e.path for e in entries if e.type == "blob" and is_structured_file(e.path)]
    files: dict[str, bytes] = {}
    for start in range(0, len(paths), _BLOB_BATCH):
        for blob in git.read_blobs(repo, sha, paths[start : start + _BLOB_BATCH]):
            files[blob.path] = blob.data
    return files


class ValidateRevision:
    """Run the built-in validator on a revision of an app repository."""

    def __init__(self, git: GitPort, clock: ClockPort) -> None:
        self._git = git
        self._clock = clock

    def __call__(self, repo: RepoRef, revision: str) -> ValidationResult:
        """Resolve ``revision`` and validate its tree. A full ref name (``refs/...``) or
        a 40-hex commit id is used as is; a short name tries the branch, then the tag.

        An unknown revision → ``NotFound("revision", revision)``; git failures propagate
        (``GitUnavailable``/``GitTimeout``).
        """
        sha = None
        for candidate in _revision_candidates(revision):
            sha = self._git.resolve(repo, candidate)
            if sha is not None:
                break
        if sha is None:
            raise NotFound("revision", revision)
        files = read_structured_files(self._git, repo, sha)
        return run_builtin_validator(files, self._clock.monotonic)


def _revision_candidates(revision: str) -> list[str]:
    is_sha = len(revision) == 40 and all(c in "0123456789abcdef" for c in revision)
    if is_sha or revision.startswith("refs/"):
        return [revision]
    return [f"refs/heads/{revision}", f"refs/tags/{revision}"]


def command_validation_result(result: CommandResult) -> ValidationResult:
    """A gate command's run as a validation result: one check, passed on exit 0.

    A failure is ``{path: "", message: "command exited with code N"}``, or "timeout",
    or "canceled". Output is not part of the result (it goes to the job log, masked).
    """
    failures: list[ValidationFailure] = []
    if result.timed_out:
        failures.append(ValidationFailure(path="", message="timeout"))
    elif result.canceled:
        failures.append(ValidationFailure(path="", message="canceled"))
    elif result.exit_code != 0:
        message = f"command exited with code {result.exit_code}"
        failures.append(ValidationFailure(path="", message=message))
    return ValidationResult(
        passed=not failures,
        runner="command",
        checks=1,
        failures=failures,
        duration_ms=result.duration_ms,
        exit_code=result.exit_code,
    )


def command_env(
    resolved: ResolvedProfile,
    cipher: CipherPort,
    *,
    app_id: str,
    metadata: CommandMetadata,
    extra: dict[str, str] | None = None,
) -> CommandEnv:
    """The environment of a command run in the scope ``resolved`` (§11.2 step 3, §15.3):
    the merged profile variables and every secret decrypted in memory with the AAD of
    the profile that holds it. A record that does not decrypt raises ``Internal``."""
    secrets = {
        key: cipher.decrypt(
            sourced.record, SecretAad(app_id=app_id, profile_id=sourced.profile_id, key=key)
        )
        for key, sourced in resolved.secrets.items()
    }
    return CommandEnv(
        variables=dict(resolved.env_vars),
        secrets=secrets,
        metadata=metadata,
        extra=dict(extra or {}),
    )
