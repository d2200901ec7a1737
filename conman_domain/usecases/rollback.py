"""Rollback requests (DOMAIN.md §14.6; API.md §12).

C = the environment's current release, T = the target. ``redeploy_prior_tag`` deploys T
again (its tag must still point at ``T.published_sha``). ``revert_and_release`` builds the
revert of C back to T on a scratch branch (``GitPort.revert_release``), compare-and-swaps
the integration branch to it, publishes it as a ``source: "revert"`` release (tag, audit,
notification and the publish follow-ups) and deploys that release. Either way the
deployment is a ``rollback`` with the rollback fields; when it succeeds, C → rolled_back.
"""

from __future__ import annotations

from conman_domain.errors import Conflict, GitConflict, Validation
from conman_domain.model import (
    DeploymentKind,
    DeploymentState,
    Environment,
    NotificationEvent,
    Release,
    ReleaseSource,
    ReleaseState,
)
from conman_domain.model.deployments import RollbackMode
from conman_domain.rbac import Capability, check
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.changeset_deps import (
    Caller,
    branch_ref,
    check_object_id,
    integration_head,
)
from conman_domain.usecases.deployment_shapes import (
    DEPLOYABLE,
    DeploymentDeps,
    DeploymentView,
    RollbackFields,
    deployment_view,
    load_environment,
)
from conman_domain.usecases.deployments import DeploymentService
from conman_domain.usecases.release_notify import notify_release
from conman_domain.usecases.release_publish import PublishRelease
from conman_domain.usecases.release_shapes import load_release

__all__ = ["Rollback", "revert_scratch_branch"]

_TARGETS = DEPLOYABLE | {ReleaseState.ROLLED_BACK}


def revert_scratch_branch(release_id: str) -> str:
    """The rollback scratch branch of a revert release (D§6.1)."""
    return f"conman/revert/{release_id}"


class Rollback:
    """POST environments/:envId/rollback (CM+)."""

    def __init__(
        self, deps: DeploymentDeps, service: DeploymentService, publish: PublishRelease
    ) -> None:
        self._d = deps
        self._service = service
        self._publish = publish

    def __call__(
        self, caller: Caller, environment_id: str, mode: RollbackMode, target_release_id: str
    ) -> DeploymentView:
        check(Capability.DEPLOY, caller.role)
        d, app = self._d, caller.app
        check_object_id("target_release_id", target_release_id)
        env = load_environment(d, app, environment_id)
        target = load_release(d, app, target_release_id)
        if env.current_release_id is None:
            raise Validation("the environment has no current release")
        current = load_release(d, app, env.current_release_id)
        self._check_target(env, current, target)
        self._service.guard(caller, env, target)
        fields = RollbackFields(mode, current.id, target.id)
        if mode is RollbackMode.REDEPLOY_PRIOR_TAG:
            found = None if target.tag is None else d.git.find_tag(repo_ref(app), target.tag)
            if found is None or found != target.published_sha:
                raise Validation(f"the tag of release {target.id} is missing in git")
            deploy = target
        else:
            deploy = self._revert(caller, current, target)
        created = self._service.create(
            caller,
            env,
            deploy,
            DeploymentKind.ROLLBACK,
            action="deployment.rolled_back",
            rollback=fields,
            skip_guard=True,
        )
        return deployment_view(created)

    def _check_target(self, env: Environment, current: Release, target: Release) -> None:
        if target.id == current.id:
            raise Validation("the target release is the current release")
        if target.state not in _TARGETS or target.published_sha is None:
            raise Validation(f"release is not a rollback target (state {target.state.value})")
        succeeded = self._d.repos.deployments.count(
            {
                "environment_id": env.id,
                "release_id": target.id,
                "state": DeploymentState.SUCCEEDED.value,
            }
        )
        if succeeded == 0:
            raise Validation("the target release never succeeded on this environment")

    def _revert(self, caller: Caller, current: Release, target: Release) -> Release:
        """Revert commits on the integration branch, published as a new release."""
        d, app = self._d, caller.app
        repo = repo_ref(app)
        head = integration_head(d, app)
        release_id = d.ids.new_id()
        scratch = revert_scratch_branch(release_id)
        outcome = d.git.revert_release(
            repo,
            integration_branch=app.integration_branch,
            expected_head=head,
            current_sha=current.published_sha or "",
            target_sha=target.published_sha or "",
            scratch_branch=scratch,
            message=f"Revert release {current.tag} to {target.tag}",
            author=d.signature(caller.user_id),
        )
        if outcome.conflicting_paths:
            raise GitConflict("the revert conflicts", outcome.conflicting_paths)
        if outcome.empty or outcome.sha is None:
            raise Validation("nothing to revert")
        sha = outcome.sha
        try:
            d.git.update_ref(
                repo, branch_ref(app.integration_branch), new_sha=sha, expected_old=head
            )
        except Conflict:
            raise Conflict("the integration branch moved during the revert") from None
        finally:
            d.git.delete_ref(repo, branch_ref(scratch), expected_old=None)
        now = d.clock.now()
        # The publish use case names and creates release tags (D§13.5).
        tag = self._publish._create_tag(app, sha, now)
        release = d.repos.releases.insert(
            Release(
                id=release_id, created_at=now, updated_at=now, app_id=app.id, tag=tag,
                state=ReleaseState.PUBLISHED, source=ReleaseSource.REVERT, base_sha=head,
                composed_sha=sha, published_sha=sha, published_at=now,
                published_by=caller.user_id, reverts_release_id=current.id,
                created_by=caller.user_id,
            )
        )  # fmt: skip
        d.audit.record(
            caller.actor, "release.created", app_id=app.id, entity_id=release.id,
            after={"state": release.state, "source": release.source,
                   "reverts_release_id": current.id, "target_release_id": target.id},
        )  # fmt: skip
        d.audit.record(
            caller.actor, "release.published", app_id=app.id, entity_id=release.id,
            after={"state": release.state, "tag": tag, "published_sha": sha},
            git_sha=sha,
        )  # fmt: skip
        notify_release(d, NotificationEvent.RELEASE_PUBLISHED, app, release, caller.user_id)
        self._publish.finish(app, release, caller.actor)
        return release
