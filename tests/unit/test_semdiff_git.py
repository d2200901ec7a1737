"""The semantic diff read from git: only changed paths, renames seen as moves."""

from __future__ import annotations

from workspace_support import World

from conman_adapters.memory import InMemoryGit
from conman_domain.semdiff import semantic_diff_between


def test_the_diff_between_two_commits_reads_only_what_changed() -> None:
    world = World(InMemoryGit())
    base = world.integration_head
    head = world.commit_main(
        {
            "entities/customer.yaml": b"name: Customer\nfields:\n  email:\n    type: email\n",
            "pages/home.json": None,
            "config/pages/home.json": b'{"entity": "Customer", "name": "Home"}',
            "README.md": None,
        }
    )
    result = semantic_diff_between(world.git, world.repo, base, head)
    summary = [
        (c.operation, c.file_path, c.details.key_path if c.details else None)
        for c in result.changes
    ]
    assert summary == [
        ("removed", "README.md", None),
        ("moved", "config/pages/home.json", None),
        ("modified", "entities/customer.yaml", "fields.email.type"),
    ]
    assert (result.base_sha, result.head_sha) == (base, head)


def test_a_diff_from_the_empty_tree_adds_every_file() -> None:
    world = World(InMemoryGit())
    result = semantic_diff_between(world.git, world.repo, None, world.integration_head)
    assert [c.operation for c in result.changes] == ["added"] * 3
    assert result.summary.by_config_type.entity == 1
