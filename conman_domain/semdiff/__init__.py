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
    "parse_document",
    "semantic_diff",
]
