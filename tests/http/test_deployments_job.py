"""The deploy_release job (DOMAIN.md §14.4, §14.5, §14.7, §15.8)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from conman_domain.errors import ConmanError
from conman_domain.model import (
    ChangesetRevision,
    JobState,
    OverrideSnapshot,
    TypedValue,
    ValueType,
)
from conman_domain.model.overrides import OverrideOperation, SecretOverride
from conman_domain.model.profiles import MigrationSettings
from conman_domain.ports.runner import CommandEnv, CommandResult, Materializer
from conman_domain.ports.secrets import SecretAad
from conman_domain.usecases.apps import repo_ref
from conman_domain.usecases.deployment_services import DeploymentServices
from tests.http.changeset_world import World, changeset_world
from tests.http.release_world import Run
from tests.http.test_deployments_support import (
    StoppingRun,
    deploy,
    env_ids,
    published,
    run_deploy,
    set_deploy_command,
)


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with changeset_world(tmp_path) as world:
        yield world


def _ref(w: World, ref: str) -> str | None:
    return w.git.resolve(repo_ref(w.app), ref)


def _deployment(w: World, deployment_id: str) -> dict[str, object]:
    data: dict[str, object] = w.call("GET", w.cm, f"/deployments/{deployment_id}").json()["data"]
    return data


def test_a_successful_deploy_moves_the_env_ref_and_records_the_environment(w: World) -> None:
    release = published(w, "config/a.json")
    dev = w.environments()[0]
    data = deploy(w, dev.id, "deploy", {"release_id": release["id"]}).json()["data"]
    job, result, _ = run_deploy(w)
    assert job.state == JobState.SUCCEEDED, result
    assert _ref(w, dev.branch_ref) == release["published_sha"]
    got = _deployment(w, data["id"])
    assert got["state"] == "succeeded"
    assert got["started_at"] is not None and got["completed_at"] is not None
    env = w.repos.environments.get(dev.id)
    assert env.current_release_id == release["id"]
    assert env.current_deployment_id == data["id"]
    assert env.applied_state is not None
    assert env.applied_state.deployment_id == data["id"]
    profile = w.repos.runtime_profiles.get(dev.runtime_profile_id)
    assert env.applied_state.profile_revision_id == profile.current_revision_id
    assert w.repos.drift_acknowledgements.count({"environment_id": dev.id}) == 1
    rel = w.call("GET", w.cm, f"/releases/{release['id']}").json()["data"]
    assert rel["state"] == "deployed_partial"
    assert rel["deployed_environment_ids"] == [dev.id]
    actions = w.audit_actions()
    assert actions.index("deployment.started") < actions.index("deployment.succeeded")
    assert w.outbox_for("deployment_succeeded")


def test_a_release_deployed_everywhere_is_deployed_full(w: World) -> None:
    release = published(w, "config/a.json")
    rid, envs = release["id"], env_ids(w)
    assert deploy(w, envs[0], "deploy", {"release_id": rid}).status_code == 201
    run_deploy(w)
    for env_id in envs[1:]:
        assert deploy(w, env_id, "promote", {"release_id": rid}).status_code == 201
        job, result, _ = run_deploy(w)
        assert job.state == JobState.SUCCEEDED, result
    rel = w.call("GET", w.cm, f"/releases/{rid}").json()["data"]
    assert rel["state"] == "deployed_full"


def test_a_failing_deploy_gate_fails_the_validation_step(w: World) -> None:
    release = published(w, "config/a.json")
    set_deploy_command(w, None, gate="check.sh")
    dev = w.environments()[0]
    data = deploy(w, dev.id, "deploy", {"release_id": release["id"]}).json()["data"]
    job, result, ctx = run_deploy(w, verdict=lambda _tree: 3)
    assert job.state == JobState.FAILED
    assert isinstance(result, ConmanError)
    assert job.result is not None and job.result["passed"] is False
    assert ctx.envs[0].metadata.gate == "deploy"
    got = _deployment(w, data["id"])
    assert (got["state"], got["failed_step"]) == ("failed", "validation")
    assert _ref(w, dev.branch_ref) is None
    assert "deployment.failed" in w.audit_actions()


def test_a_failing_deploy_command_restores_the_previous_env_ref(w: World) -> None:
    first = published(w, "config/a.json")
    second = published(w, "config/b.json")
    dev = w.environments()[0]
    deploy(w, dev.id, "deploy", {"release_id": first["id"]})
    run_deploy(w)
    set_deploy_command(w, "deploy.sh")
    data = deploy(w, dev.id, "deploy", {"release_id": second["id"]}).json()["data"]
    seen: list[bool] = []

    def verdict(tree: Path) -> int:
        seen.append((tree / "config" / "b.json").exists())
        return 1

    job, _, _ = run_deploy(w, verdict=verdict)
    assert job.state == JobState.FAILED
    assert seen == [True]
    got = _deployment(w, data["id"])
    assert (got["state"], got["failed_step"]) == ("failed", "deploy_command")
    assert "exited with code 1" in str(got["error_message"])
    assert _ref(w, dev.branch_ref) == first["published_sha"]
    assert w.repos.environments.get(dev.id).current_release_id == first["id"]


def test_a_failing_first_deploy_command_deletes_the_new_env_ref(w: World) -> None:
    release = published(w, "config/a.json")
    set_deploy_command(w, "deploy.sh")
    dev = w.environments()[0]
    deploy(w, dev.id, "deploy", {"release_id": release["id"]})
    job, _, _ = run_deploy(w, verdict=lambda _tree: 2)
    assert job.state == JobState.FAILED
    assert _ref(w, dev.branch_ref) is None


def test_a_cancel_requested_before_a_step_ends_the_deployment_canceled(w: World) -> None:
    release = published(w, "config/a.json")
    dev = w.environments()[0]
    data = deploy(w, dev.id, "deploy", {"release_id": release["id"]}).json()["data"]
    job, result, _ = run_deploy(w, stopping=True)
    assert isinstance(result, dict) and result["canceled"] is True
    assert job.state == JobState.CANCELED
    assert _deployment(w, data["id"])["state"] == "canceled"
    assert _ref(w, dev.branch_ref) is None


def test_canceling_a_running_deployment_requests_the_job_cancel(w: World) -> None:
    release = published(w, "config/a.json")
    data = deploy(w, env_ids(w)[0], "deploy", {"release_id": release["id"]}).json()["data"]
    w.env.clock.advance(seconds=1)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, ["deploy_release"])
    assert job is not None
    w.repos.deployments.set_fields(
        data["id"], w.repos.deployments.get(data["id"]).version, {"state": "running"}
    )
    response = w.call("POST", w.cm, f"/deployments/{data['id']}/cancel")
    assert response.status_code == 200
    assert response.json()["data"]["state"] == "running"
    assert w.queue.get(job.id).cancel_requested is True


def test_release_overrides_write_a_profile_revision_on_success(w: World) -> None:
    release = published(w, "config/a.json")
    dev = w.environments()[0]
    member = release["changesets"][0]["changeset_id"]
    cs = w.repos.changesets.get(member)
    override = OverrideSnapshot(
        target_environment_id=dev.id,
        target_profile_id=dev.runtime_profile_id,
        env_var_overrides_typed={"FEATURE": TypedValue(type=ValueType.STRING, value="on")},
    )
    w.repos.changeset_revisions.insert(
        ChangesetRevision(
            id=w.env.services.deps.ids.new_id(), created_at=w.env.clock.now(),
            changeset_id=cs.id, revision_number=cs.current_revision, head_sha=cs.head_sha,
            base_sha=cs.base_sha, profile_overrides_snapshot=[override], created_by=w.cm.id,
        )
    )  # fmt: skip
    set_deploy_command(w, "deploy.sh")
    data = deploy(w, dev.id, "deploy", {"release_id": release["id"]}).json()["data"]
    job, result, ctx = run_deploy(w)
    assert job.state == JobState.SUCCEEDED, result
    assert ctx.envs[0].variables["FEATURE"].value == "on"
    profile = w.repos.runtime_profiles.get(dev.runtime_profile_id)
    assert profile.env_vars["FEATURE"].value == "on"
    revision = w.repos.profile_revisions.get(profile.current_revision_id or "")
    assert revision.change_kind == "release_overrides"
    assert revision.source_release_id == release["id"]
    assert _deployment(w, data["id"])["profile_revision_id"] == revision.id


def test_pending_migrations_run_once_each_in_byte_order(w: World) -> None:
    w.commit_branch("db/2_b.sql", b"b", branch="main")
    w.commit_branch("db/10_a.sql", b"a", branch="main")
    release = published(w, "config/a.json")
    dev = w.environments()[0]
    profile = w.repos.runtime_profiles.get(dev.runtime_profile_id)
    profile.migrations = MigrationSettings(
        repo_paths=["db"], command_ref="migrate.sh", applied_state_ref="state"
    )
    w.repos.runtime_profiles.save(profile)
    data = deploy(w, dev.id, "deploy", {"release_id": release["id"]}).json()["data"]
    job, result, ctx = run_deploy(w)
    assert job.state == JobState.SUCCEEDED, result
    ran = [e.extra["CONMAN_MIGRATION_ID"] for e in ctx.envs if e.extra]
    assert ran == ["db/10_a.sql", "db/2_b.sql"]
    got = _deployment(w, data["id"])
    execution = w.repos.migration_executions.get(str(got["migration_execution_id"]))
    assert [m.status for m in execution.applied_migrations] == ["succeeded", "succeeded"]
    applied = w.repos.environments.get(dev.id).applied_state
    assert applied is not None and applied.migration_ids == ["db/10_a.sql", "db/2_b.sql"]
    second = published(w, "config/b.json")
    deploy(w, dev.id, "deploy", {"release_id": second["id"]})
    _, _, again = run_deploy(w)
    assert [e for e in again.envs if e.extra] == []


def test_a_failing_migration_fails_the_migrations_step(w: World) -> None:
    w.commit_branch("db/1.sql", b"x", branch="main")
    w.commit_branch("db/2.sql", b"y", branch="main")
    release = published(w, "config/a.json")
    dev = w.environments()[0]
    profile = w.repos.runtime_profiles.get(dev.runtime_profile_id)
    profile.migrations = msgspec.structs.replace(
        profile.migrations, repo_paths=["db"], command_ref="migrate.sh"
    )
    w.repos.runtime_profiles.save(profile)
    data = deploy(w, dev.id, "deploy", {"release_id": release["id"]}).json()["data"]
    job, _, _ = run_deploy(w, verdict=lambda _tree: 1)
    assert job.state == JobState.FAILED
    got = _deployment(w, data["id"])
    assert (got["state"], got["failed_step"]) == ("failed", "migrations")
    assert _ref(w, dev.branch_ref) is None
    execution = w.repos.migration_executions.get(str(got["migration_execution_id"]))
    assert execution.status == "failed"
    assert [(m.id, m.status) for m in execution.applied_migrations] == [
        ("db/1.sql", "failed"),
        ("db/2.sql", "skipped"),
    ]
    assert "db/1.sql" in str(got["error_message"])


class _CanceledCommand(Run):
    """The deploy command is killed because the job's cancel was requested."""

    def run_command(
        self, command: str, *, materialize: Materializer, env: CommandEnv, timeout_seconds: float
    ) -> CommandResult:
        self.envs.append(env)
        return CommandResult(exit_code=-15, canceled=True, duration_ms=1)


def test_a_cancel_during_the_deploy_command_restores_the_env_ref(w: World) -> None:
    first = published(w, "config/a.json")
    second = published(w, "config/b.json")
    dev = w.environments()[0]
    deploy(w, dev.id, "deploy", {"release_id": first["id"]})
    run_deploy(w)
    set_deploy_command(w, "deploy.sh")
    data = deploy(w, dev.id, "deploy", {"release_id": second["id"]}).json()["data"]
    services: DeploymentServices = w.env.container.deployments()
    w.env.clock.advance(seconds=1)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, ["deploy_release"])
    assert job is not None
    w.queue.cancel(job.id, w.env.clock.now())
    result = services.deploy_job(_CanceledCommand(job))
    assert result["canceled"] is True
    assert _deployment(w, data["id"])["state"] == "canceled"
    assert _ref(w, dev.branch_ref) == first["published_sha"]
    assert "deployment.canceled" in w.audit_actions()


def test_a_running_deployment_whose_job_ended_is_failed_as_worker_lost(w: World) -> None:
    release = published(w, "config/a.json")
    data = deploy(w, env_ids(w)[0], "deploy", {"release_id": release["id"]}).json()["data"]
    w.env.clock.advance(seconds=1)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, ["deploy_release"])
    assert job is not None
    current = w.repos.deployments.get(data["id"])
    w.repos.deployments.set_fields(current.id, current.version, {"state": "running"})
    services: DeploymentServices = w.env.container.deployments()
    assert services.recover() == 0  # the job still runs
    w.queue.fail(job.id, "w/1", "lease expired", w.env.clock.now(), False)
    assert services.recover() == 1
    got = _deployment(w, data["id"])
    assert (got["state"], got["error_message"]) == ("failed", "worker lost")
    assert services.recover() == 0


def test_a_job_stopped_without_a_cancel_fails_the_deployment(w: World) -> None:
    release = published(w, "config/a.json")
    data = deploy(w, env_ids(w)[0], "deploy", {"release_id": release["id"]}).json()["data"]
    services: DeploymentServices = w.env.container.deployments()
    w.env.clock.advance(seconds=1)
    job = w.queue.claim("w/1", w.env.clock.now(), 60, ["deploy_release"])
    assert job is not None
    with pytest.raises(ConmanError):
        services.deploy_job(StoppingRun(job))
    got = _deployment(w, data["id"])
    assert (got["state"], got["failed_step"]) == ("failed", "drift")


def _override_release(w: World, override: OverrideSnapshot) -> dict[str, object]:
    release = published(w, "config/a.json")
    cs = w.repos.changesets.get(release["changesets"][0]["changeset_id"])
    w.repos.changeset_revisions.insert(
        ChangesetRevision(
            id=w.env.services.deps.ids.new_id(), created_at=w.env.clock.now(),
            changeset_id=cs.id, revision_number=cs.current_revision, head_sha=cs.head_sha,
            base_sha=cs.base_sha, profile_overrides_snapshot=[override], created_by=w.cm.id,
        )
    )  # fmt: skip
    return release


def test_a_secret_override_reaches_the_command_and_the_profile(w: World) -> None:
    dev = w.environments()[0]
    cipher = w.env.container.cipher()
    aad = SecretAad(app_id=w.app_id, profile_id=dev.runtime_profile_id, key="API_KEY")
    record = cipher.encrypt("sekret-value-123", aad)
    override = OverrideSnapshot(
        target_environment_id=dev.id,
        target_profile_id=dev.runtime_profile_id,
        secret_overrides_encrypted={
            "API_KEY": SecretOverride(operation=OverrideOperation.SET, record=record)
        },
    )
    release = _override_release(w, override)
    set_deploy_command(w, "deploy.sh")
    deploy(w, dev.id, "deploy", {"release_id": release["id"]})
    job, result, ctx = run_deploy(w)
    assert job.state == JobState.SUCCEEDED, result
    assert ctx.envs[0].secrets["API_KEY"] == "sekret-value-123"
    profile = w.repos.runtime_profiles.get(dev.runtime_profile_id)
    assert cipher.decrypt(profile.secrets["API_KEY"], aad) == "sekret-value-123"
    before = profile.current_revision
    # Deploying the same overrides again changes nothing: no new revision.
    deploy(w, w.environments()[1].id, "promote", {"release_id": release["id"]})
    run_deploy(w)
    deploy(w, dev.id, "deploy", {"release_id": release["id"]})
    run_deploy(w)
    assert w.repos.runtime_profiles.get(dev.runtime_profile_id).current_revision == before
