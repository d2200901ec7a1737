"""Apps: creation with repository, defaults and environments; listing; settings
(API.md §6; DOMAIN.md §4)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import msgspec

from conman_domain.errors import Conflict, FieldError, NotFound, Validation
from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef, Signature
from conman_domain.model import (
    App,
    AppSettings,
    ChangeKind,
    Environment,
    Membership,
    ProfileKind,
    ProfileRevision,
    ProfileSnapshot,
    Role,
    RuntimeProfile,
    User,
)
from conman_domain.ports.git import GitPort
from conman_domain.rules import env_branch_ref, environment_slug, validate_branch_name
from conman_domain.rules.settings import validate_settings
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.identity import IdentityDeps

__all__ = [
    "DEFAULT_ENVIRONMENTS",
    "AppView",
    "AppsService",
    "app_view",
    "new_profile",
    "repo_ref",
]

DEFAULT_ENVIRONMENTS = ("Development", "QA", "UAT", "Production")
_NAME_RE = re.compile(r"[A-Za-z0-9_-]{1,128}")
_SEGMENT_RE = re.compile(r"[A-Za-z0-9._-]+")
_INIT_FILE = ".conman-init"
_INIT_REF = "refs/conman/init"


class AppView(msgspec.Struct, kw_only=True):
    """API shape App (API.md §2)."""

    id: str
    name: str
    repo_path: str
    integration_branch: str
    settings: AppSettings
    defaults_profile_id: str | None
    my_role: Role | None
    created_by: str
    created_at: datetime
    updated_at: datetime


def app_view(app: App, role: Role | None) -> AppView:
    return AppView(
        id=app.id,
        name=app.name,
        repo_path=app.repo_path,
        integration_branch=app.integration_branch,
        settings=app.settings,
        defaults_profile_id=app.defaults_profile_id,
        my_role=role,
        created_by=app.created_by,
        created_at=app.created_at,
        updated_at=app.updated_at,
    )


def repo_ref(app: App) -> RepoRef:
    return RepoRef(relative_path=app.repo_path, gl_repository=f"app-{app.id}")


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field}: {message}", [FieldError(field, message)])


def validate_app_name(name: str) -> str:
    if not _NAME_RE.fullmatch(name):
        raise _bad("name", "must be 1..128 characters of [A-Za-z0-9_-]")
    return name


def validate_repo_path(path: str) -> str:
    segments = path.split("/")
    if (
        not 1 <= len(path) <= 255
        or path.startswith("/")
        or any(not _SEGMENT_RE.fullmatch(s) or s in {".", ".."} for s in segments)
    ):
        raise _bad("repo_path", "must be /-separated segments of [A-Za-z0-9._-]+ (1..255)")
    return path


def new_profile(
    deps: IdentityDeps,
    *,
    app_id: str,
    name: str,
    kind: ProfileKind,
    environment_id: str | None,
    created_by: str | None,
    now: datetime,
    profile_id: str | None = None,
    content: ProfileSnapshot | None = None,
    change_note: str | None = None,
) -> RuntimeProfile:
    """Insert a profile with its revision 1 (``created``): empty, or with ``content``
    (whose secrets are already encrypted for ``profile_id``)."""
    profile_id, revision_id = profile_id or deps.ids.new_id(), deps.ids.new_id()
    body = content or ProfileSnapshot(name=name)
    profile = RuntimeProfile(
        id=profile_id,
        created_at=now,
        updated_at=now,
        app_id=app_id,
        name=name,
        kind=kind,
        environment_id=environment_id,
        base_url=body.base_url,
        env_vars=dict(body.env_vars),
        secrets=dict(body.secrets),
        secrets_updated_at=dict.fromkeys(body.secrets, now),
        database=body.database,
        migrations=body.migrations,
        data_strategy=body.data_strategy,
        lifecycle=body.lifecycle,
        current_revision=1,
        current_revision_id=revision_id,
        created_by=created_by,
    )
    deps.repos.runtime_profiles.insert(profile)
    deps.repos.profile_revisions.insert(
        ProfileRevision(
            id=revision_id,
            created_at=now,
            app_id=app_id,
            runtime_profile_id=profile_id,
            revision_number=1,
            change_kind=ChangeKind.CREATED,
            change_note=change_note,
            snapshot=profile.snapshot(),
            created_by=created_by,
        )
    )
    return profile


class AppsService:
    """Create, list, read and configure apps."""

    def __init__(self, deps: IdentityDeps, git: GitPort) -> None:
        self._d = deps
        self._git = git

    def create(
        self, user: User, actor: Actor, *, name: str, repo_path: str, integration_branch: str
    ) -> AppView:
        validate_app_name(name)
        validate_repo_path(repo_path)
        validate_branch_name(integration_branch, None, "integration_branch")
        apps = self._d.repos.apps
        if apps.find_one({"name": name}) is not None:
            raise Conflict(f"an app named {name} already exists")
        if apps.find_one({"repo_path": repo_path}) is not None:
            raise Conflict(f"repo_path {repo_path} is already used")
        now = self._d.clock.now()
        app = App(
            id=self._d.ids.new_id(),
            created_at=now,
            updated_at=now,
            name=name,
            repo_path=repo_path,
            integration_branch=integration_branch,
            created_by=user.id,
        )
        sha = self._init_repository(app, user, now)
        app = apps.insert(app)
        self._d.audit.record(
            actor,
            "app.created",
            app_id=app.id,
            entity_id=app.id,
            after=app_view(app, None),
            git_sha=sha,
        )
        app = self._create_defaults(app, user, actor, now)
        membership = self._d.repos.memberships.insert(
            Membership(
                id=self._d.ids.new_id(),
                created_at=now,
                updated_at=now,
                app_id=app.id,
                user_id=user.id,
                role=Role.APP_ADMIN,
            )
        )
        self._d.audit.record(
            actor,
            "membership.created",
            app_id=app.id,
            entity_id=membership.id,
            after={"user_id": user.id, "role": Role.APP_ADMIN},
        )
        return app_view(app, Role.APP_ADMIN)

    def _init_repository(self, app: App, user: User, now: datetime) -> str:
        repo = repo_ref(app)
        branch = app.integration_branch
        if not self._git.repository_exists(repo):
            self._git.create_repository(repo, default_branch=branch)
        head = self._git.resolve(repo, f"refs/heads/{branch}")
        if head is not None:
            return head
        if self._git.list_branches(repo):
            raise _bad("integration_branch", f"the repository has no branch {branch}")
        # The port writes commits from file actions only: a scratch root commit adds a
        # marker file and the "Initialize repository" commit removes it again, so the
        # integration branch starts with an empty tree.
        author = Signature(name=user.name, email=user.email, when=now, user_id=user.id)
        scratch = self._git.commit_files(
            repo,
            ref=_INIT_REF,
            parent=None,
            expected_old=None,
            actions=[FileAction(action="create", path=_INIT_FILE, content=b"")],
            message="Prepare repository",
            author=author,
        )
        sha = self._git.commit_files(
            repo,
            ref=f"refs/heads/{branch}",
            parent=scratch,
            expected_old=ZERO_OID,
            actions=[FileAction(action="delete", path=_INIT_FILE)],
            message="Initialize repository",
            author=author,
        )
        self._git.delete_ref(repo, _INIT_REF, expected_old=None)
        return sha

    def _create_defaults(self, app: App, user: User, actor: Actor, now: datetime) -> App:
        def profile(name: str, kind: ProfileKind, env_id: str | None) -> RuntimeProfile:
            created = new_profile(
                self._d,
                app_id=app.id,
                name=name,
                kind=kind,
                environment_id=env_id,
                created_by=user.id,
                now=now,
            )
            self._d.audit.record(
                actor,
                "runtime_profile.created",
                app_id=app.id,
                entity_id=created.id,
                after={"name": name, "kind": kind, "environment_id": env_id},
            )
            return created

        defaults = profile("app-defaults", ProfileKind.APP_DEFAULTS, None)
        canonical_id = ""
        taken: list[str] = []
        for position, env_name in enumerate(DEFAULT_ENVIRONMENTS):
            env_id = self._d.ids.new_id()
            env_profile = profile(env_name, ProfileKind.PERSISTENT_ENV, env_id)
            slug = environment_slug(env_name)
            ref = env_branch_ref(slug, taken)
            taken.append(ref)
            is_canonical = position == len(DEFAULT_ENVIRONMENTS) - 1
            self._d.repos.environments.insert(
                Environment(
                    id=env_id,
                    created_at=now,
                    updated_at=now,
                    app_id=app.id,
                    name=env_name,
                    name_lower=env_name.lower(),
                    slug=slug,
                    position=position,
                    is_canonical=is_canonical,
                    runtime_profile_id=env_profile.id,
                    branch_ref=ref,
                )
            )
            if is_canonical:
                canonical_id = env_id
        settings = msgspec.structs.replace(app.settings, canonical_env_id=canonical_id)
        app.defaults_profile_id = defaults.id
        app.settings = settings
        return self._d.repos.apps.save(app)

    # -- reading ------------------------------------------------------------------

    def list_for(self, user: User, page: int, limit: int) -> tuple[list[AppView], int]:
        """The caller's apps by name ascending, with the total."""
        memberships = self._d.repos.memberships.all({"user_id": user.id})
        roles = {m.app_id: m.role for m in memberships}
        if not roles:
            return [], 0
        found = self._d.repos.apps.list(
            {"id": {"$in": sorted(roles)}}, sort=(("name", 1),), page=page, limit=limit
        )
        return [app_view(a, roles.get(a.id)) for a in found.items], found.total

    # -- settings -----------------------------------------------------------------

    def update_settings(
        self, app: App, actor: Actor, changes: dict[str, Any], role: Role | None
    ) -> AppView:
        """Partial update of ``AppSettings`` (gate objects may be partial)."""
        if "integration_branch" in changes:
            raise _bad("integration_branch", "integration_branch cannot be changed")
        current: dict[str, Any] = msgspec.to_builtins(app.settings)
        merged = dict(current)
        for key, value in changes.items():
            if key == "validation_gates":
                gates = dict(current["validation_gates"])
                for gate, partial in value.items():
                    gates[gate] = {**gates[gate], **partial}
                merged[key] = gates
            elif key == "deploy_command":
                merged[key] = {**current["deploy_command"], **value}
            else:
                merged[key] = value
        try:
            settings = msgspec.convert(merged, AppSettings)
        except msgspec.ValidationError as exc:
            raise Validation(str(exc)) from exc
        validate_settings(settings)
        self._check_references(app, settings)
        changed = [k for k in merged if merged[k] != current[k]]
        if not changed:
            return app_view(app, role)
        before = {k: current[k] for k in changed}
        after = {k: merged[k] for k in changed}
        if settings.canonical_env_id != app.settings.canonical_env_id:
            self._move_canonical(app, settings.canonical_env_id)
        app.settings = settings
        saved = self._d.repos.apps.save(app)
        self._d.audit.record(
            actor,
            "app.settings_updated",
            app_id=app.id,
            entity_id=app.id,
            before=before,
            after=after,
        )
        return app_view(saved, role)

    def _check_references(self, app: App, settings: AppSettings) -> None:
        env_id = settings.canonical_env_id
        if env_id is not None and env_id != app.settings.canonical_env_id:
            env = self._d.repos.environments.find_one({"id": env_id, "app_id": app.id})
            if env is None:
                raise NotFound("environment", env_id)
        profile_id = settings.default_temp_base_profile_id
        if profile_id is not None and profile_id != app.settings.default_temp_base_profile_id:
            profile = self._d.repos.runtime_profiles.find_one({"id": profile_id, "app_id": app.id})
            if profile is None:
                raise NotFound("runtime_profile", profile_id)
            if profile.kind is not ProfileKind.PERSISTENT_ENV:
                raise _bad("default_temp_base_profile_id", "must be a persistent_env profile")
        if settings.canonical_env_id is None:
            raise _bad("canonical_env_id", "cannot be null")

    def _move_canonical(self, app: App, new_id: str | None) -> None:
        envs = self._d.repos.environments
        # Clear the old flag first so the partial unique index holds at every step.
        for old in envs.all({"app_id": app.id, "is_canonical": True}):
            envs.set_fields(old.id, old.version, {"is_canonical": False})
        if new_id is not None:
            env = envs.get(new_id)
            envs.set_fields(env.id, env.version, {"is_canonical": True})
