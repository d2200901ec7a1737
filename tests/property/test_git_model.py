"""Every ``GitPort`` adapter against a dict model of files per branch (hypothesis).

Random commits, branch creation and compare-and-swap moves, merges into ``main`` and
rollback reverts are applied to every backend of ``git_backends.BACKENDS``; after each
step every branch of every backend must hold exactly the model's files. File contents
are one line unique to their path, so git's line merges and rename detection reduce
to the file-level rules the model implements.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "contract"))

from git_backends import AUTHOR, BACKENDS, REPO, files_at

from conman_domain.errors import Conflict, NotFound
from conman_domain.gitmodel import ZERO_OID, FileAction
from conman_domain.ports.git import GitPort

Files = dict[str, bytes]
PATHS = ["a.txt", "d/b.txt", "d/e/c.txt", "z.txt"]
BRANCHES = ["main", "b1", "b2"]


def merge_files(base: Files, ours: Files, theirs: Files) -> tuple[Files | None, list[str]]:
    """File-level three-way merge: one-sided changes win, two different changes conflict."""
    out: Files = {}
    conflicts = []
    for path in set(base) | set(ours) | set(theirs):
        b, o, t = base.get(path), ours.get(path), theirs.get(path)
        if t in (o, b):
            result = o
        elif o == b:
            result = t
        else:
            conflicts.append(path)
            continue
        if result is not None:
            out[path] = result
    return (None, sorted(conflicts)) if conflicts else (out, [])


class GitModelMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = Path(tempfile.mkdtemp(prefix="conman-git-model-"))
        self.stack = ExitStack()
        self.ports: dict[str, GitPort] = {
            name: self.stack.enter_context(factory(self.tmp / name)) for name, factory in BACKENDS
        }
        self.model: dict[str, Files] = {"main": {"a.txt": b"a.txt:0\n"}}
        self.snap: dict[str, dict[str, Files]] = {name: {} for name in self.ports}
        for name, git in self.ports.items():
            git.create_repository(REPO, default_branch="main")
            action = FileAction(action="create", path="a.txt", content=b"a.txt:0\n")
            sha = git.commit_files(
                REPO,
                ref="refs/heads/main",
                parent=None,
                expected_old=ZERO_OID,
                actions=[action],
                message="seed",
                author=AUTHOR,
            )
            self.snap[name][sha] = dict(self.model["main"])

    def teardown(self) -> None:
        self.stack.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def head(self, name: str, branch: str) -> str:
        sha = self.ports[name].resolve(REPO, f"refs/heads/{branch}")
        assert sha is not None
        return sha

    @rule(
        branch=st.sampled_from(BRANCHES),
        path=st.sampled_from(PATHS),
        value=st.sampled_from(["1", "2", None]),
    )
    def write(self, branch: str, path: str, value: str | None) -> None:
        if branch not in self.model:
            return
        files = self.model[branch]
        content = None if value is None else f"{path}:{value}\n".encode()
        if content is None:
            action = FileAction(action="delete", path=path)
        elif path in files:
            action = FileAction(action="update", path=path, content=content)
        else:
            action = FileAction(action="create", path=path, content=content)
        new = dict(files)
        if content is None:
            new.pop(path, None)
        else:
            new[path] = content
        for name, git in self.ports.items():
            head = self.head(name, branch)
            ref = f"refs/heads/{branch}"
            if content is None and path not in files:
                try:
                    git.commit_files(
                        REPO,
                        ref=ref,
                        parent=head,
                        expected_old=head,
                        actions=[action],
                        message="w",
                        author=AUTHOR,
                    )
                except NotFound:
                    continue
                raise AssertionError(f"{name}: deleting a missing file must be NotFound")
            sha = git.commit_files(
                REPO,
                ref=ref,
                parent=head,
                expected_old=head,
                actions=[action],
                message="w",
                author=AUTHOR,
            )
            self.snap[name][sha] = new
        if content is not None or path in files:
            self.model[branch] = new

    @rule(branch=st.sampled_from(["b1", "b2"]), source=st.sampled_from(BRANCHES))
    def create_branch(self, branch: str, source: str) -> None:
        if source not in self.model:
            return
        exists = branch in self.model
        for name, git in self.ports.items():
            start = self.head(name, source)
            if exists:
                try:
                    git.create_branch(REPO, branch, start)
                except Conflict:
                    continue
                raise AssertionError(f"{name}: re-creating a branch must be a Conflict")
            git.create_branch(REPO, branch, start)
        if not exists:
            self.model[branch] = dict(self.model[source])

    @precondition(lambda self: len(self.model) > 1)
    @rule(branch=st.sampled_from(["b1", "b2"]), to=st.sampled_from(BRANCHES), stale=st.booleans())
    def move_branch(self, branch: str, to: str, stale: bool) -> None:
        if branch not in self.model or to not in self.model:
            return
        for name, git in self.ports.items():
            ref, old, new = f"refs/heads/{branch}", self.head(name, branch), self.head(name, to)
            if stale:
                try:
                    git.update_ref(REPO, ref, new_sha=new, expected_old="6" * 40)
                except Conflict:
                    continue
                raise AssertionError(f"{name}: a stale compare-and-swap must be a Conflict")
            git.update_ref(REPO, ref, new_sha=new, expected_old=old)
        if not stale:
            self.model[branch] = dict(self.model[to])

    @precondition(lambda self: len(self.model) > 1)
    @rule(source=st.sampled_from(["b1", "b2"]))
    def merge_into_main(self, source: str) -> None:
        if source not in self.model:
            return
        results = []
        for name, git in self.ports.items():
            main, src = self.head(name, "main"), self.head(name, source)
            base = git.merge_base(REPO, main, src)
            assert base is not None
            expected = merge_files(self.snap[name][base], self.model["main"], self.model[source])
            out = git.merge_to_ref(
                REPO,
                source_sha=src,
                first_parent=main,
                target_ref="refs/heads/main",
                message=f"Merge {source}",
                author=AUTHOR,
                expected_old=main,
            )
            assert out.conflicting_paths == expected[1], name
            if out.sha is not None:
                assert expected[0] is not None
                self.snap[name][out.sha] = expected[0]
            results.append(expected[0])
        if results[0] is not None:
            self.model["main"] = results[0]

    @rule(current=st.integers(0, 20), goal=st.integers(0, 20))
    def revert(self, current: int, goal: int) -> None:
        outcomes = []
        for name, git in self.ports.items():
            head = self.head(name, "main")
            history = [c.sha for c in git.list_commits(REPO, head, first_parent=True)]
            # rollback shape (DOMAIN.md §14.6): T is a first-parent ancestor of C and
            # every commit from C down to T is a release merge
            lo, hi = sorted((current % len(history), goal % len(history)))
            chain = [git.find_commit(REPO, sha) for sha in history[lo:hi]]
            if any(c is None or len(c.parents) != 2 for c in chain):
                return
            cur, tgt = history[lo], history[hi]
            snap = self.snap[name]
            expected, conflicts = merge_files(snap[cur], snap[head], snap[tgt])
            out = git.revert_release(
                REPO,
                integration_branch="main",
                expected_head=head,
                current_sha=cur,
                target_sha=tgt,
                scratch_branch="conman/revert/rel",
                message="Revert",
                author=AUTHOR,
            )
            assert out.conflicting_paths == conflicts, name
            assert out.empty == (expected == snap[head]), name
            if out.sha is not None:
                assert expected is not None
                snap[out.sha] = expected
                git.update_ref(REPO, "refs/heads/main", new_sha=out.sha, expected_old=head)
                git.delete_ref(REPO, "refs/heads/conman/revert/rel", expected_old=out.sha)
            assert git.resolve(REPO, "refs/heads/conman/revert/rel") is None
            outcomes.append(expected if out.sha is not None else None)
        if outcomes[0] is not None:
            self.model["main"] = outcomes[0]

    @invariant()
    def every_backend_matches_the_model(self) -> None:
        for name, git in self.ports.items():
            names = sorted(b.name for b in git.list_branches(REPO))
            assert names == sorted(self.model), name
            for branch, files in self.model.items():
                assert files_at(git, f"refs/heads/{branch}") == files, (name, branch)


GitModelMachine.TestCase.settings = settings(
    max_examples=30,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_every_git_backend_agrees_with_the_files_per_branch_model = GitModelMachine.TestCase
