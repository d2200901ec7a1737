"""Config type of a repository path (DOMAIN.md §10.1)."""

from __future__ import annotations

__all__ = ["CONFIG_OBJECT_TYPES", "CONFIG_TYPES", "config_type_of", "is_structured_file"]

# Plural directory name -> singular config type, in the order of §10.1.
_PLURALS = {
    "entities": "entity",
    "pages": "page",
    "queues": "queue",
    "providers": "provider",
    "workflows": "workflow",
    "tenants": "tenant",
    "menus": "menu",
    "assets": "asset",
    "scripts": "script",
}
_DIRECTORY_TYPES = {**_PLURALS, **{singular: singular for singular in _PLURALS.values()}}

CONFIG_TYPES: tuple[str, ...] = (*_PLURALS.values(), "other")
"""Every config type, as reported (singular), ``other`` last."""

CONFIG_OBJECT_TYPES: tuple[str, ...] = (
    "entity",
    "page",
    "queue",
    "provider",
    "workflow",
    "tenant",
    "menu",
)
"""Types whose structured files are config objects checked by the built-in validator."""

_STRUCTURED_SUFFIXES = (".json", ".yaml", ".yml")


def config_type_of(path: str) -> str:
    """The singular config type of ``path``, or ``"other"``.

    The type comes from the first directory under the root, or the second when the first
    is ``config``; a file directly in that position (no directory) is ``other``.
    """
    parts = [part for part in path.split("/") if part]
    directories = parts[:-1]
    if directories and directories[0] == "config":
        directories = directories[1:]
    if not directories:
        return "other"
    return _DIRECTORY_TYPES.get(directories[0], "other")


def is_structured_file(path: str) -> bool:
    """True for ``.json``, ``.yaml`` and ``.yml`` files, the ones the validator parses."""
    return path.endswith(_STRUCTURED_SUFFIXES)
