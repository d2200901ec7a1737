"""Invites: create, resend, revoke, list, and accept-invite (API.md §4.1, §4.2, §6)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import msgspec

from conman_domain.errors import (
    Conflict,
    FieldError,
    InvalidCredentials,
    InviteExpired,
    InviteInvalid,
    NotFound,
    Validation,
)
from conman_domain.model import App, Invite, Membership, Role, User
from conman_domain.model.notifications import NotificationEvent
from conman_domain.notifications import TemplateData
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.auth import AuthService, SessionToken
from conman_domain.usecases.identity import (
    IdentityDeps,
    check_password_policy,
    hash_link_token,
    normalize_email,
)
from conman_domain.usecases.outbox import queue_mail

__all__ = ["InviteView", "InvitesService", "invite_view"]


class InviteView(msgspec.Struct, kw_only=True):
    """API shape Invite; the token is never part of it."""

    id: str
    app_id: str
    email: str
    role: Role
    invited_by: str
    expires_at: datetime
    accepted_at: datetime | None
    created_at: datetime


def invite_view(invite: Invite) -> InviteView:
    return InviteView(
        id=invite.id,
        app_id=invite.app_id,
        email=invite.email,
        role=invite.role,
        invited_by=invite.invited_by,
        expires_at=invite.expires_at,
        accepted_at=invite.accepted_at,
        created_at=invite.created_at,
    )


class InvitesService:
    def __init__(self, deps: IdentityDeps, auth: AuthService) -> None:
        self._d = deps
        self._auth = auth

    def _expiry(self, now: datetime) -> datetime:
        return now + timedelta(days=self._d.config.invite_expiry_days)

    def _mail(self, app: App, invite: Invite, token: str, inviter: User | None) -> None:
        link = f"{self._d.config.public_url.rstrip('/')}/accept-invite?token={token}"
        data = TemplateData(
            event_type=NotificationEvent.INVITE,
            app_name=app.name,
            entity_id=invite.id,
            actor_name=inviter.name if inviter else "",
            link_url=link,
            extras={"role": str(invite.role)},
        )
        queue_mail(
            self._d.repos.notification_outbox,
            self._d.ids,
            self._d.clock,
            data=data,
            to_email=invite.email,
            recipient_user_id=None,
            app_id=app.id,
        )

    def list_pending(self, app: App, page: int, limit: int) -> tuple[list[InviteView], int]:
        found = self._d.repos.invites.list(
            {"app_id": app.id, "pending": True},
            sort=(("created_at", -1),),
            page=page,
            limit=limit,
        )
        return [invite_view(i) for i in found.items], found.total

    def create(self, app: App, inviter: User, actor: Actor, email: str, role: Role) -> InviteView:
        email = normalize_email(email)
        existing_user = self._d.repos.users.find_one({"email": email})
        if existing_user is not None and (
            self._d.repos.memberships.find_one({"app_id": app.id, "user_id": existing_user.id})
            is not None
        ):
            raise Conflict("this email belongs to a member")
        if self._d.repos.invites.find_one({"app_id": app.id, "email": email, "pending": True}):
            raise Conflict("a pending invite exists for this email")
        now = self._d.clock.now()
        token = self._d.ids.token(32)
        invite = self._d.repos.invites.insert(
            Invite(
                id=self._d.ids.new_id(),
                created_at=now,
                updated_at=now,
                app_id=app.id,
                email=email,
                role=role,
                invited_by=inviter.id,
                expires_at=self._expiry(now),
                token_hash=hash_link_token(token),
            )
        )
        self._mail(app, invite, token, inviter)
        view = invite_view(invite)
        self._d.audit.record(
            actor, "invite.created", app_id=app.id, entity_id=invite.id, after=view
        )
        return view

    def _load(self, app: App, invite_id: str) -> Invite:
        invite = self._d.repos.invites.find_one({"id": invite_id, "app_id": app.id})
        if invite is None:
            raise NotFound("invite", invite_id)
        if not invite.pending or invite.accepted_at is not None:
            raise InviteInvalid("invite has already been accepted")
        return invite

    def resend(self, app: App, inviter: User, actor: Actor, invite_id: str) -> InviteView:
        invite = self._load(app, invite_id)
        now = self._d.clock.now()
        token = self._d.ids.token(32)
        invite.token_hash = hash_link_token(token)
        invite.expires_at = self._expiry(now)
        saved = self._d.repos.invites.save(invite)
        self._mail(app, saved, token, inviter)
        view = invite_view(saved)
        self._d.audit.record(actor, "invite.resent", app_id=app.id, entity_id=invite.id, after=view)
        return view

    def revoke(self, app: App, actor: Actor, invite_id: str) -> None:
        invite = self._load(app, invite_id)
        self._d.repos.invites.delete(invite.id)
        self._d.audit.record(
            actor, "invite.revoked", app_id=app.id, entity_id=invite.id, before=invite_view(invite)
        )

    def accept(self, token: str, password: str, name: str | None, actor: Actor) -> SessionToken:
        """Create or reuse the account, create the membership, mark the invite accepted."""
        repos = self._d.repos
        invite = repos.invites.find_one({"token_hash": hash_link_token(token)})
        if invite is None or not invite.pending or invite.accepted_at is not None:
            raise InviteInvalid("invite token is unknown or already accepted")
        now = self._d.clock.now()
        if now >= invite.expires_at:
            raise InviteExpired("invite has expired")
        user = repos.users.find_one({"email": invite.email})
        if user is None:
            if name is None:
                raise Validation(
                    "name is required for a new account", [FieldError("name", "required")]
                )
            check_password_policy(password)
            user = self._auth.create_user(invite.email, name, password, actor)
        elif not self._d.hasher.verify(user.password_hash, password):
            raise InvalidCredentials("invalid email or password")
        if repos.memberships.find_one({"app_id": invite.app_id, "user_id": user.id}) is not None:
            raise Conflict("already a member of this app")
        membership = repos.memberships.insert(
            Membership(
                id=self._d.ids.new_id(),
                created_at=now,
                updated_at=now,
                app_id=invite.app_id,
                user_id=user.id,
                role=invite.role,
            )
        )
        with contextlib.suppress(Conflict):
            repos.invites.set_fields(
                invite.id, invite.version, {"pending": False, "accepted_at": now}
            )
        as_user = Actor(user_id=user.id, context=actor.context)
        self._d.audit.record(
            as_user,
            "invite.accepted",
            app_id=invite.app_id,
            entity_id=invite.id,
            after={"email": invite.email, "role": invite.role},
        )
        self._d.audit.record(
            as_user,
            "membership.created",
            app_id=invite.app_id,
            entity_id=membership.id,
            after={"user_id": user.id, "role": invite.role},
        )
        return self._auth.issue(user)
