"""``ChangesetServices``: every changeset, review, comment and override use case over
one ``ChangesetDeps`` (built once per process by the container)."""

from __future__ import annotations

from conman_domain.usecases.changeset_deps import ChangesetDeps
from conman_domain.usecases.changeset_submit import SubmitChangeset
from conman_domain.usecases.changesets import ChangesetService
from conman_domain.usecases.comments import CommentsService
from conman_domain.usecases.overrides import OverridesService
from conman_domain.usecases.queue_entry import QueueChangeset
from conman_domain.usecases.reviews import ReviewChangeset

__all__ = ["ChangesetServices"]


class ChangesetServices:
    def __init__(self, deps: ChangesetDeps) -> None:
        self.deps = deps
        self.changesets = ChangesetService(deps)
        self.submit = SubmitChangeset(deps)
        self.review = ReviewChangeset(deps)
        self.queue = QueueChangeset(deps)
        self.comments = CommentsService(deps)
        self.overrides = OverridesService(deps)
