"""The built-in validator (DOMAIN.md §11.3) and the validation result (§11.4)."""

from conman_domain.validator.builtin import run_builtin_validator
from conman_domain.validator.classify import (
    CONFIG_OBJECT_TYPES,
    CONFIG_TYPES,
    config_type_of,
    is_structured_file,
)
from conman_domain.validator.parsing import ParsedFile, ParseError, parse_structured
from conman_domain.validator.result import EnvironmentRun, ValidationFailure, ValidationResult

__all__ = [
    "CONFIG_OBJECT_TYPES",
    "CONFIG_TYPES",
    "EnvironmentRun",
    "ParseError",
    "ParsedFile",
    "ValidationFailure",
    "ValidationResult",
    "config_type_of",
    "is_structured_file",
    "parse_structured",
    "run_builtin_validator",
]
