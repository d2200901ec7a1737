"""The built-in validator (DOMAIN.md §11.3) over good and broken sample config trees."""

from __future__ import annotations

import itertools

import msgspec

from conman_domain.validator import (
    ValidationFailure,
    config_type_of,
    run_builtin_validator,
)


def _ticks() -> itertools.count[float]:
    return itertools.count(0.0, 0.25)


def validate(files: dict[str, str]) -> list[ValidationFailure]:
    ticks = _ticks()
    result = run_builtin_validator(
        {path: text.encode() for path, text in files.items()}, lambda: next(ticks)
    )
    assert result.passed is (not result.failures)
    return result.failures


GOOD_TREE = {
    "config/app.yaml": "title: Shop\n",
    "config/entities/customer.json": '{"name": "Customer", "type": "entity", "fields": []}',
    "entities/order.yaml": "name: Order\nfields:\n  - name: customer\n    entity: Customer\n",
    "config/queues/billing.yml": "name: billing\n",
    "config/pages/home.yaml": "name: home\nentity: Order\nsections:\n  - entities: [Customer]\n",
    "menus/main.json": '{"name": "main", "pages": ["home"], "items": [{"page": "home"}]}',
    "workflows/checkout.yaml": "name: checkout\nsteps:\n  - queue: billing\n",
    "assets/logo.json": '{"no": "identity needed"}',
    "scripts/run.sh": "#!/bin/sh\n",
    "README.md": "# not parsed\n",
}


def test_a_consistent_tree_passes_with_a_builtin_result() -> None:
    ticks = _ticks()
    result = run_builtin_validator(
        {path: text.encode() for path, text in GOOD_TREE.items()}, lambda: next(ticks)
    )
    assert result.passed
    assert result.runner == "builtin"
    assert result.failures == []
    assert result.checks > len([p for p in GOOD_TREE if p.endswith((".json", ".yaml", ".yml"))])
    assert result.duration_ms == 250


def test_result_encodes_without_absent_line_or_exit_code() -> None:
    ticks = _ticks()
    result = run_builtin_validator({"entities/a.json": b"{}"}, lambda: next(ticks))
    encoded = msgspec.json.decode(msgspec.json.encode(result))
    assert encoded == {
        "passed": False,
        "runner": "builtin",
        "checks": 2,
        "failures": [{"path": "entities/a.json", "message": 'missing identity key "name"'}],
        "duration_ms": 250,
    }


def test_broken_json_reports_the_parser_message_and_line() -> None:
    failures = validate({"config/entities/a.json": '{\n  "name": "A",\n  oops\n}'})
    assert len(failures) == 1
    assert failures[0].path == "config/entities/a.json"
    assert failures[0].line == 3
    assert failures[0].message.startswith("invalid JSON/YAML: Expecting")


def test_broken_yaml_reports_the_parser_message_and_line() -> None:
    failures = validate({"pages/home.yaml": "name: home\nsections: [a, b\nother: 1\n"})
    assert len(failures) == 1
    assert failures[0].message.startswith("invalid JSON/YAML: ")
    assert failures[0].line == 3


def test_several_yaml_documents_count_as_unparseable() -> None:
    failures = validate({"config/app.yaml": "a: 1\n---\nb: 2\n"})
    assert [f.path for f in failures] == ["config/app.yaml"]
    assert "single document" in failures[0].message
    assert failures[0].line == 2


def test_non_utf8_bytes_are_a_parse_failure_with_a_line() -> None:
    ticks = _ticks()
    result = run_builtin_validator({"x.yml": b"a: 1\nb: \xff\n"}, lambda: next(ticks))
    assert [(f.path, f.line) for f in result.failures] == [("x.yml", 2)]


def test_unparseable_files_outside_config_types_still_fail() -> None:
    failures = validate({"docs/notes.json": "[1,", "scripts/a.yaml": "a: [", "b.txt": "[1,"})
    assert [f.path for f in failures] == ["docs/notes.json", "scripts/a.yaml"]


def test_config_object_without_name_fails_identity() -> None:
    failures = validate(
        {
            "entities/a.json": '{"title": "x"}',
            "entities/b.json": '{"name": ""}',
            "entities/c.json": '{"name": 3}',
            "entities/d.json": "[1, 2]",
            "tenants/e.yaml": "",
        }
    )
    assert [(f.path, f.message) for f in failures] == [
        (path, 'missing identity key "name"')
        for path in ("entities/a.json", "entities/b.json", "entities/c.json")
    ] + [
        ("entities/d.json", 'missing identity key "name"'),
        ("tenants/e.yaml", 'missing identity key "name"'),
    ]


def test_type_must_match_the_directory_type() -> None:
    failures = validate(
        {
            "config/providers/p.yaml": "name: stripe\ntype: page\n",
            "providers/q.yaml": "name: paypal\ntype: provider\n",
        }
    )
    assert [(f.path, f.message) for f in failures] == [
        ("config/providers/p.yaml", 'type "page" does not match directory type "provider"')
    ]


def test_duplicate_names_within_a_type_fail_on_the_later_path() -> None:
    failures = validate(
        {
            "entities/b.json": '{"name": "Customer"}',
            "config/entities/a.json": '{"name": "Customer"}',
            "entities/c.yaml": "name: Customer\n",
            "pages/customer.yaml": "name: Customer\n",
        }
    )
    assert [(f.path, f.message) for f in failures] == [
        ("entities/b.json", 'duplicate entity name "Customer" (also in config/entities/a.json)'),
        ("entities/c.yaml", 'duplicate entity name "Customer" (also in config/entities/a.json)'),
    ]


def test_unresolved_references_at_any_depth_fail() -> None:
    failures = validate(
        {
            "entities/order.json": '{"name": "Order"}',
            "queues/q.yaml": "name: billing\n",
            "pages/home.yaml": (
                "name: home\nentity: Order\nblocks:\n  - widget:\n      entity: Ghost\n"
                "  - queues: [billing, missing]\n"
            ),
            "menus/main.yaml": "name: main\nitems:\n  - page: nowhere\n  - page: home\n",
            "workflows/w.yaml": "name: w\nentitys: [Order, Nope]\nworkflow: w\n",
        }
    )
    assert [(f.path, f.message) for f in failures] == [
        ("menus/main.yaml", 'unresolved reference to page "nowhere"'),
        ("pages/home.yaml", 'unresolved reference to entity "Ghost"'),
        ("pages/home.yaml", 'unresolved reference to queue "missing"'),
        ("workflows/w.yaml", 'unresolved reference to entity "Nope"'),
    ]


def test_values_that_are_not_names_are_not_references() -> None:
    failures = validate(
        {
            "pages/home.yaml": (
                "name: home\npage: {title: nested}\nentities: [1, 2]\nqueue: 7\nmenus: Main\n"
            ),
        }
    )
    assert failures == []


def test_top_level_type_and_name_are_not_references() -> None:
    failures = validate({"menus/m.yaml": "name: m\ntype: menu\n"})
    assert failures == []


def test_the_same_unresolved_reference_is_reported_once_per_file() -> None:
    failures = validate({"pages/a.yaml": "name: a\nx: {entity: E}\ny: {entity: E}\n"})
    assert [f.message for f in failures] == ['unresolved reference to entity "E"']


def test_yaml_alias_bombs_and_cycles_do_not_blow_up_the_walk() -> None:
    lines = ["name: bomb", "a0: &a0 {entity: Ghost}"]
    lines += [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}]" for i in range(1, 30)]
    lines.append("cycle: &c [*c]")
    failures = validate({"pages/bomb.yaml": "\n".join(lines) + "\n"})
    assert [f.message for f in failures] == ['unresolved reference to entity "Ghost"']


def test_assets_and_scripts_are_not_config_objects() -> None:
    assert validate({"assets/a.json": "{}", "config/scripts/s.yaml": "entity: Ghost\n"}) == []


def test_config_type_classification_follows_the_first_or_second_directory() -> None:
    assert config_type_of("entities/a.json") == "entity"
    assert config_type_of("config/pages/home.yaml") == "page"
    assert config_type_of("config/app.yaml") == "other"
    assert config_type_of("entity/sub/x.yml") == "entity"
    assert config_type_of("queues.json") == "other"
    assert config_type_of("src/entities/a.json") == "other"
    assert config_type_of("config/config/menus/a.json") == "other"


def test_deeply_nested_documents_fail_instead_of_crashing() -> None:
    deep = '{"name": "d", "x": ' + "[" * 5000 + "]" * 5000 + "}"
    failures = validate({"entities/deep.json": deep})
    assert [f.path for f in failures] == ["entities/deep.json"]


def test_a_leading_utf8_bom_is_tolerated() -> None:
    ticks = _ticks()
    files = {
        "entities/a.json": b'\xef\xbb\xbf{"name": "A"}',
        "pages/p.yaml": b"\xef\xbb\xbfname: p\n",
    }
    assert run_builtin_validator(files, lambda: next(ticks)).passed
