"""Translation of the filter/update/sort language to SQLite JSON1 SQL.

Each collection is a table ``(id TEXT PRIMARY KEY, doc TEXT)``; ``doc`` is the JSON
document with ``_id`` stored under ``id``. Datetimes are stored as fixed-width
RFC 3339 strings (``YYYY-MM-DDTHH:MM:SS.mmmZ``) so that text comparison and sorting
in expression indexes agree with time order. Booleans are compared as 1/0, which is
what ``json_extract`` returns for JSON true/false.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import msgspec

from conman_adapters.store.base import Filter, SortSpec, Update

__all__ = [
    "compile_filter",
    "compile_literal_filter",
    "compile_sort",
    "compile_update",
    "dt_text",
    "encode_doc",
    "encode_value",
    "field_expr",
    "restore_datetimes",
]

_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_DT_TEXT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
_encode = msgspec.json.Encoder().encode
_OPS = {"$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists", "$type"}
_CMP = {"$gt": ">", "$gte": ">=", "$lt": "<", "$lte": "<="}
_expr_cache: dict[str, str] = {}


def dt_text(value: datetime) -> str:
    """The fixed-width UTC text of a datetime, truncated to milliseconds."""
    if value.tzinfo is not UTC:
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
        f"{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}Z"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return dt_text(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def encode_value(value: Any) -> bytes:
    """JSON text of one value (datetimes in fixed-width form)."""
    return _encode(_jsonable(value))


def encode_doc(doc: Mapping[str, Any]) -> tuple[str, str]:
    """``(id, json)`` for a document; the JSON carries the id under ``id``."""
    body = {"id" if k == "_id" else k: _jsonable(v) for k, v in doc.items()}
    return str(doc["_id"]), _encode(body).decode()


def restore_datetimes(value: Any) -> Any:
    """Turn fixed-width datetime strings back into ``datetime`` (dict-level reads only)."""
    if isinstance(value, str):
        if len(value) == 24 and _DT_TEXT.match(value):
            return datetime.fromisoformat(value)
        return value
    if isinstance(value, dict):
        return {k: restore_datetimes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [restore_datetimes(v) for v in value]
    return value


def _json_path(path: str) -> str:
    for part in path.split("."):
        if not _PART.match(part):
            raise ValueError(f"unsupported field path {path!r}")
    return f"$.{path}"


def field_expr(path: str) -> str:
    """The SQL expression of a field (the same text is used by expression indexes)."""
    expr = _expr_cache.get(path)
    if expr is None:
        expr = "id" if path == "_id" else f"json_extract(doc,'{_json_path(path)}')"
        _expr_cache[path] = expr
    return expr


def _param(value: Any) -> Any:
    if isinstance(value, datetime):
        return dt_text(value)
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and type(value) is not str:
        return str(value)
    if isinstance(value, dict | list | tuple):
        raise ValueError("filters on whole sub-documents or arrays are not supported")
    return value


def _condition(path: str, cond: Any, params: list[Any]) -> str:
    expr = field_expr(path)
    if not (isinstance(cond, Mapping) and cond and set(cond) <= _OPS):
        cond = {"$eq": cond}
    clauses: list[str] = []
    for op, operand in cond.items():
        if op == "$eq":
            if operand is None:
                clauses.append(f"{expr} IS NULL")
            else:
                clauses.append(f"{expr} = ?")
                params.append(_param(operand))
        elif op == "$ne":
            if operand is None:
                clauses.append(f"{expr} IS NOT NULL")
            else:
                clauses.append(f"({expr} IS NULL OR {expr} != ?)")
                params.append(_param(operand))
        elif op in ("$in", "$nin"):
            values = [v for v in operand if v is not None]
            has_null = len(values) != len(operand)
            marks = ",".join("?" * len(values))
            params.extend(_param(v) for v in values)
            if op == "$in":
                parts = [f"{expr} IN ({marks})"] if values else []
                parts += [f"{expr} IS NULL"] if has_null else []
                clauses.append(f"({' OR '.join(parts)})" if parts else "0")
            else:
                inner = f"{expr} NOT IN ({marks})" if values else "1"
                clauses.append(
                    f"({expr} IS NOT NULL AND {inner})"
                    if has_null
                    else f"({expr} IS NULL OR {inner})"
                )
        elif op == "$exists":
            if path == "_id":
                clauses.append("1" if operand else "0")
            else:
                test = "IS NOT NULL" if operand else "IS NULL"
                clauses.append(f"json_type(doc,'{_json_path(path)}') {test}")
        elif op == "$type":
            if operand != "string":
                raise ValueError(f"unsupported $type {operand!r}")
            clauses.append(f"json_type(doc,'{_json_path(path)}') = 'text'")
        else:
            kinds = "('integer','real')" if isinstance(operand, int | float) else "('text')"
            clauses.append(f"typeof({expr}) IN {kinds} AND {expr} {_CMP[op]} ?")
            params.append(_param(operand))
    return " AND ".join(clauses)


_eq_cache: dict[tuple[str, ...], str] = {}


def compile_filter(flt: Filter) -> tuple[str, list[Any]]:
    """A WHERE clause body and its parameters (plain equality filters are cached)."""
    if not flt:
        return "1", []
    params: list[Any] = []
    for cond in flt.values():
        if cond is None or isinstance(cond, Mapping | list | tuple):
            break
        params.append(_param(cond))
    else:
        paths = tuple(flt)
        sql = _eq_cache.get(paths)
        if sql is None:
            sql = _eq_cache[paths] = " AND ".join(f"{field_expr(p)} = ?" for p in paths)
        return sql, params
    params = []
    sql = " AND ".join(_condition(path, cond, params) for path, cond in flt.items())
    return sql, params


def compile_literal_filter(flt: Filter) -> str:
    """A WHERE clause with inlined literals, for partial indexes (equality and $type only)."""
    clauses = []
    for path, cond in flt.items():
        if isinstance(cond, Mapping):
            if cond != {"$type": "string"}:
                raise ValueError(f"unsupported partial filter {cond!r}")
            clauses.append(f"json_type(doc,'{_json_path(path)}') = 'text'")
        elif isinstance(cond, bool):
            clauses.append(f"{field_expr(path)} = {int(cond)}")
        elif isinstance(cond, str) and "'" not in cond:
            clauses.append(f"{field_expr(path)} = '{cond}'")
        else:
            raise ValueError(f"unsupported partial filter value {cond!r}")
    return " AND ".join(clauses)


def compile_sort(sort: SortSpec | None) -> str:
    """An ORDER BY clause (empty without sort)."""
    if not sort:
        return ""
    keys = ", ".join(f"{field_expr(f)} {'DESC' if d < 0 else 'ASC'}" for f, d in sort)
    return f" ORDER BY {keys}"


def _set_param(value: Any) -> tuple[bool, Any]:
    """``(needs_json, param)``: scalars bind directly, the rest as JSON text."""
    kind = type(value)
    if kind is str or kind is int or kind is float or value is None:
        return False, value
    if kind is bool:
        return True, "true" if value else "false"
    if isinstance(value, datetime):
        return False, dt_text(value)
    if isinstance(value, str):
        return False, str(value)
    return True, encode_value(value).decode()


_update_cache: dict[tuple[Any, ...], str] = {}


def compile_update(update: Update) -> tuple[str, list[Any]]:
    """The SQL expression of the new ``doc`` and its parameters (cached per shape)."""
    params: list[Any] = []
    key: list[Any] = []
    for op, fields in update.items():
        if op == "$set":
            shape = []
            for path, value in fields.items():
                needs_json, param = _set_param(value)
                shape.append((path, needs_json))
                params.append(param)
            key.append((op, tuple(shape)))
        elif op in ("$inc", "$unset"):
            key.append((op, tuple(fields)))
            if op == "$inc":
                params.extend(fields.values())
        elif op == "$push":
            key.append((op, tuple(fields)))
            params.extend(encode_value(v).decode() for v in fields.values())
        else:
            raise ValueError(f"unsupported update operator {op}")
    cache_key = tuple(key)
    expr = _update_cache.get(cache_key)
    if expr is None:
        expr = _update_expr(cache_key)
        _update_cache[cache_key] = expr
    return expr, params


def _update_expr(shape: tuple[Any, ...]) -> str:
    expr = "doc"
    for op, fields in shape:
        if not fields:
            continue
        if op == "$unset":
            paths = ",".join(f"'{_json_path(p)}'" for p in fields)
            expr = f"json_remove({expr},{paths})"
            continue
        pairs: list[str] = []
        for field in fields:
            path = field[0] if op == "$set" else field
            if path == "_id":
                raise ValueError("_id is immutable")
            jp = _json_path(path)
            if op == "$set":
                pairs.append(f"'{jp}',json(?)" if field[1] else f"'{jp}',?")
            elif op == "$inc":
                pairs.append(f"'{jp}',coalesce(json_extract(doc,'{jp}'),0)+?")
            else:
                pairs.append(
                    f"'{jp}',json(json_insert(coalesce(json_extract(doc,'{jp}'),'[]'),"
                    "'$[#]',json(?)))"
                )
        expr = f"json_set({expr},{','.join(pairs)})"
    return expr
