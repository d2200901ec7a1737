"""The drift-fix changeset (DOMAIN.md §15.10; API.md §12 create-drift-fix-changeset).

Only when the report shows drift (else 409 "no drift"). For the caller: a workspace on
``drift/<slug>/<n>`` at the baseline (n = 1 + the highest existing n), a draft changeset
"Fix runtime drift on `<env name>`", and an override for the environment that pins the
desired state D: every resolved env var and secret at its current value (each secret is
decrypted in memory and re-encrypted under the target profile's AAD by the overrides
use case), plus base_url and the database fields. Each step reuses its use case, so the
audit is ``workspace.created``, ``changeset.created`` and ``profile_override.updated``.
"""

from __future__ import annotations

import re

import msgspec

from conman_domain.errors import Conflict
from conman_domain.model import Environment
from conman_domain.model.overrides import DatabaseOverride
from conman_domain.ports.secrets import SecretAad
from conman_domain.rbac import Capability, check
from conman_domain.rules.resolution import ResolvedProfile
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.changeset_deps import Caller
from conman_domain.usecases.changeset_shapes import ChangesetView
from conman_domain.usecases.changesets import ChangesetService
from conman_domain.usecases.drift import DriftDeps, DriftService
from conman_domain.usecases.override_input import OverrideInput, SecretInput
from conman_domain.usecases.overrides import OverrideSet, OverridesService
from conman_domain.usecases.workspace_context import WorkspaceDeps, WorkspaceView
from conman_domain.usecases.workspaces import CreateWorkspace, CreateWorkspaceCmd

__all__ = ["DriftFix", "DriftFixView", "drift_branch"]

_BRANCH_RETRIES = 5


class DriftFixView(msgspec.Struct, kw_only=True):
    """``{workspace, changeset, overrides}`` (secrets masked)."""

    workspace: WorkspaceView
    changeset: ChangesetView
    overrides: OverrideSet


def drift_branch(slug: str, taken: set[str]) -> str:
    """``drift/<slug>/<n>`` with n = 1 + the highest n among ``taken`` (1 when none)."""
    pattern = re.compile(rf"drift/{re.escape(slug)}/([1-9][0-9]*)")
    numbers = [int(m.group(1)) for name in taken if (m := pattern.fullmatch(name))]
    return f"drift/{slug}/{max(numbers, default=0) + 1}"


class DriftFix:
    """POST create-drift-fix-changeset (the caller is CM+, checked by the shell)."""

    def __init__(self, deps: DriftDeps, workspaces: WorkspaceDeps) -> None:
        self._d = deps
        self._workspaces = workspaces
        self._drift = DriftService(deps)
        self._changesets = ChangesetService(deps)
        self._overrides = OverridesService(deps)

    def __call__(self, caller: Caller, environment: Environment) -> DriftFixView:
        """Create the workspace, the changeset and the pinning override. No drift →
        ``Conflict("no drift")``; a branch taken concurrently is retried with the next n."""
        check(Capability.CREATE_DRIFT_FIX, caller.role)
        app = caller.app
        state = self._drift.state(app, environment, None)
        if not state.report.drifted:
            raise Conflict("no drift")
        title = f"Fix runtime drift on `{environment.name}`"
        workspace = self._workspace(caller, environment, title)
        changeset = self._changesets.create(caller, workspace_id=workspace.id, title=title)
        pin = self._pin(caller, environment, state.desired)
        overrides = self._overrides.replace(caller, changeset.id, [pin])
        return DriftFixView(workspace=workspace, changeset=changeset, overrides=overrides)

    def _workspace(self, caller: Caller, environment: Environment, title: str) -> WorkspaceView:
        app = caller.app
        create = CreateWorkspace(self._workspaces)
        attempt = 0
        while True:
            taken = {b.name for b in self._d.git.list_branches(repo_ref(app))}
            taken |= {w.branch_name for w in self._d.repos.workspaces.all({"app_id": app.id})}
            branch = drift_branch(environment.slug, taken)
            try:
                return create(
                    CreateWorkspaceCmd(
                        app_id=app.id,
                        actor=caller.actor,
                        title=title,
                        branch_name=branch,
                        reserved_branch=True,
                    )
                )
            except Conflict:
                attempt += 1
                if attempt >= _BRANCH_RETRIES:
                    raise

    def _pin(
        self, caller: Caller, environment: Environment, desired: ResolvedProfile
    ) -> OverrideInput:
        """The override input pinning D (plaintext secrets stay in memory: the overrides
        use case encrypts them under the target profile's AAD)."""
        cipher = self._d.cipher
        secrets: dict[str, SecretInput] = {}
        for key, sourced in sorted(desired.secrets.items()):
            aad = SecretAad(app_id=caller.app.id, profile_id=sourced.profile_id, key=key)
            secrets[key] = cipher.decrypt(sourced.record, aad)
        db = desired.database
        return OverrideInput(
            target_environment_id=environment.id,
            env_vars=dict(sorted(desired.env_vars.items())),
            secrets=secrets,
            base_url=desired.base_url,
            database=DatabaseOverride(
                connection_ref=db.connection_ref,
                provisioning_mode=db.provisioning_mode,
                base_profile_id=db.base_profile_id,
            ),
        )
