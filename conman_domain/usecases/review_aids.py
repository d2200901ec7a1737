"""Review aids of a changeset: its diff range, raw and semantic diffs, the deterministic
analysis with an optional LLM summary, and chat (DOMAIN.md §9.5, §10; API.md §9).

Membership is the only access rule (any member), checked by the HTTP shell before
these run; every lookup is filtered by the app id (another app's changeset → 404).
Nothing here writes: no store document, no ref, no audit event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal, Protocol

import msgspec

from conman_domain.analysis import Analysis, analyze
from conman_domain.errors import AiUnavailable, FieldError, NotFound, Validation
from conman_domain.gitmodel import RepoRef
from conman_domain.model import (
    App,
    Changeset,
    ChangesetProfileOverride,
    ChangesetRevision,
    ChangesetState,
    Environment,
    OverrideSnapshot,
    RuntimeProfile,
    Workspace,
)
from conman_domain.model.profiles import ProfileSnapshot
from conman_domain.ports.git import GitPort
from conman_domain.ports.llm import LlmPort
from conman_domain.ports.repos import EntityRepoPort, MutableRepoPort
from conman_domain.rules.paths import validate_path
from conman_domain.semdiff import ProfileOverrideChange, SemanticDiff, override_changes
from conman_domain.semdiff.source import semantic_diff_between
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.review_prompts import analyze_messages, chat_messages
from conman_domain.validator.classify import CONFIG_OBJECT_TYPES, config_type_of

__all__ = [
    "CHAT_FILES_MAX",
    "CHAT_MESSAGE_MAX",
    "LLM_TIMEOUT_SECONDS",
    "ChatReply",
    "DiffRange",
    "DiffStat",
    "RawDiff",
    "ReviewAids",
    "ReviewAidsRepos",
]

LLM_TIMEOUT_SECONDS = 60.0
CHAT_MESSAGE_MAX = 4000
CHAT_FILES_MAX = 20
FOCUS_MAX = 20
FOCUS_ITEM_MAX = 200
# A binary file's header line; content lines always start with " ", "+", "-" or "\\".
_BINARY_LINE = re.compile(r"^Binary files .* differ$", re.MULTILINE)


class ReviewAidsRepos(Protocol):
    """The repositories the review aids read (``Repositories`` fits)."""

    @property
    def workspaces(self) -> MutableRepoPort[Workspace]: ...
    @property
    def environments(self) -> MutableRepoPort[Environment]: ...
    @property
    def runtime_profiles(self) -> MutableRepoPort[RuntimeProfile]: ...
    @property
    def changesets(self) -> MutableRepoPort[Changeset]: ...
    @property
    def changeset_revisions(self) -> EntityRepoPort[ChangesetRevision]: ...
    @property
    def profile_overrides(self) -> MutableRepoPort[ChangesetProfileOverride]: ...


class DiffRange(msgspec.Struct, frozen=True, kw_only=True):
    """§9.5: head = head_sha (non-draft) or the workspace's working head (draft);
    base = merge-base(head, integration head), None for unrelated histories."""

    changeset: Changeset
    base_sha: str | None
    head_sha: str


class DiffStat(msgspec.Struct, kw_only=True):
    path: str
    old_path: str | None
    additions: int
    deletions: int


class RawDiff(msgspec.Struct, kw_only=True):
    base_sha: str | None
    head_sha: str
    patch: str
    stats: list[DiffStat]


class ChatReply(msgspec.Struct, kw_only=True):
    reply: str
    referenced_files: list[str]


def _bad(field: str, message: str) -> Validation:
    return Validation(f"{field}: {message}", [FieldError(field, message)])


def _check_focus(focus: Sequence[str]) -> None:
    if len(focus) > FOCUS_MAX:
        raise _bad("focus", f"at most {FOCUS_MAX} items")
    for i, item in enumerate(focus):
        if len(item) > FOCUS_ITEM_MAX:
            raise _bad(f"focus[{i}]", f"at most {FOCUS_ITEM_MAX} characters")


class ReviewAids:
    """Diff, analyze and chat over one changeset (read-only)."""

    def __init__(self, *, repos: ReviewAidsRepos, git: GitPort, llm: LlmPort) -> None:
        self._repos = repos
        self._git = git
        self._llm = llm

    # -- range and diffs --------------------------------------------------------------

    def diff_range(self, app: App, changeset_id: str) -> DiffRange:
        cs = self._repos.changesets.find_one({"id": changeset_id, "app_id": app.id})
        if cs is None:
            raise NotFound("changeset", changeset_id)
        repo = repo_ref(app)
        head = cs.head_sha
        if cs.state is ChangesetState.DRAFT or head is None:
            ws = self._repos.workspaces.find_one({"id": cs.workspace_id, "app_id": app.id})
            if ws is None:
                raise NotFound("workspace", cs.workspace_id)
            head = self._git.resolve(repo, f"refs/conman/autosave/{ws.id}") or self._git.resolve(
                repo, f"refs/heads/{ws.branch_name}"
            )
            if head is None:
                raise NotFound("branch", ws.branch_name)
        integration = self._git.resolve(repo, f"refs/heads/{app.integration_branch}")
        if integration is None:
            raise NotFound("branch", app.integration_branch)
        base = self._git.merge_base(repo, head, integration)
        return DiffRange(changeset=cs, base_sha=base, head_sha=head)

    def raw_diff(self, app: App, changeset_id: str) -> RawDiff:
        """Unified diff (3 context lines) with per-file stats; ``old_path`` on renames;
        a binary file reads "Binary files differ" (API.md §9)."""
        rng = self.diff_range(app, changeset_id)
        result = self._git.diff(repo_ref(app), rng.base_sha, rng.head_sha)
        stats = [
            DiffStat(
                path=f.new_path or f.old_path or "",
                old_path=f.old_path if f.status == "renamed" else None,
                additions=f.additions,
                deletions=f.deletions,
            )
            for f in result.files
        ]
        return RawDiff(
            base_sha=rng.base_sha,
            head_sha=rng.head_sha,
            patch=_BINARY_LINE.sub("Binary files differ", result.patch),
            stats=stats,
        )

    def semantic_diff(self, app: App, changeset_id: str) -> SemanticDiff:
        return self._semantic(app, self.diff_range(app, changeset_id))

    def _semantic(self, app: App, rng: DiffRange) -> SemanticDiff:
        changes = self._override_changes(app, rng.changeset)
        return semantic_diff_between(
            self._git, repo_ref(app), rng.base_sha, rng.head_sha, override_changes=changes
        )

    def _snapshots(self, cs: Changeset) -> list[OverrideSnapshot]:
        """Stored overrides (draft) or the current revision's snapshot (§9.5)."""
        if cs.state is ChangesetState.DRAFT:
            stored = self._repos.profile_overrides.all(
                {"changeset_id": cs.id}, sort=(("target_environment_id", 1),)
            )
            return [o.snapshot() for o in stored]
        rev = self._repos.changeset_revisions.find_one(
            {"changeset_id": cs.id, "revision_number": cs.current_revision}
        )
        return [] if rev is None else list(rev.profile_overrides_snapshot)

    def _override_changes(self, app: App, cs: Changeset) -> list[ProfileOverrideChange]:
        out: list[ProfileOverrideChange] = []
        for snap in self._snapshots(cs):
            env = self._repos.environments.find_one(
                {"id": snap.target_environment_id, "app_id": app.id}
            )
            profile = self._repos.runtime_profiles.find_one(
                {"id": snap.target_profile_id, "app_id": app.id}
            )
            name = env.name if env is not None else snap.target_environment_id
            current = profile.snapshot() if profile is not None else ProfileSnapshot(name="")
            out.extend(override_changes(snap, name, current))
        return out

    # -- analyze and chat -------------------------------------------------------------

    def _object_files(self, repo: RepoRef, head: str) -> dict[str, bytes]:
        """Every config-object file at head (the §11.3 reference walk reads them)."""
        listing = self._git.list_tree(repo, head, "", recursive=True)
        paths = [
            e.path
            for e in listing.entries
            if e.type == "blob" and config_type_of(e.path) in CONFIG_OBJECT_TYPES
        ]
        return {b.path: b.data for b in self._git.read_blobs(repo, head, paths)} if paths else {}

    def analyze(self, app: App, changeset_id: str, focus: Sequence[str] = ()) -> Analysis:
        """Deterministic risks over the semantic diff and the tree at head; with an LLM
        configured, one call adds ``llm_summary`` (``llm_status`` ok, or error)."""
        _check_focus(focus)
        rng = self.diff_range(app, changeset_id)
        diff = self._semantic(app, rng)
        canonical = self._repos.environments.find_one({"app_id": app.id, "is_canonical": True})
        result = analyze(
            diff,
            self._object_files(repo_ref(app), rng.head_sha),
            canonical_environment_id=canonical.id if canonical is not None else None,
            focus=list(focus),
        )
        if not self._llm.configured:
            return result
        status: Literal["ok", "error"] = "ok"
        summary: str | None
        try:
            summary = self._llm.complete(
                analyze_messages(diff, focus), timeout_s=LLM_TIMEOUT_SECONDS
            )
        except AiUnavailable:
            summary, status = None, "error"
        return msgspec.structs.replace(result, llm_summary=summary, llm_status=status)

    def chat(
        self, app: App, changeset_id: str, message: str, file_paths: Sequence[str] = ()
    ) -> ChatReply:
        """One LLM answer about the changeset; nothing is stored. 503 without an LLM."""
        if not 1 <= len(message) <= CHAT_MESSAGE_MAX:
            raise _bad("message", f"must be 1..{CHAT_MESSAGE_MAX} characters")
        if len(file_paths) > CHAT_FILES_MAX:
            raise _bad("file_paths", f"at most {CHAT_FILES_MAX} items")
        paths: list[str] = []
        for i, raw in enumerate(file_paths):
            path = validate_path(raw, for_write=True, field=f"file_paths[{i}]")
            if path not in paths:
                paths.append(path)
        rng = self.diff_range(app, changeset_id)
        repo = repo_ref(app)
        blobs = {b.path: b.data for b in self._git.read_blobs(repo, rng.head_sha, paths)}
        for i, path in enumerate(paths):
            if path not in blobs:
                raise _bad(f"file_paths[{i}]", f"no such file at head: {path}")
        if not self._llm.configured:
            raise AiUnavailable("no LLM is configured")
        diff = self._semantic(app, rng)
        messages, included = chat_messages(diff, message, {p: blobs[p] for p in paths})
        reply = self._llm.complete(messages, timeout_s=LLM_TIMEOUT_SECONDS)
        return ChatReply(reply=reply, referenced_files=included)
