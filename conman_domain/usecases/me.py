"""The caller's own account: profile with memberships, notification preferences
(API.md §5)."""

from __future__ import annotations

from datetime import datetime

import msgspec

from conman_domain.model import CommitMode, NotificationPreference, Role, User
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.identity import IdentityDeps

__all__ = ["MeService", "MeView", "MembershipSummary", "PreferenceView"]


class MembershipSummary(msgspec.Struct, kw_only=True):
    app_id: str
    app_name: str
    role: Role
    commit_mode: CommitMode | None


class MeView(msgspec.Struct, kw_only=True):
    id: str
    email: str
    name: str
    created_at: datetime
    memberships: list[MembershipSummary]


class PreferenceView(msgspec.Struct, kw_only=True):
    user_id: str
    email_enabled: bool
    created_at: datetime
    updated_at: datetime


def _pref_view(pref: NotificationPreference) -> PreferenceView:
    return PreferenceView(
        user_id=pref.user_id,
        email_enabled=pref.email_enabled,
        created_at=pref.created_at,
        updated_at=pref.updated_at,
    )


class MeService:
    def __init__(self, deps: IdentityDeps) -> None:
        self._d = deps

    def me(self, user: User) -> MeView:
        memberships = self._d.repos.memberships.all({"user_id": user.id})
        apps = {
            a.id: a
            for a in self._d.repos.apps.all({"id": {"$in": [m.app_id for m in memberships]}})
        }
        summaries = [
            MembershipSummary(
                app_id=m.app_id,
                app_name=apps[m.app_id].name,
                role=m.role,
                commit_mode=m.commit_mode,
            )
            for m in memberships
            if m.app_id in apps
        ]
        summaries.sort(key=lambda s: s.app_name)
        return MeView(
            id=user.id,
            email=user.email,
            name=user.name,
            created_at=user.created_at,
            memberships=summaries,
        )

    def preferences(self, user: User) -> PreferenceView:
        """The stored preference, or the default (enabled, timestamps now) without storing."""
        pref = self._d.repos.notification_preferences.find_one({"user_id": user.id})
        if pref is None:
            now = self._d.clock.now()
            return PreferenceView(
                user_id=user.id, email_enabled=True, created_at=now, updated_at=now
            )
        return _pref_view(pref)

    def set_preferences(self, user: User, email_enabled: bool, actor: Actor) -> PreferenceView:
        repos = self._d.repos.notification_preferences
        pref = repos.find_one({"user_id": user.id})
        before = None if pref is None else {"email_enabled": pref.email_enabled}
        if pref is None:
            now = self._d.clock.now()
            pref = repos.insert(
                NotificationPreference(
                    id=self._d.ids.new_id(),
                    created_at=now,
                    updated_at=now,
                    user_id=user.id,
                    email_enabled=email_enabled,
                )
            )
        else:
            pref.email_enabled = email_enabled
            pref = repos.save(pref)
        self._d.audit.record(
            actor,
            "notification_preference.updated",
            app_id=None,
            entity_id=pref.id,
            before=before,
            after={"email_enabled": email_enabled},
        )
        return _pref_view(pref)
