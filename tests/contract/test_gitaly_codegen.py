"""The committed generated code in ``conman_adapters/gitaly/_pb`` is not stale."""

from __future__ import annotations

from pathlib import Path

from conman_adapters.gitaly.codegen import PB_DIR, generate


def _tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def test_regenerating_the_protos_reproduces_the_committed_code(tmp_path: Path) -> None:
    generate(tmp_path / "_pb")
    fresh = _tree(tmp_path / "_pb")
    committed = _tree(PB_DIR)
    assert sorted(fresh) == sorted(committed), "run `make proto`: the file set changed"
    stale = [name for name in fresh if fresh[name] != committed[name]]
    assert stale == [], f"run `make proto`: stale generated files {stale}"


def test_generation_is_deterministic(tmp_path: Path) -> None:
    generate(tmp_path / "a")
    generate(tmp_path / "b")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")


def test_generated_imports_are_absolute_package_imports() -> None:
    for path in PB_DIR.glob("*_pb2*.py*"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.startswith(("import ", "from ")) and "_pb2" in line:
                assert line.startswith(
                    ("from conman_adapters.gitaly._pb import", "from google.protobuf import")
                ), (path, line)
