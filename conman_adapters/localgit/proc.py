"""Running git: one place that builds the environment and wraps every failure."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from conman_domain.errors import GitTimeout, GitUnavailable
from conman_domain.gitmodel import Signature

__all__ = ["GitError", "base_env", "identity_env", "run_git"]

#: Identity of the synthetic commits of ``three_way``: fixed so they are reused.
SYNTHETIC = {
    "GIT_AUTHOR_NAME": "Conman",
    "GIT_AUTHOR_EMAIL": "conman@localhost",
    "GIT_AUTHOR_DATE": "@0 +0000",
    "GIT_COMMITTER_NAME": "Conman",
    "GIT_COMMITTER_EMAIL": "conman@localhost",
    "GIT_COMMITTER_DATE": "@0 +0000",
}


class GitError(GitUnavailable):
    """A git command exited with an unexpected status; carries it for callers to map."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str) -> None:
        super().__init__(f"git {' '.join(args[:2])} failed ({returncode}): {stderr.strip()[:500]}")
        self.returncode = returncode
        self.stderr = stderr


def base_env() -> dict[str, str]:
    """The environment for every git call: no user/system config, no prompts, C locale."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }
    )
    return env


def identity_env(author: Signature, committer: Signature | None = None) -> dict[str, str]:
    """``GIT_AUTHOR_*``/``GIT_COMMITTER_*`` for a signature, dated in UTC."""
    committer = committer or author
    return {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_AUTHOR_DATE": f"@{int(author.when.timestamp())} +0000",
        "GIT_COMMITTER_NAME": committer.name,
        "GIT_COMMITTER_EMAIL": committer.email,
        "GIT_COMMITTER_DATE": f"@{int(committer.when.timestamp())} +0000",
    }


def run_git(
    git_dir: Path | None,
    args: Sequence[str],
    *,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    ok: Sequence[int] = (0,),
    timeout: float = 60.0,
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git [--git-dir=<git_dir>] <args>``; an exit status outside ``ok`` →
    ``GitError``; a missing binary or OS failure → ``GitUnavailable``; timeout →
    ``GitTimeout``."""
    full_env = base_env()
    if env:
        full_env.update(env)
    cmd = ["git"] + ([f"--git-dir={git_dir}"] if git_dir is not None else []) + list(args)
    try:
        done = subprocess.run(
            cmd,
            input=stdin,
            env=full_env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitTimeout(f"git {args[0]} timed out after {timeout:.0f}s") from exc
    except OSError as exc:
        raise GitUnavailable(f"cannot run git: {exc}") from exc
    if done.returncode not in ok:
        raise GitError(args, done.returncode, done.stderr.decode(errors="replace"))
    return done
