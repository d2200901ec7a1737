"""``IdentityServices``: every identity use case over one ``IdentityDeps`` (built once
per process by the container)."""

from __future__ import annotations

from conman_domain.ports.git import GitPort
from conman_domain.usecases.apps import AppsService
from conman_domain.usecases.audit_log import AuditLog
from conman_domain.usecases.auth import AuthService
from conman_domain.usecases.environments import EnvironmentsService
from conman_domain.usecases.identity import IdentityDeps
from conman_domain.usecases.invites import InvitesService
from conman_domain.usecases.me import MeService
from conman_domain.usecases.members import MembersService

__all__ = ["IdentityServices"]


class IdentityServices:
    def __init__(self, deps: IdentityDeps, git: GitPort, auth: AuthService) -> None:
        self.deps = deps
        self.auth = auth
        self.apps = AppsService(deps, git)
        self.members = MembersService(deps)
        self.invites = InvitesService(deps, auth)
        self.environments = EnvironmentsService(deps)
        self.me = MeService(deps)
        self.audit_log = AuditLog(deps.repos.audit)
