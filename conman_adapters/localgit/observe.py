"""Per-call observation of ``LocalGit`` (feeds ``conman_git_calls_total`` and
``conman_git_call_duration_seconds`` when the container passes an observer)."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar

from conman_domain.errors import ConmanError

__all__ = ["Observer", "instrument"]

#: ``observer(method, outcome, seconds)``; outcome is ``"ok"`` or the error's code.
Observer = Callable[[str, str, float], None]
C = TypeVar("C", bound=type)


def _wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def observed(self: Any, *args: Any, **kwargs: Any) -> Any:
        observer: Observer | None = self._observer
        if observer is None:
            return fn(self, *args, **kwargs)
        start = time.perf_counter()
        outcome = "ok"
        try:
            return fn(self, *args, **kwargs)
        except ConmanError as exc:
            outcome = exc.code
            raise
        finally:
            observer(name, outcome, time.perf_counter() - start)

    return observed


def instrument(names: list[str]) -> Callable[[C], C]:
    """Class decorator: time the public methods ``names`` through ``self._observer``."""

    def decorate(cls: C) -> C:
        for name in names:
            setattr(cls, name, _wrap(name, getattr(cls, name)))
        return cls

    return decorate
