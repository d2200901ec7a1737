"""A generic, table-driven state machine (STYLE.md: tables plus guard functions).

A machine is a list of ``Transition`` rows. ``apply`` checks, in the order of
API.md §1.4: the actor rule of the action (403 ``Forbidden``), then that the
(state, action) pair is in the table (409 ``InvalidTransition``), then the guards of
the matching row (409 ``Conflict`` by default; a guard may raise a more specific
``ConmanError``). Creation rows use ``None`` as their from-state.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

from conman_domain.errors import Conflict, ConmanError, Forbidden, InvalidTransition
from conman_domain.model.apps import Role

__all__ = [
    "Actor",
    "ActorRule",
    "Guard",
    "Machine",
    "Transition",
    "TransitionContext",
    "apply",
    "check_actor",
    "fact_guard",
    "row",
]


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    """Who acts: a user with their role in the app (``None`` = not a member), or the system."""

    user_id: str | None = None
    role: Role | None = None
    system: bool = False

    @classmethod
    def system_actor(cls) -> Actor:
        return cls(system=True)


class TransitionContext(msgspec.Struct, frozen=True, kw_only=True):
    """Input of a transition.

    ``owner_user_id`` is the "own" party of DOMAIN.md §2.2 (changeset author, workspace
    owner, temp env creator, job's triggering user, invitee). ``facts`` are the booleans and
    numbers that guards and branch selectors read (the caller loads them from the store).
    """

    actor: Actor
    owner_user_id: str | None = None
    facts: Mapping[str, Any] = msgspec.field(default_factory=dict)

    def fact(self, name: str) -> Any:
        """A fact's value; a missing fact is a programming error."""
        if name not in self.facts:
            raise KeyError(f"transition fact {name!r} not provided")
        return self.facts[name]


class ActorRule(enum.StrEnum):
    """Who may trigger a transition (the "Who" column of the spec tables)."""

    SYSTEM = "system"
    PUBLIC = "public"
    MEMBER = "member"
    OWNER = "owner"
    OWNER_OR_CM = "owner_or_cm"
    REVIEWER_NOT_OWNER = "reviewer_not_owner"
    CM = "cm"
    APP_ADMIN = "app_admin"


Guard = Callable[[TransitionContext], None]
Selector = Callable[[TransitionContext], bool]


class Transition(msgspec.Struct, frozen=True, kw_only=True):
    """One row: from any of ``from_states`` via ``action`` to ``to_state``.

    ``when`` picks between rows that share (state, action) (e.g. approve → in_review or
    approved); the first row whose ``when`` holds (or has none) is taken.
    """

    from_states: frozenset[str | None]
    to_state: str
    action: str
    actor_rule: ActorRule
    guards: tuple[Guard, ...] = ()
    when: Selector | None = None


class Machine(msgspec.Struct, frozen=True, kw_only=True):
    """A named table of transitions over ``states`` with ``terminal`` states.

    ``rejections`` maps (state, action) pairs that the spec answers with a specific error
    (e.g. undo-expire of an expired temp env → 410) instead of ``InvalidTransition``.
    """

    name: str
    states: tuple[str, ...]
    terminal: frozenset[str]
    transitions: tuple[Transition, ...]
    rejections: Mapping[tuple[str, str], Callable[[], ConmanError]] = msgspec.field(
        default_factory=dict
    )

    @property
    def actions(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for t in self.transitions:
            seen.setdefault(t.action, None)
        return tuple(seen)

    def actor_rule(self, action: str) -> ActorRule:
        rules = {t.actor_rule for t in self.transitions if t.action == action}
        if len(rules) != 1:
            raise ValueError(f"{self.name}: action {action!r} has actor rules {rules}")
        return next(iter(rules))

    def nominal_target(self, action: str) -> str:
        """The to-state reported in ``InvalidTransition`` for an action."""
        for t in self.transitions:
            if t.action == action:
                return t.to_state
        raise ValueError(f"{self.name}: unknown action {action!r}")

    def candidates(self, state: str | None, action: str) -> list[Transition]:
        return [t for t in self.transitions if t.action == action and state in t.from_states]

    def allowed_actions(self, state: str | None) -> list[str]:
        return [a for a in self.actions if self.candidates(state, a)]


def check_actor(rule: ActorRule, ctx: TransitionContext) -> None:
    """Raise ``Forbidden`` unless the actor satisfies ``rule``."""
    actor = ctx.actor
    if rule is ActorRule.SYSTEM:
        if not actor.system:
            raise Forbidden("only the system can perform this action")
        return
    if actor.system:
        raise Forbidden("this action is not performed by the system")
    if rule is ActorRule.PUBLIC:
        return
    role = actor.role
    if role is None:
        raise Forbidden("not a member of this app")
    is_owner = actor.user_id is not None and actor.user_id == ctx.owner_user_id
    if rule is ActorRule.MEMBER:
        return
    if rule is ActorRule.OWNER:
        if not is_owner:
            raise Forbidden("only the author or owner can perform this action")
    elif rule is ActorRule.OWNER_OR_CM:
        if not (is_owner or role.at_least(Role.CONFIG_MANAGER)):
            raise Forbidden("requires the owner or config_manager")
    elif rule is ActorRule.REVIEWER_NOT_OWNER:
        if is_owner:
            raise Forbidden("you cannot review your own changeset")
        if not role.at_least(Role.REVIEWER):
            raise Forbidden("requires reviewer")
    elif rule is ActorRule.CM:
        if not role.at_least(Role.CONFIG_MANAGER):
            raise Forbidden("requires config_manager")
    elif rule is ActorRule.APP_ADMIN and not role.at_least(Role.APP_ADMIN):
        raise Forbidden("requires app_admin")


def apply(machine: Machine, current: str | None, action: str, ctx: TransitionContext) -> str:
    """Return the new state for ``action`` from ``current`` or raise (see module docstring)."""
    check_actor(machine.actor_rule(action), ctx)
    rows = machine.candidates(current, action)
    if not rows:
        special = machine.rejections.get((str(current), action))
        if special is not None:
            raise special()
        raise InvalidTransition(str(current or "none"), machine.nominal_target(action))
    row = next((r for r in rows if r.when is None or r.when(ctx)), None)
    if row is None:
        raise InvalidTransition(str(current), rows[0].to_state)
    for guard in row.guards:
        guard(ctx)
    return row.to_state


def fact_guard(fact: str, message: str, error: Callable[[str], ConmanError] = Conflict) -> Guard:
    """A guard that holds when ``ctx.facts[fact]`` is truthy, else raises ``error(message)``."""

    def guard(ctx: TransitionContext) -> None:
        if not ctx.fact(fact):
            raise error(message)

    guard.__name__ = f"require_{fact}"
    return guard


def row(
    from_states: Iterable[str | None],
    to_state: str,
    action: str,
    rule: ActorRule,
    *guards: Guard,
    when: Selector | None = None,
) -> Transition:
    """Shorthand for building a ``Transition`` in a table."""
    return Transition(
        from_states=frozenset(from_states),
        to_state=to_state,
        action=action,
        actor_rule=rule,
        guards=guards,
        when=when,
    )
