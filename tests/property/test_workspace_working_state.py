"""Random writes, deletes, checkpoints and resets keep the working state equal to a
dict model (DOMAIN.md §8.2, §8.5)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))

from workspace_support import SEED_FILES, World

from conman_adapters.memory import InMemoryGit
from conman_domain.errors import Conflict, NotFound
from conman_domain.model import CommitMode
from conman_domain.usecases.files import (
    Checkpoint,
    CheckpointCmd,
    DeleteFile,
    DeleteFileCmd,
    WriteFile,
    WriteFileCmd,
)
from conman_domain.usecases.workspace_sync import ResetWorkspace, ResetWorkspaceCmd
from conman_domain.usecases.workspaces import (
    CreateWorkspace,
    CreateWorkspaceCmd,
    GetWorkspace,
)

PATHS = ["a.txt", "README.md", "dir/b.yaml", "dir/sub/c.json", "entities/customer.yaml"]
CONTENTS = st.text(alphabet="xyz\n", max_size=8)


class WorkingStateMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world = World(InMemoryGit(), commit_mode=CommitMode.MANUAL_CHECKPOINT)
        cmd = CreateWorkspaceCmd(app_id=self.world.app.id, actor=self.world.actor())
        self.ws = CreateWorkspace(self.world.deps)(cmd)
        self.ref = self.world.ref(self.ws.id)
        self.working: dict[str, bytes] = dict(SEED_FILES)
        self.committed: dict[str, bytes] = dict(SEED_FILES)
        self.dirty = False

    @rule(path=st.sampled_from(PATHS), text=CONTENTS)
    def write(self, path: str, text: str) -> None:
        cmd = WriteFileCmd(ref=self.ref, path=path, content=text, encoding="utf-8")
        result = WriteFile(self.world.deps)(cmd)
        assert result.created == (path not in self.working)
        self.working[path] = text.encode()
        self.dirty = True

    @rule(path=st.sampled_from(PATHS))
    def delete(self, path: str) -> None:
        cmd = DeleteFileCmd(ref=self.ref, path=path)
        if path not in self.working:
            with pytest.raises(NotFound):
                DeleteFile(self.world.deps)(cmd)
            return
        DeleteFile(self.world.deps)(cmd)
        del self.working[path]
        self.dirty = True

    @rule()
    def checkpoint(self) -> None:
        if not self.dirty:
            with pytest.raises(Conflict):
                Checkpoint(self.world.deps)(CheckpointCmd(ref=self.ref))
            return
        Checkpoint(self.world.deps)(CheckpointCmd(ref=self.ref))
        self.committed = dict(self.working)
        self.dirty = False

    @rule()
    def reset_discarding(self) -> None:
        ResetWorkspace(self.world.deps)(ResetWorkspaceCmd(ref=self.ref, discard_uncommitted=True))
        self.working = dict(SEED_FILES)
        self.committed = dict(SEED_FILES)
        self.dirty = False

    @invariant()
    def git_matches_the_model(self) -> None:
        view = GetWorkspace(self.world.deps)(self.ref)
        assert view.dirty == self.dirty
        assert self.world.files_at(view.working_sha) == self.working
        assert self.world.files_at(view.head_sha) == self.committed
        assert self.world.git.resolve(self.world.repo, "refs/heads/main") == (
            self.world.integration_head
        )


WorkingStateMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=15, deadline=None
)
test_working_state_matches_a_dict_model = WorkingStateMachine.TestCase
