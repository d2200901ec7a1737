"""``conman validate PATH`` over good and broken sample trees on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from conman_adapters.container import build_container
from conman_adapters.system import SystemIds
from conman_cli.common import load_config
from conman_cli.validate import read_directory, validate
from conman_domain.gitmodel import ZERO_OID, FileAction, RepoRef, Signature
from conman_domain.model import App


def make_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


GOOD = {
    "config/entities/customer.yaml": "name: Customer\n",
    "config/pages/home.json": '{"name": "home", "entity": "Customer"}',
    "menus/main.yml": "name: main\npages: [home]\n",
}


def test_a_good_directory_passes_with_exit_0(tmp_path: Path) -> None:
    make_tree(tmp_path, GOOD)
    result = CliRunner().invoke(validate, [str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "validation passed" in result.output


def test_a_broken_directory_fails_with_exit_1_and_names_file_and_line(tmp_path: Path) -> None:
    make_tree(tmp_path, {**GOOD, "config/queues/q.yaml": "name: q\nbad: [\n"})
    result = CliRunner().invoke(validate, [str(tmp_path)])
    assert result.exit_code == 1
    assert "config/queues/q.yaml:3: invalid JSON/YAML:" in result.output


def test_json_output_is_the_result_struct(tmp_path: Path) -> None:
    make_tree(tmp_path, {**GOOD, "pages/other.yaml": "name: home\n"})
    result = CliRunner().invoke(validate, [str(tmp_path), "--json"])
    assert result.exit_code == 1
    document = json.loads(result.output)
    assert document["passed"] is False
    assert document["runner"] == "builtin"
    assert document["failures"] == [
        {
            "path": "pages/other.yaml",
            "message": 'duplicate page name "home" (also in config/pages/home.json)',
        }
    ]
    assert set(document) == {"passed", "runner", "checks", "failures", "duration_ms"}


def test_a_path_that_is_not_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(validate, [str(tmp_path / "missing")])
    assert result.exit_code == 2
    assert "not a directory" in result.output


def test_the_git_directory_and_symlinks_are_not_read(tmp_path: Path) -> None:
    make_tree(tmp_path, {"a.json": "{}", ".git/config.json": "[", "notes.txt": "x"})
    (tmp_path / "link.json").symlink_to(tmp_path / "a.json")
    assert read_directory(tmp_path) == {"a.json": b"{}"}


def _seed_app(data_dir: Path) -> tuple[str, str]:
    """An app whose repository has a good first commit and a broken second one on main;
    returns (app id, sha of the good commit)."""
    settings, _ = load_config({"CONMAN_DATA_DIR": str(data_dir)})
    container = build_container(settings)
    now = datetime.now(UTC)
    app = App(
        id=SystemIds().new_id(),
        created_at=now,
        updated_at=now,
        name="shop",
        repo_path="shop.git",
        created_by="u" * 24,
    )
    container.repositories().apps.insert(app)
    git = container.git()
    repo = RepoRef(relative_path=app.repo_path, gl_repository=f"app-{app.id}")
    git.create_repository(repo, default_branch="main")
    author = Signature(name="A", email="a@example.com", when=now)

    def commit(parent: str | None, path: str, text: str) -> str:
        return git.commit_files(
            repo,
            ref="refs/heads/main",
            parent=parent,
            expected_old=parent or ZERO_OID,
            actions=[FileAction(action="create", path=path, content=text.encode())],
            message="x",
            author=author,
        )

    good = commit(None, "entities/a.json", '{"name": "A"}')
    commit(good, "pages/p.yaml", "name: p\nentity: Missing\n")
    container.store().close()
    return app.id, good


def test_a_ref_of_an_app_repository_is_validated(tmp_path: Path) -> None:
    app_id, good = _seed_app(tmp_path)
    env = {"CONMAN_DATA_DIR": str(tmp_path)}
    broken = CliRunner(env=env).invoke(validate, ["main", "--app", app_id, "--json"])
    assert broken.exit_code == 1, broken.output
    assert json.loads(broken.output)["failures"] == [
        {"path": "pages/p.yaml", "message": 'unresolved reference to entity "Missing"'}
    ]
    passed = CliRunner(env=env).invoke(validate, [good, "--app", app_id])
    assert passed.exit_code == 0, passed.output


def test_an_unknown_app_or_ref_exits_3(tmp_path: Path) -> None:
    app_id, _ = _seed_app(tmp_path)
    env = {"CONMAN_DATA_DIR": str(tmp_path)}
    assert CliRunner(env=env).invoke(validate, ["nope", "--app", app_id]).exit_code == 3
    assert CliRunner(env=env).invoke(validate, ["main", "--app", "f" * 24]).exit_code == 3
