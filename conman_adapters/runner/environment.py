"""The process environment of a command, built from scratch (DOMAIN.md §11.2 step 3)."""

from __future__ import annotations

from conman_domain.errors import Validation
from conman_domain.ports.runner import CommandEnv
from conman_domain.rules.env_vars import render_env_value

__all__ = ["DEFAULT_PATH", "MIN_MASKED_LENGTH", "build_environment", "secret_masks"]

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MIN_MASKED_LENGTH = 4


def build_environment(env: CommandEnv, *, home: str, path: str = DEFAULT_PATH) -> dict[str, str]:
    """``PATH``, ``HOME``, ``LANG`` < profile variables < secrets < extra < ``CONMAN_*``.

    ``HOME`` is always the fresh home and the ``CONMAN_*`` metadata cannot be overridden.
    Raises ``Validation`` for a value containing NUL, which no process can receive.
    """
    result = {"PATH": path, "LANG": "C.UTF-8"}
    result.update({key: render_env_value(value) for key, value in env.variables.items()})
    result.update(env.secrets)
    result.update(env.extra)
    result["HOME"] = home
    result.update(env.metadata.variables())
    for key, text in result.items():
        if "\0" in key or "\0" in text or "=" in key or not key:
            raise Validation(f"environment variable {key!r} cannot be passed to a command")
    return result


def secret_masks(env: CommandEnv) -> list[str]:
    """Secret values to replace by ``****``, longest first so overlaps mask fully.

    Only values of at least 4 characters are masked; a multi-line value also masks each
    of its lines, since output is matched line by line.
    """
    masks: set[str] = set()
    for value in env.secrets.values():
        for candidate in (value, *value.splitlines()):
            if len(candidate) >= MIN_MASKED_LENGTH:
                masks.add(candidate)
    return sorted(masks, key=lambda mask: (-len(mask), mask))
