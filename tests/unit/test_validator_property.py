"""The built-in validator agrees with a simple model on random config trees."""

from __future__ import annotations

import itertools
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from conman_domain.validator import CONFIG_OBJECT_TYPES, run_builtin_validator

PLURAL = {t: ("entities" if t == "entity" else f"{t}s") for t in CONFIG_OBJECT_TYPES}
NAMES = st.sampled_from(["a", "b", "c", "d"])
TYPES = st.sampled_from(CONFIG_OBJECT_TYPES)

config_object = st.fixed_dictionaries(
    {
        "type": TYPES,
        "name": NAMES,
        "refs": st.lists(st.tuples(TYPES, NAMES), max_size=3),
        "as_list": st.booleans(),
        "yaml": st.booleans(),
        "under_config": st.booleans(),
    }
)


@settings(max_examples=150, deadline=None)
@given(st.lists(config_object, max_size=8))
def test_duplicates_and_unresolved_references_match_the_model(
    objects: list[dict[str, Any]],
) -> None:
    files: dict[str, bytes] = {}
    expected: set[tuple[str, str]] = set()
    for index, obj in enumerate(objects):
        prefix = "config/" if obj["under_config"] else ""
        ext = "yaml" if obj["yaml"] else "json"
        path = f"{prefix}{PLURAL[obj['type']]}/{index:02d}.{ext}"
        body: dict[str, object] = {"name": obj["name"]}
        nested: list[dict[str, object]] = []
        for ref_type, ref_name in obj["refs"]:
            key = PLURAL[ref_type] if obj["as_list"] else ref_type
            nested.append({key: [ref_name] if obj["as_list"] else ref_name})
        body["items"] = nested
        files[path] = json.dumps(body).encode()  # JSON is valid YAML too
        obj["path"] = path

    first: dict[tuple[str, str], str] = {}
    for obj in sorted(objects, key=lambda o: o["path"]):
        key = (obj["type"], obj["name"])
        if key in first:
            message = f'duplicate {obj["type"]} name "{obj["name"]}" (also in {first[key]})'
            expected.add((obj["path"], message))
        else:
            first[key] = obj["path"]
    for obj in objects:
        for ref_type, ref_name in obj["refs"]:
            if (ref_type, ref_name) not in first:
                expected.add((obj["path"], f'unresolved reference to {ref_type} "{ref_name}"'))

    ticks = itertools.count()
    result = run_builtin_validator(files, lambda: float(next(ticks)))
    assert {(f.path, f.message) for f in result.failures} == expected
    assert result.passed is (not expected)
    assert [f.path for f in result.failures] == sorted(f.path for f in result.failures)
