"""A submit-gate job end to end over the embedded default (SQLite + local git): a real
commit, a real ``JobRunner`` and the sandbox, read back through the API and the CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import pytest
from click.testing import CliRunner
from litestar.testing import TestClient

from conman_adapters.config import load_settings
from conman_adapters.container import Container, build_container
from conman_cli.main import main
from conman_domain.gitmodel import FileAction, Signature
from conman_domain.model import (
    Changeset,
    ChangesetRevision,
    ChangesetState,
    GateConfig,
    JobState,
    JobType,
    TypedValue,
    User,
    ValueType,
)
from conman_domain.ports.secrets import SecretAad
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.audit import Actor
from conman_domain.usecases.job_shapes import JobView, new_job
from conman_http import create_app

SECRET = "s3cr3t-gate-token"
PASSWORD = "correct horse battery staple"
BROKEN_YAML = b"name: customer\ntype: entity\nfields: x\n  bad: indent\n"  # error on line 4
GOOD_ENTITY = b"name: order\ntype: entity\n"
WAIT_S = 60.0


def _env_values(data_dir: Path) -> dict[str, str]:
    return {
        "CONMAN_DATA_DIR": str(data_dir),
        "CONMAN_JWT_SECRET": "j" * 40,
        "CONMAN_SECRETS_MASTER_KEY": "m" * 40,
        "CONMAN_JOB_POLL_INTERVAL_MS": "50",
        "CONMAN_BOOTSTRAP_EMAIL": "admin@example.com",
    }


class Scene(msgspec.Struct, kw_only=True):
    container: Container
    admin: User
    app_id: str
    env: dict[str, str]

    def commit(self, files: dict[str, bytes], branch: str) -> str:
        """One commit of ``files`` on a new branch off the integration head."""
        app = self.container.repositories().apps.get(self.app_id)
        git, repo = self.container.git(), repo_ref(app)
        head = git.resolve(repo, "refs/heads/main")
        author = Signature(
            name="Admin", email="admin@example.com", when=_now(self), user_id=self.admin.id
        )
        actions = [FileAction(action="create", path=p, content=c) for p, c in files.items()]
        return git.commit_files(
            repo,
            ref=f"refs/heads/{branch}",
            parent=head,
            expected_old=None,
            actions=actions,
            message="change",
            author=author,
        )

    def submit(self, head_sha: str) -> str:
        """A submitted changeset at ``head_sha`` (revision 1) and its msuite_submit job."""
        repos, ids = self.container.repositories(), self.container.ids()
        now = _now(self)
        changeset = repos.changesets.insert(
            Changeset(
                id=ids.new_id(), created_at=now, updated_at=now, app_id=self.app_id,
                workspace_id=ids.new_id(), author_user_id=self.admin.id,
                created_by=self.admin.id, title="Change", state=ChangesetState.SUBMITTED,
                current_revision=1, head_sha=head_sha, base_sha=head_sha,
            )
        )  # fmt: skip
        repos.changeset_revisions.insert(
            ChangesetRevision(
                id=ids.new_id(), created_at=now, changeset_id=changeset.id, revision_number=1,
                head_sha=head_sha, base_sha=head_sha, created_by=self.admin.id,
            )
        )  # fmt: skip
        payload = {
            "changeset_id": changeset.id,
            "revision_number": 1,
            "head_sha": head_sha,
            "base_sha": head_sha,
        }
        job = new_job(
            ids, self.container.clock(), app_id=self.app_id, job_type=JobType.MSUITE_SUBMIT,
            entity_type="changeset", entity_id=changeset.id, payload=payload,
            created_by=self.admin.id,
        )  # fmt: skip
        return self.container.job_queue().enqueue(job).id

    def run_jobs_until_done(self, job_ids: list[str]) -> None:
        runner = self.container.job_runner()
        runner.start()
        try:
            deadline = time.monotonic() + WAIT_S
            queue = self.container.job_queue()
            while time.monotonic() < deadline:
                states = [queue.get(j).state for j in job_ids]
                if all(s in {JobState.SUCCEEDED, JobState.FAILED} for s in states):
                    return
                time.sleep(0.05)
            pytest.fail(f"jobs did not finish: {states}")
        finally:
            runner.stop(10)


def _now(scene: Scene) -> Any:
    return scene.container.clock().now()


@pytest.fixture
def scene(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    env = _env_values(tmp_path / "data")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    container = build_container(load_settings(env, cwd=tmp_path))
    services = container.identity()
    admin = services.auth.create_user("admin@example.com", "Admin", PASSWORD, Actor())
    view = services.apps.create(
        admin,
        Actor(user_id=admin.id),
        name="shop",
        repo_path="team/shop",
        integration_branch="main",
    )
    try:
        yield Scene(container=container, admin=admin, app_id=view.id, env=env)
    finally:
        container.store().close()


def _api_job(scene: Scene, job_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    token = scene.container.identity().auth.issue(scene.admin).token
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/apps/{scene.app_id}/jobs/{job_id}"
    with TestClient(create_app(scene.container)) as client:
        job = client.get(base, headers=headers)
        logs = client.get(f"{base}/logs", headers=headers)
    assert job.status_code == 200 and logs.status_code == 200
    return job.json()["data"], logs.json()["data"]


def test_a_broken_yaml_file_fails_the_gate_naming_the_file_and_line(scene: Scene) -> None:
    sha = scene.commit({"entities/customer.yaml": BROKEN_YAML}, "ws/broken")
    job_id = scene.submit(sha)
    scene.run_jobs_until_done([job_id])

    job, logs = _api_job(scene, job_id)
    assert job["state"] == "failed"
    assert job["attempts"] == 1  # a failed gate is final: no retry
    assert "entities/customer.yaml line 4" in job["error_message"]
    failure = job["result"]["failures"][0]
    assert (failure["path"], failure["line"]) == ("entities/customer.yaml", 4)
    assert job["result"]["passed"] is False and job["result"]["runner"] == "builtin"
    messages = [line["message"] for line in logs]
    assert any(m.startswith("entities/customer.yaml line 4: invalid JSON/YAML") for m in messages)

    cli = CliRunner()
    shown = cli.invoke(main, ["jobs", "show", job_id, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["result"]["failures"][0]["line"] == 4
    text = cli.invoke(main, ["jobs", "logs", job_id])
    assert text.exit_code == 0 and "entities/customer.yaml line 4" in text.output
    listed = cli.invoke(main, ["jobs", "list", "--app", scene.app_id, "--state", "failed"])
    assert listed.exit_code == 0 and job_id in listed.output

    local = cli.invoke(main, ["validate", sha, "--app", scene.app_id])
    assert local.exit_code == 1
    assert "entities/customer.yaml:4: invalid JSON/YAML" in local.output


def test_a_configured_gate_command_runs_in_the_sandbox_with_masked_secrets(scene: Scene) -> None:
    repos, cipher = scene.container.repositories(), scene.container.cipher()
    app = repos.apps.get(scene.app_id)
    gates = msgspec.structs.replace(
        app.settings.validation_gates,
        submit=GateConfig(command='echo "checking $GREETING with $API_TOKEN"; ls entities'),
    )
    app.settings = msgspec.structs.replace(app.settings, validation_gates=gates)
    repos.apps.save(app)
    assert app.defaults_profile_id is not None
    defaults = repos.runtime_profiles.get(app.defaults_profile_id)
    aad = SecretAad(app_id=app.id, profile_id=defaults.id, key="API_TOKEN")
    defaults.secrets = {"API_TOKEN": cipher.encrypt(SECRET, aad)}
    defaults.env_vars = {"GREETING": TypedValue(type=ValueType.STRING, value="hello")}
    repos.runtime_profiles.save(defaults)

    sha = scene.commit({"entities/order.yaml": GOOD_ENTITY}, "ws/good")
    job_id = scene.submit(sha)
    scene.run_jobs_until_done([job_id])

    job, logs = _api_job(scene, job_id)
    assert job["state"] == "succeeded", job["error_message"]
    assert job["result"] == {
        "passed": True,
        "runner": "command",
        "checks": 1,
        "failures": [],
        "duration_ms": job["result"]["duration_ms"],
        "exit_code": 0,
    }
    messages = [line["message"] for line in logs]
    assert "checking hello with ****" in messages
    assert "order.yaml" in messages
    assert SECRET not in json.dumps(logs) + json.dumps(job)
    view = CliRunner().invoke(main, ["jobs", "logs", job_id, "--json"])
    assert view.exit_code == 0 and "checking hello with ****" in view.output


def test_a_failing_gate_command_keeps_its_result_and_a_job_without_worker_fails(
    scene: Scene,
) -> None:
    repos = scene.container.repositories()
    app = repos.apps.get(scene.app_id)
    gates = msgspec.structs.replace(
        app.settings.validation_gates, submit=GateConfig(command="echo nope >&2; exit 3")
    )
    app.settings = msgspec.structs.replace(app.settings, validation_gates=gates)
    repos.apps.save(app)
    sha = scene.commit({"entities/order.yaml": GOOD_ENTITY}, "ws/fails")
    gate_job = scene.submit(sha)
    orphan = new_job(
        scene.container.ids(), scene.container.clock(), app_id=scene.app_id,
        job_type=JobType.MSUITE_DEPLOY, entity_type="release", entity_id="r" * 24,
        payload={}, created_by=None,
    )  # fmt: skip
    orphan_id = scene.container.job_queue().enqueue(orphan).id
    scene.run_jobs_until_done([gate_job, orphan_id])

    job, logs = _api_job(scene, gate_job)
    assert job["state"] == "failed"
    assert job["error_message"] == "submit gate failed: command: command exited with code 3"
    assert job["result"]["exit_code"] == 3 and job["result"]["runner"] == "command"
    assert any(line["message"] == "nope" and line["level"] == "warn" for line in logs)
    no_worker: JobView = scene.container.jobs().get(scene.app_id, orphan_id)
    assert no_worker.state == JobState.FAILED
    assert no_worker.error_message == "no worker for job type"


def test_canceling_a_running_gate_kills_its_command(scene: Scene) -> None:
    repos = scene.container.repositories()
    app = repos.apps.get(scene.app_id)
    gates = msgspec.structs.replace(
        app.settings.validation_gates, submit=GateConfig(command="echo started; sleep 60")
    )
    app.settings = msgspec.structs.replace(app.settings, validation_gates=gates)
    repos.apps.save(app)
    job_id = scene.submit(scene.commit({"entities/order.yaml": GOOD_ENTITY}, "ws/slow"))
    queue, jobs = scene.container.job_queue(), scene.container.jobs()
    runner = scene.container.job_runner()
    runner.start()
    try:
        deadline = time.monotonic() + WAIT_S
        while not any(line.message == "started" for line in queue.read_logs(job_id).items):
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.05)
        requested = jobs.cancel(scene.app_id, job_id, Actor(user_id=scene.admin.id), None)
        assert requested.state == JobState.RUNNING and requested.cancel_requested
        while queue.get(job_id).state != JobState.CANCELED:
            assert time.monotonic() < deadline, "the job was not canceled"
            time.sleep(0.05)
    finally:
        runner.stop(10)
    job, _ = _api_job(scene, job_id)
    assert job["state"] == "canceled" and job["result"] is None
