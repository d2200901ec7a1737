"""Release state machine (DOMAIN.md §13.2) and the immutability rule of §13.1.

Facts: ``members_queued_and_free`` (create), ``has_members``, ``members_queued``,
``members_free`` (assemble), ``publishable`` (publish, §13.4 steps 1-2),
``all_environments_deployed`` (deployment_succeeded: every current environment now has a
succeeded deployment of the release).
"""

from __future__ import annotations

from conman_domain.errors import Conflict, Validation
from conman_domain.model.releases import Release, ReleaseState
from conman_domain.states.machine import ActorRule, Machine, TransitionContext, fact_guard, row

__all__ = ["MUTABLE_RELEASE_STATES", "RELEASE_MACHINE", "ensure_release_mutable"]

R = ReleaseState

#: States in which members may be added, removed or reordered.
MUTABLE_RELEASE_STATES = frozenset({R.DRAFT_RELEASE})


def _all_deployed(ctx: TransitionContext) -> bool:
    return bool(ctx.fact("all_environments_deployed"))


RELEASE_MACHINE = Machine(
    name="release",
    states=tuple(R),
    terminal=frozenset({R.ROLLED_BACK}),
    transitions=(
        row(
            [None],
            R.DRAFT_RELEASE,
            "create",
            ActorRule.CM,
            fact_guard(
                "members_queued_and_free",
                "listed changesets must be queued and in no other release",
                Validation,
            ),
        ),
        row(
            [R.DRAFT_RELEASE],
            R.ASSEMBLING,
            "assemble",
            ActorRule.CM,
            fact_guard("has_members", "a release needs at least one changeset", Validation),
            fact_guard("members_queued", "every member must be queued"),
            fact_guard("members_free", "a member is in another non-draft release"),
        ),
        row([R.ASSEMBLING], R.VALIDATED, "validation_passed", ActorRule.SYSTEM),
        row([R.ASSEMBLING], R.DRAFT_RELEASE, "assembly_failed", ActorRule.SYSTEM),
        row(
            [R.VALIDATED],
            R.PUBLISHED,
            "publish",
            ActorRule.CM,
            fact_guard("publishable", "the release can no longer be published as composed"),
        ),
        row([R.VALIDATED], R.DRAFT_RELEASE, "publish_aborted", ActorRule.SYSTEM),
        row(
            [R.PUBLISHED, R.DEPLOYED_PARTIAL],
            R.DEPLOYED_FULL,
            "deployment_succeeded",
            ActorRule.SYSTEM,
            when=_all_deployed,
        ),
        row(
            [R.PUBLISHED, R.DEPLOYED_PARTIAL],
            R.DEPLOYED_PARTIAL,
            "deployment_succeeded",
            ActorRule.SYSTEM,
        ),
        row(
            [R.PUBLISHED, R.DEPLOYED_PARTIAL, R.DEPLOYED_FULL],
            R.ROLLED_BACK,
            "rolled_back",
            ActorRule.SYSTEM,
        ),
    ),
)


def ensure_release_mutable(release: Release) -> None:
    """Members and order may change only in draft_release; a published release never changes
    its changeset set (DOMAIN.md §13.1). Raises ``Conflict`` otherwise."""
    if release.state not in MUTABLE_RELEASE_STATES:
        raise Conflict(f"release is {release.state}; its changesets cannot change")
