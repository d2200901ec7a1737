"""Invite lifecycle (DOMAIN.md §3 table; API.md §4.1, §6).

An invite is stored with ``pending``/``accepted_at``; deletion removes the document, so
"deleted" is the state of an invite that is gone. Facts: ``no_pending_invite`` and
``not_member`` (create), ``not_expired`` (accept).
"""

from __future__ import annotations

import enum

from conman_domain.errors import Conflict, InviteExpired, InviteInvalid, NotFound
from conman_domain.model.apps import Invite
from conman_domain.states.machine import ActorRule, Machine, fact_guard, row

__all__ = ["INVITE_MACHINE", "InviteState", "invite_state"]


class InviteState(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DELETED = "deleted"


IS = InviteState


def invite_state(invite: Invite | None) -> InviteState:
    """The lifecycle state of a stored invite (``None`` = deleted or never existed)."""
    if invite is None:
        return IS.DELETED
    return IS.ACCEPTED if invite.accepted_at is not None or not invite.pending else IS.PENDING


def _accepted() -> InviteInvalid:
    return InviteInvalid("invite has already been accepted")


def _unknown() -> InviteInvalid:
    return InviteInvalid("invite token is unknown")


def _gone() -> NotFound:
    return NotFound("invite")


INVITE_MACHINE = Machine(
    name="invite",
    states=tuple(IS),
    terminal=frozenset({IS.ACCEPTED, IS.DELETED}),
    transitions=(
        row(
            [None],
            IS.PENDING,
            "create",
            ActorRule.APP_ADMIN,
            fact_guard("no_pending_invite", "a pending invite exists for this email", Conflict),
            fact_guard("not_member", "this email belongs to a member", Conflict),
        ),
        row([IS.PENDING], IS.PENDING, "resend", ActorRule.APP_ADMIN),
        row(
            [IS.PENDING],
            IS.ACCEPTED,
            "accept",
            ActorRule.PUBLIC,
            fact_guard("not_expired", "invite has expired", InviteExpired),
        ),
        row([IS.PENDING], IS.DELETED, "revoke", ActorRule.APP_ADMIN),
    ),
    rejections={
        (IS.ACCEPTED, "resend"): _accepted,
        (IS.ACCEPTED, "revoke"): _accepted,
        (IS.ACCEPTED, "accept"): _accepted,
        (IS.DELETED, "accept"): _unknown,
        (IS.DELETED, "resend"): _gone,
        (IS.DELETED, "revoke"): _gone,
    },
)
