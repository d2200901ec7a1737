"""Properties of the semantic diff over random JSON documents."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conman_domain.semdiff import semantic_diff

KEYS = st.sampled_from(["name", "id", "fields", "type", "label", "items", "x"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text("ab", max_size=3))
VALUES: st.SearchStrategy[Any] = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(KEYS, inner, max_size=4),
        st.lists(
            st.fixed_dictionaries({"name": st.sampled_from("pqr")}, optional={"v": inner}),
            max_size=3,
        ),
    ),
    max_leaves=12,
)
DOCS = st.dictionaries(KEYS, VALUES, max_size=5)


def encode(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc).encode()


@settings(max_examples=150, deadline=None)
@given(base=DOCS, head=DOCS)
def test_changes_are_unique_ordered_and_empty_exactly_when_documents_are_equal(
    base: dict[str, Any], head: dict[str, Any]
) -> None:
    result = semantic_diff(
        {"entities/e.json": encode(base)},
        {"entities/e.json": encode(head)},
        base_sha=None,
        head_sha="h" * 40,
    )
    ids = [c.id for c in result.changes]
    assert len(ids) == len(set(ids))
    keys = [c.details.key_path or "" if c.details else "" for c in result.changes]
    assert keys == sorted(keys)
    assert (
        result.summary.total_changes == len(result.changes) == result.summary.by_config_type.entity
    )
    same = json.dumps(base, sort_keys=True) == json.dumps(head, sort_keys=True)
    assert (result.changes == []) == same
    reverse = semantic_diff(
        {"entities/e.json": encode(head)},
        {"entities/e.json": encode(base)},
        base_sha=None,
        head_sha="h" * 40,
    )
    flipped = {"added": "removed", "removed": "added", "modified": "modified"}
    assert sorted(
        (k, flipped[c.operation]) for k, c in zip(keys, result.changes, strict=True)
    ) == sorted(
        (c.details.key_path or "" if c.details else "", c.operation) for c in reverse.changes
    )
