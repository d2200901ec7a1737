"""Deterministic impact analysis (API.md §9 analyze)."""

from __future__ import annotations

from conman_domain.analysis import analyze
from conman_domain.semdiff import ProfileOverrideChange, SemanticDiff, semantic_diff

PAYMENT = (
    b"name: PaymentProvider\nfields:\n  amount: {type: number}\n  retryCount: {type: number}\n"
)
PAYMENT_NO_RETRY = b"name: PaymentProvider\nfields:\n  amount: {type: number}\n"
CHECKOUT = b'{"name": "Checkout", "entity": "PaymentProvider", "columns": ["amount", "retryCount"]}'
REFUND = b'{"name": "Refund", "entities": ["Refunds"]}'
REFUNDS = b"name: Refunds\n"


def diff_of(base: dict[str, bytes], head: dict[str, bytes], **kw: object) -> SemanticDiff:
    return semantic_diff(base, head, base_sha="a" * 40, head_sha="b" * 40, **kw)  # type: ignore[arg-type]


def test_a_removed_object_still_referenced_at_head_is_an_error() -> None:
    base = {"entities/refunds.yaml": REFUNDS, "pages/refund.json": REFUND}
    head = {"pages/refund.json": REFUND}
    result = analyze(diff_of(base, head), head)
    [risk] = result.risks
    assert (risk.kind, risk.severity, risk.target) == ("removed_referenced", "error", "Refunds")
    assert risk.file_path == "pages/refund.json"
    assert result.summary == "1 changes across 1 config types; 1 risks"
    assert [(s.file_path, s.severity) for s in result.suggestions] == [
        ("pages/refund.json", "error")
    ]


def test_a_removed_object_that_nobody_references_is_no_risk() -> None:
    head = {"pages/checkout.json": CHECKOUT, "entities/payment.yaml": PAYMENT}
    base = {**head, "entities/refunds.yaml": REFUNDS}
    result = analyze(diff_of(base, head), head, focus=["payments", "refunds"])
    assert result.risks == []
    assert [(s.description, s.severity) for s in result.suggestions] == [
        ("No risks detected", "info")
    ]
    assert result.summary.endswith("; 0 risks; focus: payments, refunds")
    assert result.llm_status == "disabled" and result.llm_summary is None


def test_renaming_an_object_that_is_referenced_is_a_removal() -> None:
    base = {"entities/refunds.yaml": REFUNDS, "pages/refund.json": REFUND}
    head = {"entities/refunds.yaml": b"name: Refund2\n", "pages/refund.json": REFUND}
    kinds = [r.kind for r in analyze(diff_of(base, head), head).risks]
    assert kinds == ["removed_referenced"]


def test_a_removed_field_named_by_a_referencing_object_is_a_warning() -> None:
    base = {"entities/payment.yaml": PAYMENT, "pages/checkout.json": CHECKOUT}
    head = {"entities/payment.yaml": PAYMENT_NO_RETRY, "pages/checkout.json": CHECKOUT}
    [risk] = analyze(diff_of(base, head), head).risks
    assert (risk.kind, risk.severity) == ("removed_field_referenced", "warning")
    assert risk.file_path == "pages/checkout.json" and risk.target == "PaymentProvider"
    assert "fields.retryCount" in risk.message


def test_type_changes_and_overrides_are_reported() -> None:
    base = {"queues/jobs.json": b'{"name": "Jobs", "retries": 3}'}
    head = {"queues/jobs.json": b'{"name": "Jobs", "retries": "3"}'}
    overrides = [
        ProfileOverrideChange(
            environment_id="prod",
            environment_name="Production",
            kind="secret",
            key="STRIPE_KEY",
            operation="rotated",
        ),
        ProfileOverrideChange(
            environment_id="prod",
            environment_name="Production",
            kind="envVar",
            key="LOG_LEVEL",
            operation="modified",
            before="info",
            after="debug",
        ),
        ProfileOverrideChange(
            environment_id="qa",
            environment_name="QA",
            kind="envVar",
            key="LOG_LEVEL",
            operation="added",
            after="debug",
        ),
    ]
    diff = diff_of(base, head, override_changes=overrides)
    result = analyze(diff, head, canonical_environment_id="prod")
    assert [(r.kind, r.severity, r.target) for r in result.risks] == [
        ("type_changed", "warning", "Jobs"),
        ("secret_override", "warning", "Production"),
        ("env_var_override", "info", "Production"),
        ("env_var_override", "info", "QA"),
        ("canonical_profile_impact", "warning", "Production"),
    ]
    assert len(result.suggestions) == 5
    assert "STRIPE_KEY" in result.risks[1].message
