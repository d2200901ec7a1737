"""Account rules of API.md §4.1: email normalization, names, password policy."""

from __future__ import annotations

import pytest

from conman_domain.errors import Validation
from conman_domain.usecases.identity import check_password_policy, normalize_email, validate_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  Ann@Example.COM ", "ann@example.com"),
        ("admin@localhost", "admin@localhost"),
        ("a.b+c@sub.example.org", "a.b+c@sub.example.org"),
    ],
)
def test_valid_emails_are_trimmed_and_lowercased(raw: str, expected: str) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["", "   ", "no-at-sign", "two@@example.com", "a@b@c.com", "@example.com", "ann@", "ann@host",
     "ann@.example.com", "ann@example.com.", "ann@exa..mple.com", "an n@example.com",
     "a" * 250 + "@x.com"],
)  # fmt: skip
def test_invalid_emails_are_400(raw: str) -> None:
    with pytest.raises(Validation):
        normalize_email(raw)


def test_password_policy_counts_code_points_from_12_to_128() -> None:
    assert check_password_policy("x" * 12)
    assert check_password_policy("é" * 128)
    for bad in ("x" * 11, "x" * 129, ""):
        with pytest.raises(Validation) as info:
            check_password_policy(bad)
        assert bad not in info.value.message or bad == ""


def test_names_are_1_to_128_characters() -> None:
    assert validate_name("A") == "A"
    for bad in ("", "n" * 129):
        with pytest.raises(Validation):
            validate_name(bad)
