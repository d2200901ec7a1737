"""The ``msuite_submit`` handler over a memory store and memory git (DOMAIN.md §11)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest

from conman_adapters.config import load_settings
from conman_adapters.container import Container, build_container
from conman_domain.errors import Conflict, GateFailed, NotFound, Validation
from conman_domain.gitmodel import FileAction, Signature
from conman_domain.model import (
    Changeset,
    ChangesetRevision,
    ChangesetState,
    GateConfig,
    Job,
    JobType,
    OverrideSnapshot,
    ProfileKind,
    TempEnvironment,
    TempEnvKind,
    TypedValue,
    User,
    ValueType,
)
from conman_domain.ports.jobs import RunningJobPort
from conman_domain.ports.runner import CommandEnv, CommandResult, Materializer
from conman_domain.ports.secrets import SecretAad
from conman_domain.usecases.apps import new_profile, repo_ref
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.gates import SubmitGate
from conman_domain.usecases.job_shapes import new_job

KEYS = {"CONMAN_JWT_SECRET": "j" * 40, "CONMAN_SECRETS_MASTER_KEY": "m" * 40}


def _text(value: str) -> TypedValue:
    return TypedValue(type=ValueType.STRING, value=value)


class Run(RunningJobPort):
    """A running job that records log lines and command runs."""

    def __init__(self, job: Job, tmp: Path, result: CommandResult | None = None) -> None:
        self.job = job
        self.tmp = tmp
        self.result = result or CommandResult(exit_code=0, duration_ms=7)
        self.lines: list[tuple[str, str]] = []
        self.commands: list[tuple[str, CommandEnv, float, list[str]]] = []

    def log(self, level: str, message: str, data: dict[str, Any] | None = None) -> None:
        self.lines.append((level, message))

    def should_stop(self) -> bool:
        return False

    def run_command(
        self, command: str, *, materialize: Materializer, env: CommandEnv, timeout_seconds: float
    ) -> CommandResult:
        tree = Path(tempfile.mkdtemp(dir=self.tmp)) / "tree"
        materialize(tree)
        files = sorted(p.relative_to(tree).as_posix() for p in tree.rglob("*") if p.is_file())
        self.commands.append((command, env, timeout_seconds, files))
        return self.result


class Scene(msgspec.Struct, kw_only=True):
    container: Container
    admin: User
    app_id: str
    tmp: Path

    def commit(self, files: dict[str, bytes]) -> str:
        app = self.container.repositories().apps.get(self.app_id)
        git, repo = self.container.git(), repo_ref(app)
        head = git.resolve(repo, "refs/heads/main")
        when = self.container.clock().now()
        return git.commit_files(
            repo, ref="refs/heads/ws", parent=head, expected_old=None,
            actions=[FileAction(action="create", path=p, content=c) for p, c in files.items()],
            message="change",
            author=Signature(name="A", email="a@example.com", when=when, user_id=self.admin.id),
        )  # fmt: skip

    def changeset(
        self, sha: str, overrides: list[OverrideSnapshot] | None = None, revision: int = 1
    ) -> Changeset:
        repos, ids, now = self.container.repositories(), self.container.ids(), self.now()
        changeset = repos.changesets.insert(
            Changeset(
                id=ids.new_id(), created_at=now, updated_at=now, app_id=self.app_id,
                workspace_id=ids.new_id(), author_user_id=self.admin.id,
                created_by=self.admin.id, title="t", state=ChangesetState.SUBMITTED,
                current_revision=revision,
            )
        )  # fmt: skip
        repos.changeset_revisions.insert(
            ChangesetRevision(
                id=ids.new_id(), created_at=now, changeset_id=changeset.id,
                revision_number=1, head_sha=sha, base_sha=sha, created_by=self.admin.id,
                profile_overrides_snapshot=overrides or [],
            )
        )  # fmt: skip
        return changeset

    def now(self) -> Any:
        return self.container.clock().now()

    def run(self, changeset: Changeset, sha: str, **payload: Any) -> Run:
        body = {"changeset_id": changeset.id, "revision_number": 1, "head_sha": sha,
                "base_sha": sha, **payload}  # fmt: skip
        job = new_job(
            self.container.ids(), self.container.clock(), app_id=self.app_id,
            job_type=JobType.MSUITE_SUBMIT, entity_type="changeset", entity_id=changeset.id,
            payload=body, created_by=None,
        )  # fmt: skip
        return Run(job, self.tmp)

    def set_command(self, command: str) -> None:
        repos = self.container.repositories()
        app = repos.apps.get(self.app_id)
        gates = msgspec.structs.replace(
            app.settings.validation_gates, submit=GateConfig(command=command, timeout_seconds=9)
        )
        app.settings = msgspec.structs.replace(app.settings, validation_gates=gates)
        repos.apps.save(app)

    def environments(self) -> dict[str, Any]:
        envs = self.container.repositories().environments.all({"app_id": self.app_id})
        return {e.name: e for e in envs}

    def gate(self) -> SubmitGate:
        gate: SubmitGate = self.container.submit_gate()
        return gate


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    settings = load_settings(KEYS, cwd=tmp_path)
    container = build_container(settings, backend="memory", git_backend="memory")
    services = container.identity()
    admin = services.auth.create_user("a@example.com", "A", "correct horse battery", Actor())
    view = services.apps.create(
        admin, Actor(user_id=admin.id), name="shop", repo_path="shop", integration_branch="main"
    )
    yield Scene(container=container, admin=admin, app_id=view.id, tmp=tmp_path)


def test_the_builtin_validator_passes_a_clean_tree(scene: Scene) -> None:
    sha = scene.commit({"entities/order.yaml": b"name: order\n"})
    run = scene.run(scene.changeset(sha), sha)
    result = scene.gate()(run)
    assert result["passed"] is True and result["runner"] == "builtin"
    assert run.lines[-1] == ("info", f"submit gate passed ({result['checks']} checks, builtin)")


def test_a_failed_builtin_validation_raises_with_its_result(scene: Scene) -> None:
    sha = scene.commit({"entities/a.json": b'{"name": "a",\n"x": }\n', "pages/p.yaml": b"x: 1\n"})
    run = scene.run(scene.changeset(sha), sha)
    with pytest.raises(GateFailed) as caught:
        scene.gate()(run)
    failures = caught.value.result["failures"]
    assert [f["path"] for f in failures] == ["entities/a.json", "pages/p.yaml"]
    assert caught.value.message.startswith("submit gate failed: entities/a.json line 2: invalid")
    assert caught.value.code == "conflict"
    assert [level for level, _ in run.lines].count("error") == 2


def test_the_command_gets_the_derived_submit_profile_and_the_tree(scene: Scene) -> None:
    repos, cipher = scene.container.repositories(), scene.container.cipher()
    app = repos.apps.get(scene.app_id)
    assert app.defaults_profile_id is not None
    defaults = repos.runtime_profiles.get(app.defaults_profile_id)
    defaults.env_vars = {"LEVEL": _text("defaults"), "ONLY_DEFAULTS": _text("d")}
    aad = SecretAad(app_id=app.id, profile_id=defaults.id, key="TOKEN")
    defaults.secrets = {"TOKEN": cipher.encrypt("plain-token", aad)}
    repos.runtime_profiles.save(defaults)
    envs = scene.environments()
    dev = repos.runtime_profiles.get(envs["Development"].runtime_profile_id)
    dev.env_vars = {"LEVEL": _text("development")}
    repos.runtime_profiles.save(dev)
    overrides = [
        OverrideSnapshot(
            target_environment_id=envs["Development"].id, target_profile_id=dev.id,
            env_var_overrides_typed={"FROM_OVERRIDE": _text("yes"), "ONLY_DEFAULTS": None},
        ),
        OverrideSnapshot(
            target_environment_id=envs["Production"].id,
            target_profile_id=envs["Production"].runtime_profile_id,
            env_var_overrides_typed={"PROD_ONLY": _text("no")},
        ),
    ]  # fmt: skip
    scene.set_command("make check")
    sha = scene.commit({"entities/order.yaml": b"name: order\n", "run.sh": b"echo\n"})
    changeset = scene.changeset(sha, overrides)
    run = scene.run(changeset, sha)
    result = scene.gate()(run)
    assert result == {
        "passed": True, "runner": "command", "checks": 1, "failures": [], "duration_ms": 7,
        "exit_code": 0,
    }  # fmt: skip
    command, env, timeout, files = run.commands[0]
    assert (command, timeout, files) == ("make check", 9.0, ["entities/order.yaml", "run.sh"])
    assert {k: v.value for k, v in env.variables.items()} == {
        "LEVEL": "development",
        "FROM_OVERRIDE": "yes",
    }
    assert env.secrets == {"TOKEN": "plain-token"}
    assert (env.metadata.gate, env.metadata.commit_sha, env.metadata.entity_id) == (
        "submit",
        sha,
        changeset.id,
    )


def test_the_default_temp_base_profile_and_a_live_temp_env_take_precedence(scene: Scene) -> None:
    deps = scene.container.identity().deps
    repos = scene.container.repositories()
    base = new_profile(
        deps, app_id=scene.app_id, name="curated", kind=ProfileKind.PERSISTENT_ENV,
        environment_id=None, created_by=None, now=scene.now(),
    )  # fmt: skip
    base.env_vars = {"SOURCE": _text("curated")}
    repos.runtime_profiles.save(base)
    app = repos.apps.get(scene.app_id)
    app.settings = msgspec.structs.replace(app.settings, default_temp_base_profile_id=base.id)
    repos.apps.save(app)
    scene.set_command("true")
    sha = scene.commit({"a.txt": b"a"})
    changeset = scene.changeset(sha)
    gate = scene.gate()
    run = scene.run(changeset, sha)
    gate(run)
    assert run.commands[0][1].variables == {"SOURCE": _text("curated")}

    temp_profile = new_profile(
        deps, app_id=scene.app_id, name="temp", kind=ProfileKind.TEMP_CHANGESET,
        environment_id=None, created_by=None, now=scene.now(),
    )  # fmt: skip
    temp_profile.env_vars = {"SOURCE": _text("temp env")}
    repos.runtime_profiles.save(temp_profile)
    now = scene.now()
    repos.temp_environments.insert(
        TempEnvironment(
            id=scene.container.ids().new_id(), created_at=now, updated_at=now,
            app_id=scene.app_id, kind=TempEnvKind.CHANGESET, changeset_id=changeset.id,
            base_runtime_profile_id=base.id, runtime_profile_id=temp_profile.id,
            db_name="db", base_url="http://t.localhost", snapshot_branch="temp/x",
            created_by=scene.admin.id, source_key=f"cs:{changeset.id}",
        )
    )  # fmt: skip
    again = scene.run(changeset, sha)
    gate(again)
    assert again.commands[0][1].variables == {"SOURCE": _text("temp env")}


def test_a_failing_command_is_a_final_failure_with_its_exit_code(scene: Scene) -> None:
    scene.set_command("exit 4")
    sha = scene.commit({"a.txt": b"a"})
    run = scene.run(scene.changeset(sha), sha)
    run.result = CommandResult(exit_code=4, duration_ms=3)
    with pytest.raises(GateFailed) as caught:
        scene.gate()(run)
    assert caught.value.message == "submit gate failed: command: command exited with code 4"
    assert caught.value.result["exit_code"] == 4


def test_stale_or_foreign_jobs_fail_without_running(scene: Scene) -> None:
    sha = scene.commit({"a.txt": b"a"})
    moved_on = scene.changeset(sha, revision=2)
    with pytest.raises(Conflict, match="is at revision 2, not 1"):
        scene.gate()(scene.run(moved_on, sha))
    current = scene.changeset(sha)
    with pytest.raises(Conflict, match="head is"):
        scene.gate()(scene.run(current, sha, head_sha="f" * 40))
    with pytest.raises(NotFound):
        scene.gate()(scene.run(current, sha, changeset_id="c" * 24))
    with pytest.raises(Validation):
        scene.gate()(scene.run(current, sha, extra="x"))
