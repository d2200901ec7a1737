"""``ReleaseServices``: the release use cases and job handlers over one ``ReleaseDeps``
(built once per process by the container)."""

from __future__ import annotations

from collections.abc import Callable

from conman_domain.model import Job, JobType
from conman_domain.usecases.release_compose import (
    ReleaseAssemble,
    ReleaseMerge,
    release_cancel_effect,
)
from conman_domain.usecases.release_publish import PublishRelease
from conman_domain.usecases.release_shapes import ReleaseDeps
from conman_domain.usecases.releases import ReleaseService
from conman_domain.usecases.revalidation import RevalidateQueuedChangeset

__all__ = ["ReleaseServices"]


class ReleaseServices:
    def __init__(self, deps: ReleaseDeps) -> None:
        self.deps = deps
        self.releases = ReleaseService(deps)
        self.publish = PublishRelease(deps)
        self.assemble_job = ReleaseAssemble(deps)
        self.merge_job = ReleaseMerge(deps)
        self.revalidate_job = RevalidateQueuedChangeset(deps)

    def cancel_effects(self) -> dict[str, Callable[[Job], None]]:
        """The §17.5 effects of canceling a queued job of a release type."""
        effect = release_cancel_effect(self.deps)
        return {JobType.RELEASE_ASSEMBLE.value: effect, JobType.MSUITE_MERGE.value: effect}

    def recover(self) -> int:
        """The recovery pass of interrupted publish follow-ups (DOMAIN.md §17.3)."""
        return self.publish.recover()
