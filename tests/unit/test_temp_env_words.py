"""The built-in word lists of temp env hosts (DOMAIN.md §16.4)."""

from __future__ import annotations

import re

from conman_domain.model import TempEnvKind
from conman_domain.rules.temp_names import temp_host
from conman_domain.rules.temp_words import ADJECTIVES, NOUNS
from conman_domain.usecases.temp_env_provision import uri_database


def test_each_list_has_at_least_256_distinct_lowercase_ascii_words() -> None:
    for words in (ADJECTIVES, NOUNS):
        assert len(words) >= 256
        assert len(set(words)) == len(words)
        assert all(re.fullmatch(r"[a-z]+", w) for w in words)


def test_no_word_contains_conman() -> None:
    assert not [w for w in ADJECTIVES + NOUNS if "conman" in w]


def test_every_drawn_host_is_a_valid_label_for_a_long_app_name() -> None:
    longest = max(ADJECTIVES, key=len) + "-" + max(NOUNS, key=len)
    host = temp_host("A very long application name", TempEnvKind.CHANGESET, longest, "x.io", "beef")
    assert all(len(label) <= 63 for label in host.split("."))


def test_the_database_of_a_mongodb_uri_is_its_path() -> None:
    assert uri_database("mongodb://u:p@h:27017/shop_qa?authSource=admin") == "shop_qa"
    assert uri_database("mongodb://h:27017/") is None
    assert uri_database("mongodb://h:27017") is None
