"""Semantic diff over realistic DxFlow config trees (DOMAIN.md §10)."""

from __future__ import annotations

import hashlib
import json

import msgspec

from conman_domain.semdiff import SemanticChange, SemanticDiff, semantic_diff

BASE = "a" * 40
HEAD = "b" * 40

PAYMENT_BASE = b"""\
name: PaymentProvider
type: entity
fields:
  amount:
    type: number
    required: true
  currency:
    type: string
"""

PAYMENT_HEAD = b"""\
name: PaymentProvider
type: entity
fields:
  amount:
    type: number
    required: true
  currency:
    type: string
  retryCount:
    type: number
    default: 3
"""

CHECKOUT_BASE = json.dumps(
    {
        "name": "Checkout",
        "entity": "PaymentProvider",
        "widgets": [
            {"name": "summary", "kind": "table", "columns": ["amount", "currency"]},
            {"name": "pay", "kind": "button", "label": "Pay"},
            {"name": "legacy", "kind": "text"},
        ],
    },
    indent=2,
).encode()

CHECKOUT_HEAD = json.dumps(
    {
        "name": "Checkout",
        "entity": "PaymentProvider",
        "widgets": [
            {"name": "pay", "kind": "button", "label": "Pay now"},
            {"name": "summary", "kind": "table", "columns": ["amount", "currency"]},
            {"name": "coupon", "kind": "input"},
        ],
    },
    indent=2,
).encode()


def diff(base: dict[str, bytes], head: dict[str, bytes]) -> SemanticDiff:
    return semantic_diff(base, head, base_sha=BASE, head_sha=HEAD)


def by_key(result: SemanticDiff) -> dict[tuple[str, str | None], SemanticChange]:
    return {(c.file_path, c.details.key_path if c.details else None): c for c in result.changes}


def test_a_nested_yaml_key_addition_is_one_item_with_lines_and_description() -> None:
    result = diff({"entities/payment.yaml": PAYMENT_BASE}, {"entities/payment.yaml": PAYMENT_HEAD})
    assert len(result.changes) == 1
    change = result.changes[0]
    assert change.operation == "added"
    assert change.config_type == "entity"
    assert change.target == "PaymentProvider"
    assert change.description == "Added `fields.retryCount` to entity `PaymentProvider`"
    assert (change.line_start, change.line_end) == (9, 11)
    assert change.details is not None
    assert change.details.key_path == "fields.retryCount"
    assert change.details.after == {"type": "number", "default": 3}
    expected = hashlib.sha256(b"entities/payment.yaml\nfields.retryCount\nadded").hexdigest()
    assert change.id == expected[:16]


def test_list_items_are_matched_by_name_and_reordering_is_ignored() -> None:
    result = diff({"pages/checkout.json": CHECKOUT_BASE}, {"pages/checkout.json": CHECKOUT_HEAD})
    changes = by_key(result)
    assert set(changes) == {
        ("pages/checkout.json", "widgets.coupon"),
        ("pages/checkout.json", "widgets.legacy"),
        ("pages/checkout.json", "widgets.pay.label"),
    }
    label = changes[("pages/checkout.json", "widgets.pay.label")]
    assert label.operation == "modified"
    assert label.details is not None
    assert (label.details.before, label.details.after) == ("Pay", "Pay now")
    assert label.description == "Changed `widgets.pay.label` in page `Checkout`"
    assert label.line_start == label.line_end == 8  # the head file line of "label"
    removed = changes[("pages/checkout.json", "widgets.legacy")]
    assert removed.operation == "removed" and removed.line_start is None
    assert removed.description == "Removed `widgets.legacy` from page `Checkout`"
    assert result.summary.by_config_type.page == 3


def test_lists_without_a_shared_identifier_are_compared_whole() -> None:
    base = b"name: Nightly\nsteps:\n  - fetch\n  - load\n"
    head = b"name: Nightly\nsteps:\n  - fetch\n  - transform\n  - load\n"
    result = diff({"workflows/nightly.yaml": base}, {"workflows/nightly.yaml": head})
    [change] = result.changes
    assert change.details is not None
    assert change.details.key_path == "steps"
    assert change.details.before == ["fetch", "load"]
    assert change.details.after == ["fetch", "transform", "load"]
    assert change.details.type_changed is None


def test_a_type_change_is_flagged_and_numbers_compare_by_value() -> None:
    base = b'{"name": "Jobs", "retries": 3, "ratio": 1, "enabled": 1}'
    head = b'{"name": "Jobs", "retries": "3", "ratio": 1.0, "enabled": true}'
    result = diff({"queues/jobs.json": base}, {"queues/jobs.json": head})
    changes = by_key(result)
    assert set(changes) == {("queues/jobs.json", "retries"), ("queues/jobs.json", "enabled")}
    retries = changes[("queues/jobs.json", "retries")].details
    assert retries is not None and retries.type_changed is True
    assert "type number → string" in changes[("queues/jobs.json", "retries")].description


def test_formatting_and_key_order_alone_are_no_change() -> None:
    base = b'{"name": "Home", "layout": {"a": 1, "b": [1, 2]}}'
    head = b'{\n  "layout": {"b": [1, 2], "a": 1},\n  "name": "Home"\n}\n'
    assert diff({"pages/home.json": base}, {"pages/home.json": head}).changes == []


def test_added_and_removed_files_are_whole_file_items_with_their_targets() -> None:
    result = diff(
        {"providers/stripe.yaml": b"name: Stripe\napiVersion: 2024\n"},
        {"tenants/acme.json": b'{"name": "Acme", "plan": "gold"}', "scripts/build.sh": b"echo\n"},
    )
    changes = by_key(result)
    removed = changes[("providers/stripe.yaml", None)]
    assert removed.operation == "removed" and removed.target == "Stripe"
    assert removed.details is not None and removed.details.before == {
        "name": "Stripe",
        "apiVersion": 2024,
    }
    added = changes[("tenants/acme.json", None)]
    assert added.operation == "added" and added.target == "Acme"
    assert added.description == "Added tenant `Acme` (`tenants/acme.json`)"
    script = changes[("scripts/build.sh", None)]
    assert script.target == "build" and script.config_type == "script"
    assert script.details is None and script.line_start is None


def test_a_moved_file_with_equal_parsed_content_is_one_moved_item() -> None:
    result = diff(
        {"menus/main.json": b'{"name": "Main", "items": ["home"]}'},
        {"config/menus/main-menu.yaml": b"name: Main\nitems:\n  - home\n"},
    )
    [change] = result.changes
    assert change.operation == "moved"
    assert change.file_path == "config/menus/main-menu.yaml"
    assert change.details is not None and change.details.old_path == "menus/main.json"
    assert change.description == (
        "Moved menu `Main` from `menus/main.json` to `config/menus/main-menu.yaml`"
    )


def test_identical_other_files_pair_up_in_path_order() -> None:
    result = diff(
        {"assets/a.png": b"PNG1", "assets/b.png": b"PNG1"},
        {"assets/x.png": b"PNG1", "assets/y.png": b"PNG1", "assets/z.png": b"PNG2"},
    )
    summary = [
        (c.operation, c.file_path, c.details.old_path if c.details else None)
        for c in result.changes
    ]
    assert summary == [
        ("moved", "assets/x.png", "assets/a.png"),
        ("moved", "assets/y.png", "assets/b.png"),
        ("added", "assets/z.png", None),
    ]


def test_unparseable_files_and_multi_document_yaml_are_one_whole_file_item() -> None:
    result = diff(
        {"entities/a.yaml": b"name: A\n", "entities/b.json": b'{"name": "B"}'},
        {"entities/a.yaml": b"name: A\n---\nname: A2\n", "entities/b.json": b'{"name": '},
    )
    assert [(c.file_path, c.operation, c.details) for c in result.changes] == [
        ("entities/a.yaml", "modified", None),
        ("entities/b.json", "modified", None),
    ]
    assert result.changes[1].target == "b"


def test_large_values_are_truncated_and_small_ones_kept() -> None:
    big = {"name": "Big", "blob": "x" * 2000}
    result = diff(
        {"entities/big.json": json.dumps({"name": "Big", "blob": "small"}).encode()},
        {"entities/big.json": json.dumps(big).encode()},
    )
    [change] = result.changes
    details = change.details
    assert details is not None and details.truncated is True
    assert details.before == "small"
    encoded = json.loads(msgspec.json.encode(change))
    assert "after" not in encoded["details"] and encoded["details"]["truncated"] is True


def test_secret_looking_values_never_appear() -> None:
    base = b"name: Stripe\nsettings:\n  apiKey: sk_live_old\n"
    head = b"name: Stripe\nsettings:\n  apiKey: sk_live_new\n  webhook:\n    password: hunter22\n"
    encoded = msgspec.json.encode(
        diff({"providers/stripe.yaml": base}, {"providers/stripe.yaml": head})
    )
    assert b"sk_live" not in encoded and b"hunter22" not in encoded
    assert b"****" in encoded


def test_order_is_by_file_path_then_key_path_and_the_summary_counts_every_type() -> None:
    result = diff(
        {"pages/checkout.json": CHECKOUT_BASE, "entities/payment.yaml": PAYMENT_BASE},
        {
            "pages/checkout.json": CHECKOUT_HEAD,
            "entities/payment.yaml": PAYMENT_HEAD,
            "config/app.yaml": b"theme: dark\n",
        },
    )
    keys = [(c.file_path, c.details.key_path or "" if c.details else "") for c in result.changes]
    assert keys == sorted(keys)
    encoded = json.loads(msgspec.json.encode(result))
    assert set(encoded) == {"baseSha", "headSha", "summary", "changes", "profileOverrideChanges"}
    assert encoded["summary"]["totalChanges"] == 5
    assert encoded["summary"]["byConfigType"] == {
        "entity": 1,
        "page": 3,
        "queue": 0,
        "provider": 0,
        "workflow": 0,
        "tenant": 0,
        "menu": 0,
        "asset": 0,
        "script": 0,
        "other": 1,
    }
    assert {"id", "configType", "operation", "target", "description", "filePath"} <= set(
        encoded["changes"][0]
    )


def test_a_yaml_alias_bomb_is_treated_as_unparseable() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    bomb = ("\n".join(lines) + "\n").encode()
    result = diff({"entities/bomb.yaml": b"name: x\n"}, {"entities/bomb.yaml": bomb})
    assert [(c.operation, c.details) for c in result.changes] == [("modified", None)]


def test_a_removed_key_names_the_base_target() -> None:
    base = b"name: OldName\ncolor: red\n"
    head = b"name: NewName\n"
    changes = by_key(diff({"entities/e.yaml": base}, {"entities/e.yaml": head}))
    assert changes[("entities/e.yaml", "color")].target == "OldName"
    assert changes[("entities/e.yaml", "name")].target == "NewName"


def test_an_added_yaml_list_item_spans_exactly_its_own_lines() -> None:
    base = b"name: Onboarding\nsteps:\n  - name: welcome\n    wait: 1\n  - name: done\n"
    head = (
        b"name: Onboarding\nsteps:\n  - name: welcome\n    wait: 1\n"
        b"  - name: verify\n    wait: 2\n    queue: Emails\n  - name: done\n"
    )
    [change] = diff({"workflows/onboarding.yml": base}, {"workflows/onboarding.yml": head}).changes
    assert change.details is not None and change.details.key_path == "steps.verify"
    assert (change.line_start, change.line_end) == (5, 7)
    assert change.description == "Added `steps.verify` to workflow `Onboarding`"
