"""The semantic diff (DOMAIN.md §10): classification, parsing, comparison, contract."""

from conman_domain.semdiff.build import MAX_VALUE_CHARS, change_id, semantic_diff
from conman_domain.semdiff.documents import Document, parse_document
from conman_domain.semdiff.model import (
    ByConfigType,
    ChangeDetails,
    ProfileOverrideChange,
    SemanticChange,
    SemanticDiff,
    Summary,
)
from conman_domain.semdiff.overrides import override_changes
from conman_domain.semdiff.source import semantic_diff_between

__all__ = [
    "MAX_VALUE_CHARS",
    "ByConfigType",
    "ChangeDetails",
    "Document",
    "ProfileOverrideChange",
    "SemanticChange",
    "SemanticDiff",
    "Summary",
    "change_id",
    "override_changes",
    "parse_document",
    "semantic_diff",
    "semantic_diff_between",
]
