"""Notification rules of DOMAIN.md §18."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from conman_domain.errors import Validation
from conman_domain.model.apps import Role
from conman_domain.notifications import (
    ACCOUNT_EVENTS,
    EVENT_TEXTS,
    MemberRef,
    NotificationEvent,
    OutboxRetry,
    TemplateData,
    after_send_failure,
    audience_user_ids,
    filter_recipients,
    render_mail,
    render_template,
    subject_for,
)

E = NotificationEvent
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
MEMBERS = [
    MemberRef(user_id="u-user", role=Role.USER),
    MemberRef(user_id="u-rev", role=Role.REVIEWER),
    MemberRef(user_id="u-cm", role=Role.CONFIG_MANAGER),
    MemberRef(user_id="u-admin", role=Role.APP_ADMIN),
]


def test_every_event_of_the_spec_has_an_event_text() -> None:
    expected = {
        "changeset_submitted",
        "review_requested",
        "changeset_approved",
        "changes_requested",
        "changeset_rejected",
        "changeset_queued",
        "changeset_conflicted",
        "changeset_needs_revalidation",
        "release_created",
        "release_published",
        "deployment_started",
        "deployment_succeeded",
        "deployment_failed",
        "deployment_blocked_by_drift",
        "runtime_profile_changed",
        "temp_env_expiry_warning",
        "temp_env_grace_started",
        "temp_env_expired",
        "temp_env_deleted",
        "temp_env_provision_failed",
        "invite",
        "password_reset",
    }
    assert {str(e) for e in E} == expected
    assert set(EVENT_TEXTS) == set(E)
    assert all(text and text[0].isupper() for text in EVENT_TEXTS.values())


def test_event_subject_names_app_event_text_and_entity_title() -> None:
    subject = subject_for(
        E.CHANGESET_SUBMITTED, app_name="shop", entity_title="Raise limits", entity_id="c1"
    )
    assert subject == "[shop] Changeset submitted: Raise limits"


def test_event_subject_falls_back_to_the_entity_id_without_a_title() -> None:
    subject = subject_for(E.RELEASE_PUBLISHED, app_name="shop", entity_id="65f0" + "0" * 20)
    assert subject == f"[shop] Release published: 65f0{'0' * 20}"


def test_invite_and_reset_subjects_are_fixed_texts() -> None:
    assert subject_for(E.INVITE, app_name="shop") == "You're invited to shop"
    assert subject_for(E.PASSWORD_RESET, app_name="shop") == "Reset your Conman password"


def test_line_breaks_in_titles_cannot_inject_headers() -> None:
    subject = subject_for(
        E.CHANGESET_APPROVED, app_name="a\r\nBcc: x@evil", entity_title="t\nX-Evil: 1"
    )
    assert "\n" not in subject and "\r" not in subject
    assert subject == "[a Bcc: x@evil] Changeset approved: t X-Evil: 1"


def test_changeset_submitted_goes_to_reviewers_and_above() -> None:
    assert audience_user_ids(E.CHANGESET_SUBMITTED, MEMBERS) == ["u-rev", "u-cm", "u-admin"]


def test_changeset_queued_goes_to_author_and_managers_once_each() -> None:
    got = audience_user_ids(E.CHANGESET_QUEUED, MEMBERS, author_user_id="u-cm")
    assert got == ["u-cm", "u-admin"]
    got = audience_user_ids(E.CHANGESET_QUEUED, MEMBERS, author_user_id="u-user")
    assert got == ["u-user", "u-cm", "u-admin"]


def test_author_events_go_to_the_author_only() -> None:
    for event in (E.CHANGESET_APPROVED, E.CHANGES_REQUESTED, E.CHANGESET_CONFLICTED):
        assert audience_user_ids(event, MEMBERS, author_user_id="u-rev") == ["u-rev"]


def test_review_requested_goes_to_earlier_reviewers_who_are_still_members() -> None:
    got = audience_user_ids(
        E.REVIEW_REQUESTED, MEMBERS, earlier_reviewer_ids=["u-admin", "u-gone", "u-rev"]
    )
    assert got == ["u-rev", "u-admin"]


def test_published_and_succeeded_go_to_all_members() -> None:
    every = [m.user_id for m in MEMBERS]
    assert audience_user_ids(E.RELEASE_PUBLISHED, MEMBERS) == every
    assert audience_user_ids(E.DEPLOYMENT_SUCCEEDED, MEMBERS) == every


def test_manager_events_skip_users_and_reviewers() -> None:
    for event in (E.RELEASE_CREATED, E.DEPLOYMENT_FAILED, E.RUNTIME_PROFILE_CHANGED):
        assert audience_user_ids(event, MEMBERS) == ["u-cm", "u-admin"]


def test_temp_env_events_go_to_the_creator_if_still_a_member() -> None:
    assert audience_user_ids(E.TEMP_ENV_EXPIRED, MEMBERS, creator_user_id="u-user") == ["u-user"]
    assert audience_user_ids(E.TEMP_ENV_DELETED, MEMBERS, creator_user_id="u-left") == []


def test_account_mails_have_no_member_audience() -> None:
    with pytest.raises(ValueError):
        audience_user_ids(E.INVITE, MEMBERS)


def test_actor_is_never_notified_of_their_own_action() -> None:
    got = filter_recipients(
        E.RELEASE_PUBLISHED, ["u-rev", "u-cm"], actor_user_id="u-cm", email_enabled={}
    )
    assert got == ["u-rev"]


def test_disabled_email_preference_drops_the_recipient_and_missing_means_enabled() -> None:
    got = filter_recipients(
        E.DEPLOYMENT_SUCCEEDED,
        ["u-user", "u-rev", "u-cm"],
        actor_user_id=None,
        email_enabled={"u-rev": False, "u-cm": True},
    )
    assert got == ["u-user", "u-cm"]


@pytest.mark.parametrize("event", sorted(ACCOUNT_EVENTS))
def test_invite_and_reset_mails_reach_the_actor_even_with_mail_disabled(
    event: NotificationEvent,
) -> None:
    got = filter_recipients(event, ["u-1"], actor_user_id="u-1", email_enabled={"u-1": False})
    assert got == ["u-1"]


def test_filter_drops_repeated_candidates() -> None:
    got = filter_recipients(
        E.CHANGESET_QUEUED, ["a", "b", "a"], actor_user_id=None, email_enabled={}
    )
    assert got == ["a", "b"]


def test_outbox_backoff_is_10_60_300_seconds_then_failed_after_four_attempts() -> None:
    steps = [after_send_failure(n, NOW) for n in (1, 2, 3, 4)]
    assert steps[:3] == [
        OutboxRetry(failed=False, next_attempt_at=NOW + timedelta(seconds=10)),
        OutboxRetry(failed=False, next_attempt_at=NOW + timedelta(seconds=60)),
        OutboxRetry(failed=False, next_attempt_at=NOW + timedelta(seconds=300)),
    ]
    assert steps[3] == OutboxRetry(failed=True, next_attempt_at=None)


def test_outbox_failure_needs_at_least_one_attempt() -> None:
    with pytest.raises(ValueError):
        after_send_failure(0, NOW)


def test_template_fills_placeholders_and_drops_lines_that_render_empty() -> None:
    text = render_template(
        "Hello {actor_name}\nBy: {entity_title}\nsee {link_url}",
        {"actor_name": "Ann", "entity_title": "", "link_url": "http://x/1"},
    )
    assert text == "Hello Ann\nsee http://x/1"


def test_template_does_not_evaluate_format_expressions() -> None:
    text = render_template("{app_name.__class__} {app_name}", {"app_name": "shop"})
    assert text == "{app_name.__class__} shop"


def test_template_with_unknown_placeholder_is_a_validation_error() -> None:
    with pytest.raises(Validation):
        render_template("{password}", {"app_name": "x"})


def test_event_mail_renders_subject_and_body_from_template_data() -> None:
    mail = render_mail(
        TemplateData(
            event_type=E.DEPLOYMENT_FAILED,
            app_name="shop",
            entity_id="d1",
            entity_title="",
            actor_name="",
            link_url="http://localhost:3000/apps/a/deployments/d1",
        )
    )
    assert mail.subject == "[shop] Deployment failed: d1"
    assert mail.text.startswith("Deployment failed in shop: d1\n")
    assert "http://localhost:3000/apps/a/deployments/d1" in mail.text
    assert "By:" not in mail.text


def test_invite_mail_names_the_inviter_and_carries_the_link() -> None:
    mail = render_mail(
        TemplateData(
            event_type=E.INVITE,
            app_name="shop",
            actor_name="Ann",
            link_url="http://localhost:3000/accept-invite?token=abc",
        )
    )
    assert mail.subject == "You're invited to shop"
    assert mail.text.startswith("Ann invited you to shop on Conman.")
    assert "http://localhost:3000/accept-invite?token=abc" in mail.text


def test_reset_mail_carries_the_link() -> None:
    mail = render_mail(
        TemplateData(event_type=E.PASSWORD_RESET, link_url="http://h/reset-password?token=t")
    )
    assert mail.subject == "Reset your Conman password"
    assert "http://h/reset-password?token=t" in mail.text
