"""Members of an app: list, own commit mode, role change, removal (API.md §6;
DOMAIN.md §2.3: nobody changes their own role, the last app_admin stays)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from conman_domain.errors import NotFound
from conman_domain.model import App, CommitMode, Membership, Role, User
from conman_domain.rbac import check_not_own_role, ensure_an_admin_remains
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.identity import IdentityDeps

__all__ = ["CommitModeView", "MemberView", "MembersService"]


class MemberView(msgspec.Struct, kw_only=True):
    user_id: str
    email: str
    name: str
    role: Role
    joined_at: datetime


class CommitModeView(msgspec.Struct, kw_only=True):
    user_id: str
    app_id: str
    commit_mode: CommitMode | None
    effective_commit_mode: CommitMode


class MembersService:
    def __init__(self, deps: IdentityDeps) -> None:
        self._d = deps

    def _one(self, membership: Membership) -> MemberView:
        return self._view(membership, self._d.repos.users.find_one({"id": membership.user_id}))

    def _view(self, membership: Membership, user: User | None) -> MemberView:
        return MemberView(
            user_id=membership.user_id,
            email=user.email if user else "",
            name=user.name if user else "",
            role=membership.role,
            joined_at=membership.created_at,
        )

    def list(self, app: App, page: int, limit: int) -> tuple[list[MemberView], int]:
        """Members by joined_at ascending (their users read in one ``$in`` query)."""
        found = self._d.repos.memberships.list(
            {"app_id": app.id}, sort=(("created_at", 1),), page=page, limit=limit
        )
        ids = sorted({m.user_id for m in found.items})
        users = {u.id: u for u in self._d.repos.users.all({"id": {"$in": ids}})} if ids else {}
        return [self._view(m, users.get(m.user_id)) for m in found.items], found.total

    def _target(self, app: App, user_id: str) -> Membership:
        found = self._d.repos.memberships.find_one({"app_id": app.id, "user_id": user_id})
        if found is None:
            raise NotFound("member", user_id)
        return found

    def _admin_ids(self, app: App) -> set[str]:
        admins = self._d.repos.memberships.all({"app_id": app.id, "role": str(Role.APP_ADMIN)})
        return {m.user_id for m in admins}

    def set_commit_mode(
        self, app: App, membership: Membership, mode: CommitMode | None, actor: Actor
    ) -> CommitModeView:
        before = membership.commit_mode
        if before != mode:
            self._d.repos.memberships.set_fields(
                membership.id,
                membership.version,
                {"commit_mode": None if mode is None else str(mode)},
            )
            self._d.audit.record(
                actor,
                "membership.commit_mode_changed",
                app_id=app.id,
                entity_id=membership.id,
                before={"commit_mode": before},
                after={"commit_mode": mode},
            )
        return CommitModeView(
            user_id=membership.user_id,
            app_id=app.id,
            commit_mode=mode,
            effective_commit_mode=mode or app.settings.commit_mode_default,
        )

    def change_role(self, app: App, actor: Actor, user_id: str, role: Role) -> MemberView:
        target = self._target(app, user_id)
        check_not_own_role(actor.user_id or "", user_id)
        if target.role == role:
            return self._one(target)
        ensure_an_admin_remains(self._admin_ids(app), user_id, role)
        before = target.role
        target.role = role
        saved = self._d.repos.memberships.save(target)
        self._d.audit.record(
            actor,
            "membership.role_changed",
            app_id=app.id,
            entity_id=target.id,
            before={"user_id": user_id, "role": before},
            after={"user_id": user_id, "role": role},
        )
        return self._one(saved)

    def remove(self, app: App, actor: Actor, user_id: str) -> None:
        target = self._target(app, user_id)
        ensure_an_admin_remains(self._admin_ids(app), user_id, None)
        self._d.repos.memberships.delete(target.id)
        self._d.audit.record(
            actor,
            "membership.removed",
            app_id=app.id,
            entity_id=target.id,
            before={"user_id": user_id, "role": target.role},
        )
