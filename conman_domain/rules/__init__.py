"""Pure domain rules: paths, branch names, baseline, tags, masking, env vars, profile
resolution, override conflicts, settings and environment lists."""

from __future__ import annotations

from conman_domain.rules.baseline import Baseline, resolve_baseline
from conman_domain.rules.branches import (
    default_workspace_branch,
    drift_branch,
    env_branch_ref,
    environment_slug,
    validate_branch_name,
    with_suffix,
)
from conman_domain.rules.env_vars import (
    render_env_value,
    validate_env_key,
    validate_env_vars,
    validate_secret_values,
    validate_typed_value,
)
from conman_domain.rules.environments import (
    NEW_ENVIRONMENT_ID,
    EnvironmentEntry,
    validate_environment_list,
)
from conman_domain.rules.masking import mask_secret
from conman_domain.rules.override_conflicts import (
    ConflictKey,
    ConflictKind,
    Decrypt,
    find_override_conflicts,
    json_equal,
    typed_values_equal,
)
from conman_domain.rules.paths import (
    blocked_by,
    check_not_blocked,
    glob_matches,
    glob_to_regex,
    validate_path,
)
from conman_domain.rules.resolution import (
    ResolvedProfile,
    SourcedSecret,
    apply_env_var_overrides,
    apply_override,
    resolve_profile,
)
from conman_domain.rules.settings import validate_dns_name, validate_settings
from conman_domain.rules.tags import next_release_tag, tag_date_prefix
from conman_domain.rules.temp_names import (
    temp_db_name,
    temp_host,
    temp_snapshot_branch,
    temp_source_key,
)

__all__ = [
    "NEW_ENVIRONMENT_ID",
    "Baseline",
    "ConflictKey",
    "ConflictKind",
    "Decrypt",
    "EnvironmentEntry",
    "ResolvedProfile",
    "SourcedSecret",
    "apply_env_var_overrides",
    "apply_override",
    "blocked_by",
    "check_not_blocked",
    "default_workspace_branch",
    "drift_branch",
    "env_branch_ref",
    "environment_slug",
    "find_override_conflicts",
    "glob_matches",
    "glob_to_regex",
    "json_equal",
    "mask_secret",
    "next_release_tag",
    "render_env_value",
    "resolve_baseline",
    "resolve_profile",
    "tag_date_prefix",
    "temp_db_name",
    "temp_host",
    "temp_snapshot_branch",
    "temp_source_key",
    "typed_values_equal",
    "validate_branch_name",
    "validate_dns_name",
    "validate_env_key",
    "validate_env_vars",
    "validate_environment_list",
    "validate_path",
    "validate_secret_values",
    "validate_settings",
    "validate_typed_value",
    "with_suffix",
]
