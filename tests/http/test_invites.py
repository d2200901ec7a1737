"""Members, invites, accept-invite and the mail outbox (API.md §4.2, §6; DOMAIN.md §18.2)."""

from __future__ import annotations

import email
import re
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest

from conman_domain.errors import MailDeliveryFailed
from conman_domain.model import OutboxState, Role
from conman_domain.ports.mail import MailMessage
from conman_domain.usecases.outbox import OutboxDrain
from tests.http.identity_harness import PASSWORD, Env, identity_env

LINK_RE = re.compile(r"https://conman\.example\.com/(accept-invite|reset-password)\?token=(\S+)")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    with identity_env(tmp_path) as e:
        yield e


def drain_and_read_token(env: Env, tmp_path: Path) -> str:
    """Drain the outbox through the file mailer and return the newest link's token."""
    report = env.container.outbox_drain()()
    assert report.sent >= 1
    files = sorted((tmp_path / "conman-data" / "mail").glob("*.eml"))
    message: Message = email.message_from_bytes(files[-1].read_bytes())
    body = message.get_payload(decode=True)
    assert isinstance(body, bytes)
    match = LINK_RE.search(body.decode())
    assert match is not None
    return match.group(2)


def invite(env: Env, admin_headers: dict[str, str], app_id: str, email_: str, role: str) -> dict:  # type: ignore[type-arg]
    r = env.client.post(
        f"/api/apps/{app_id}/invites", headers=admin_headers, json={"email": email_, "role": role}
    )
    assert r.status_code == 201, r.text
    data: dict = r.json()["data"]  # type: ignore[type-arg]
    return data


def test_invited_user_accepts_logs_in_and_sees_only_that_app(env: Env, tmp_path: Path) -> None:
    ann = env.user("ann@example.com", "Ann")
    shop = env.app(ann, "shop")
    env.app(ann, "secret")
    admin = env.headers(ann)
    created = invite(env, admin, shop, "Bob@Example.com", "reviewer")
    assert created["email"] == "bob@example.com" and "token" not in created
    outbox = env.outbox()
    assert len(outbox) == 1 and outbox[0].subject == "You're invited to shop"
    token = drain_and_read_token(env, tmp_path)
    assert env.outbox()[0].state == OutboxState.SENT
    r = env.client.post(
        "/api/auth/accept-invite", json={"token": token, "password": PASSWORD, "name": "Bob"}
    )
    assert r.status_code == 200, r.text
    assert r.headers["cache-control"] == "no-store"
    login = env.client.post(
        "/api/auth/login", json={"email": "bob@example.com", "password": PASSWORD}
    )
    bob = {"Authorization": f"Bearer {login.json()['data']['token']}"}
    apps = env.client.get("/api/apps", headers=bob).json()["data"]
    assert [(a["name"], a["my_role"]) for a in apps] == [("shop", "reviewer")]
    assert env.client.get(f"/api/apps/{shop}/members", headers=bob).status_code == 200
    assert env.client.get(f"/api/apps/{shop}/invites", headers=bob).status_code == 403
    assert (
        env.client.patch(
            f"/api/apps/{shop}/settings", headers=bob, json={"required_approvals": 2}
        ).status_code
        == 403
    )
    again = env.client.post(
        "/api/auth/accept-invite", json={"token": token, "password": PASSWORD, "name": "Bob"}
    )
    assert again.status_code == 400 and again.json()["error"]["code"] == "invite_invalid"
    actions = {e.action for e in env.repos.audit.list({"app_id": shop}, limit=100).items}
    assert {"invite.created", "invite.accepted", "membership.created"} <= actions


def test_accept_invite_errors(env: Env, tmp_path: Path) -> None:
    ann = env.user("ann@example.com")
    carl = env.user("carl@example.com")
    shop = env.app(ann)
    admin = env.headers(ann)
    invite(env, admin, shop, "new@example.com", "user")
    token = drain_and_read_token(env, tmp_path)
    url = "/api/auth/accept-invite"
    assert env.client.post(url, json={"token": token, "password": PASSWORD}).status_code == 400
    short = env.client.post(url, json={"token": token, "password": "short", "name": "N"})
    assert short.status_code == 400
    unknown = env.client.post(url, json={"token": "nope", "password": PASSWORD, "name": "N"})
    assert unknown.json()["error"]["code"] == "invite_invalid"
    invite(env, admin, shop, "carl@example.com", "user")
    carl_token = drain_and_read_token(env, tmp_path)
    wrong = env.client.post(url, json={"token": carl_token, "password": "wrong password!!"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_credentials"
    ok = env.client.post(url, json={"token": carl_token, "password": PASSWORD, "name": "Ignored"})
    assert ok.status_code == 200
    assert ok.json()["data"]["user"] == {"id": carl.id, "email": carl.email, "name": "Someone"}
    env.clock.advance(days=8)
    expired = env.client.post(url, json={"token": token, "password": PASSWORD, "name": "N"})
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "invite_expired"


def test_duplicate_invites_and_members_conflict_and_resend_rotates_the_token(
    env: Env, tmp_path: Path
) -> None:
    ann = env.user("ann@example.com")
    shop = env.app(ann)
    admin = env.headers(ann)
    created = invite(env, admin, shop, "bob@example.com", "user")
    first_token = drain_and_read_token(env, tmp_path)
    path = f"/api/apps/{shop}/invites"
    dup = env.client.post(path, headers=admin, json={"email": "bob@example.com", "role": "user"})
    assert dup.status_code == 409
    member = env.client.post(path, headers=admin, json={"email": "ann@example.com", "role": "user"})
    assert member.status_code == 409
    bad_role = env.client.post(path, headers=admin, json={"email": "x@example.com", "role": "boss"})
    assert bad_role.status_code == 400
    env.clock.advance(hours=1)
    resent = env.client.post(f"{path}/{created['id']}/resend", headers=admin)
    assert resent.status_code == 200
    assert resent.json()["data"]["expires_at"] > created["expires_at"]
    new_token = drain_and_read_token(env, tmp_path)
    assert new_token != first_token
    url = "/api/auth/accept-invite"
    old = env.client.post(url, json={"token": first_token, "password": PASSWORD, "name": "B"})
    assert old.status_code == 400
    listed = env.client.get(path, headers=admin).json()
    assert listed["pagination"]["total"] == 1
    assert env.client.delete(f"{path}/{created['id']}", headers=admin).status_code == 200
    assert env.client.delete(f"{path}/{created['id']}", headers=admin).status_code == 404
    assert env.client.post(f"{path}/{'f' * 24}/resend", headers=admin).status_code == 404
    assert env.client.delete(f"{path}/not-an-id", headers=admin).status_code == 404


def test_accepted_invites_can_be_neither_resent_nor_revoked(env: Env, tmp_path: Path) -> None:
    ann = env.user("ann@example.com")
    shop = env.app(ann)
    admin = env.headers(ann)
    created = invite(env, admin, shop, "bob@example.com", "user")
    token = drain_and_read_token(env, tmp_path)
    env.client.post(
        "/api/auth/accept-invite", json={"token": token, "password": PASSWORD, "name": "B"}
    )
    path = f"/api/apps/{shop}/invites/{created['id']}"
    assert (
        env.client.post(f"{path}/resend", headers=admin).json()["error"]["code"] == "invite_invalid"
    )
    assert env.client.delete(path, headers=admin).json()["error"]["code"] == "invite_invalid"


def test_member_roles_commit_mode_and_the_last_admin(env: Env) -> None:
    ann, bob = env.user("ann@example.com"), env.user("bob@example.com")
    shop = env.app(ann)
    env.add_member(shop, bob, Role.USER)
    admin, bobh = env.headers(ann), env.headers(bob)
    base = f"/api/apps/{shop}/members"
    listed = env.client.get(base, headers=bobh).json()["data"]
    assert [m["email"] for m in listed] == ["ann@example.com", "bob@example.com"]
    mine = env.client.patch(f"{base}/me", headers=bobh, json={"commit_mode": "manual_checkpoint"})
    assert mine.json()["data"]["effective_commit_mode"] == "manual_checkpoint"
    reset = env.client.patch(f"{base}/me", headers=bobh, json={"commit_mode": None})
    assert reset.json()["data"]["effective_commit_mode"] == "submit_commit"
    sneaky = env.client.patch(
        f"{base}/me", headers=bobh, json={"commit_mode": None, "role": "app_admin"}
    )
    assert sneaky.status_code == 403
    assert (
        env.client.patch(f"{base}/{ann.id}", headers=admin, json={"role": "user"}).status_code
        == 403
    )
    assert (
        env.client.patch(f"{base}/{bob.id}", headers=bobh, json={"role": "app_admin"}).status_code
        == 403
    )
    promoted = env.client.patch(f"{base}/{bob.id}", headers=admin, json={"role": "app_admin"})
    assert promoted.status_code == 200 and promoted.json()["data"]["role"] == "app_admin"
    # Bob's new role counts on his very next request, with the same token.
    assert env.client.get(f"/api/apps/{shop}/invites", headers=bobh).status_code == 200
    assert (
        env.client.patch(f"{base}/{ann.id}", headers=bobh, json={"role": "user"}).status_code == 200
    )
    assert (
        env.client.patch(f"{base}/{bob.id}", headers=admin, json={"role": "user"}).status_code
        == 403
    )
    last = env.client.delete(f"{base}/{bob.id}", headers=bobh)
    assert last.status_code == 409
    assert env.client.delete(f"{base}/{'a' * 24}", headers=bobh).status_code == 404
    assert env.client.delete(f"{base}/{ann.id}", headers=bobh).status_code == 200
    assert env.client.get(base, headers=admin).status_code == 403


def test_forgot_and_reset_password(env: Env, tmp_path: Path) -> None:
    ann = env.user("ann@example.com")
    old_headers = env.headers(ann)
    known = env.client.post("/api/auth/forgot-password", json={"email": "ann@example.com"})
    unknown = env.client.post("/api/auth/forgot-password", json={"email": "zed@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.json() == unknown.json()
    assert env.client.post("/api/auth/forgot-password", json={"email": "nope"}).status_code == 400
    assert len(env.outbox()) == 1
    token = drain_and_read_token(env, tmp_path)
    assert token not in known.text
    url = "/api/auth/reset-password"
    short = env.client.post(url, json={"token": token, "new_password": "short"})
    assert short.status_code == 400 and short.json()["error"]["code"] == "validation_error"
    env.clock.advance(seconds=2)
    ok = env.client.post(url, json={"token": token, "new_password": "a brand new password"})
    assert ok.status_code == 200
    assert env.client.get("/api/me", headers=old_headers).status_code == 401
    reused = env.client.post(url, json={"token": token, "new_password": "another new password"})
    assert reused.json()["error"]["code"] == "token_invalid"
    login = {"email": "ann@example.com", "password": "a brand new password"}
    assert env.client.post("/api/auth/login", json=login).status_code == 200
    env.client.post("/api/auth/forgot-password", json={"email": "ann@example.com"})
    second = drain_and_read_token(env, tmp_path)
    env.clock.advance(hours=2)
    late = env.client.post(url, json={"token": second, "new_password": "late new password"})
    assert late.status_code == 410 and late.json()["error"]["code"] == "token_expired"


def test_the_emailed_link_pages_are_self_contained_html(env: Env) -> None:
    for path, endpoint in (
        ("/accept-invite?token=abc", "/api/auth/accept-invite"),
        ("/reset-password?token=abc", "/api/auth/reset-password"),
    ):
        r = env.client.get(path)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-store"
        assert r.headers["referrer-policy"] == "no-referrer"
        assert endpoint in r.text and "<form" in r.text
        assert "http://" not in r.text and "https://" not in r.text


class FlakyMailer:
    def __init__(self) -> None:
        self.sent: list[MailMessage] = []
        self.fail = True

    def send(self, message: MailMessage) -> None:
        if self.fail:
            raise MailDeliveryFailed("smtp down")
        self.sent.append(message)


def test_outbox_retries_with_backoff_and_fails_after_four_attempts(env: Env) -> None:
    ann = env.user("ann@example.com")
    env.client.post("/api/auth/forgot-password", json={"email": ann.email})
    mailer = FlakyMailer()
    drain = OutboxDrain(env.repos.notification_outbox, mailer, env.clock)
    assert drain().retried == 1
    assert drain().retried == 0  # not due before the 10 s backoff
    env.clock.advance(seconds=11)
    assert drain().retried == 1
    env.clock.advance(seconds=61)
    assert drain().retried == 1
    env.clock.advance(seconds=301)
    assert drain().failed == 1
    doc = env.outbox()[0]
    assert doc.state == OutboxState.FAILED and doc.attempts == 4 and doc.last_error
    env.client.post("/api/auth/forgot-password", json={"email": ann.email})
    mailer.fail = False
    assert drain().sent == 1 and mailer.sent[0].subject == "Reset your Conman password"


def test_member_routes_validate_bodies_and_unknown_members(env: Env) -> None:
    ann = env.user("ann@example.com")
    shop = env.app(ann)
    admin = env.headers(ann)
    base = f"/api/apps/{shop}/members"
    assert (
        env.client.patch(f"{base}/{'a' * 24}", headers=admin, json={"role": "user"}).status_code
        == 404
    )
    assert (
        env.client.patch(f"{base}/{ann.id}", headers=admin, json={"role": "boss"}).status_code
        == 400
    )
    assert (
        env.client.patch(f"{base}/me", headers=admin, json={"commit_mode": "often"}).status_code
        == 400
    )
    assert env.client.patch(f"{base}/me", headers=admin, json={}).status_code == 400
    for i in range(3):
        invite(env, admin, shop, f"p{i}@example.com", "user")
    page = env.client.get(
        f"/api/apps/{shop}/invites", headers=admin, params={"limit": 2, "page": 2}
    )
    body = page.json()
    assert body["pagination"] == {"page": 2, "limit": 2, "total": 3}
    assert [i["email"] for i in body["data"]] == ["p0@example.com"]


def test_a_delivered_or_abandoned_token_link_is_removed_from_the_outbox(
    env: Env, tmp_path: Path
) -> None:
    ann = env.user("ann@example.com")
    shop = env.app(ann, "shop")
    invite(env, env.headers(ann), shop, "bob@example.com", "user")
    token = drain_and_read_token(env, tmp_path)
    [sent] = env.outbox()
    assert sent.state == OutboxState.SENT
    assert token not in str(sent.template_data) and sent.template_data["link_url"] == ""

    env.client.post("/api/auth/forgot-password", json={"email": ann.email})
    mailer = FlakyMailer()
    mailer.fail = True
    drain = OutboxDrain(env.repos.notification_outbox, mailer, env.clock)
    for _ in range(4):
        drain()
        env.clock.advance(seconds=400)
    failed = [d for d in env.outbox() if d.state == OutboxState.FAILED]
    assert len(failed) == 1 and failed[0].template_data["link_url"] == ""
