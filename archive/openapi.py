"""The OpenAPI 3.1 description of the site's JSON API, generated, never hand-written.

Built from three sources, so it cannot drift from what the site serves:

- the published database's schema (tables, views and their columns, with the
  SQLite declared types mapped to JSON types), read by the site at run time;
- ``datasette/metadata.yaml`` (titles, per-table and per-column descriptions,
  canned queries and their SQL ``:parameters``);
- the ``xxgk-openapi`` plugin config in the same file (example values, so that
  every documented endpoint can be called as documented: the test suite does).

Served by the site at ``/-/openapi.json`` (see ``datasette/plugins/api_docs.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

OPENAPI_VERSION = "3.1.0"
PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
# SQLite declared type affinity (https://sqlite.org/datatype3.html §3.1) → JSON type.
_AFFINITY = (("INT", "integer"), ("CHAR", "string"), ("CLOB", "string"), ("TEXT", "string"))
_REAL = ("REAL", "FLOA", "DOUB")


@dataclass
class Column:
    """A column of a published table or view."""

    name: str
    declared_type: str = ""
    not_null: bool = False


@dataclass
class Table:
    """A published table or view, as the site exposes it."""

    name: str
    columns: list[Column]
    is_view: bool = False
    searchable: bool = False
    primary_keys: list[str] = field(default_factory=list)


def json_type(declared: str) -> str | None:
    """The JSON type of a column with this SQLite declared type (None: any)."""
    upper = declared.upper()
    for marker, kind in _AFFINITY:
        if marker in upper:
            return kind
    if any(marker in upper for marker in _REAL):
        return "number"
    if "BLOB" in upper or not upper:
        return None
    return "number"  # NUMERIC affinity


def column_schema(column: Column, description: str | None) -> dict[str, Any]:
    """The JSON Schema of one column's values."""
    schema: dict[str, Any] = {}
    kind = json_type(column.declared_type)
    if kind == "integer":
        # SQLite keeps integer affinity values as integers; JSON has one number type.
        kind = "number"
    if kind is not None:
        schema["type"] = kind if column.not_null else [kind, "null"]
    if description:
        schema["description"] = description
    return schema


def query_parameters(sql: str) -> list[str]:
    """The ``:named`` parameters of a canned query, in order of first use."""
    return list(dict.fromkeys(PARAMETER.findall(_strip_sql_strings(sql))))


def _strip_sql_strings(sql: str) -> str:
    """``sql`` with string literals and comments blanked (``':x'`` is no parameter)."""
    sql = re.sub(r"'(?:[^']|'')*'", "''", sql)
    sql = re.sub(r"--[^\n]*", "", sql)
    return re.sub(r"/\*.*?\*/", "", sql, flags=re.S)


def _text(value: Any) -> str:
    return str(value).strip() if value else ""


def _shape_parameter() -> dict[str, Any]:
    return {
        "name": "_shape",
        "in": "query",
        "required": True,
        "description": (
            "Response shape. `array`: a bare list of row objects (recommended). "
            "`objects`: an object whose `rows` key holds the row objects, with `next` "
            "(keyset pagination token for `_next`) and counts."
        ),
        "schema": {"type": "string", "enum": ["array", "objects"]},
        "example": "array",
    }


def _rows_response(row: dict[str, Any], description: str) -> dict[str, Any]:
    rows = {"type": "array", "items": row}
    return {
        "description": description,
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [
                        rows,
                        {
                            "type": "object",
                            "required": ["rows"],
                            "properties": {
                                "rows": rows,
                                "next": {"type": ["string", "null"]},
                                "next_url": {"type": ["string", "null"]},
                                "truncated": {"type": "boolean"},
                            },
                        },
                    ]
                }
            }
        },
    }


def _csv_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"text/csv": {"schema": {"type": "string"}}}}


def row_schema(table: Table, column_docs: dict[str, Any]) -> dict[str, Any]:
    """The JSON Schema of one row of a table or view, every column described."""
    return {
        "type": "object",
        "properties": {
            c.name: column_schema(c, _text(column_docs.get(c.name)) or None) for c in table.columns
        },
    }


def _table_paths(
    database: str, table: Table, table_meta: dict[str, Any], examples: dict[str, Any]
) -> dict[str, Any]:
    title = _text(table_meta.get("title")) or table.name
    description = _text(table_meta.get("description"))
    row = {"$ref": f"#/components/schemas/{table.name}"}
    params: list[dict[str, Any]] = [
        _shape_parameter(),
        {
            "name": "_size",
            "in": "query",
            "description": "Rows per page (at most the site's max_returned_rows), or `max`.",
            "schema": {"type": ["integer", "string"]},
            "example": 10,
        },
        {
            "name": "_next",
            "in": "query",
            "description": "Pagination token: the `next` value of the previous page.",
            "schema": {"type": "string"},
        },
        {
            "name": "_sort",
            "in": "query",
            "description": "Sort ascending by this column.",
            "schema": {"type": "string", "enum": [c.name for c in table.columns]},
        },
        {
            "name": "_sort_desc",
            "in": "query",
            "description": "Sort descending by this column.",
            "schema": {"type": "string", "enum": [c.name for c in table.columns]},
        },
        {
            "name": "_nocount",
            "in": "query",
            "description": "`1` skips the (possibly slow) count of matching rows.",
            "schema": {"type": "string", "enum": ["1"]},
        },
    ]
    if table.searchable:
        params.append(
            {
                "name": "_search",
                "in": "query",
                "description": (
                    "Full-text search: every whitespace-separated term must occur "
                    "(Chinese terms of any length match as substrings, e.g. 复议). "
                    "With no other filter the exact count comes from the index "
                    "(the first count of a common word takes 0.1–1 s among 4M sections, "
                    "later ones are kept); `_nocount=1` skips it. "
                    "On `sections` a page reads only the matches it shows (follow "
                    "`next_url` for the rest); with column filters add `_nocount=1` for that, "
                    "since counting a filtered search reads every match."
                ),
                "schema": {"type": "string"},
            }
        )
    params.append(
        {
            "name": "filters",
            "in": "query",
            "style": "form",
            "explode": True,
            "description": (
                f"Column filters, one query argument each, on the columns of `{table.name}` "
                f"(see its schema): `column=value` (equals), or `column__op=value` with op "
                "one of gte, lte, gt, lt, not, contains, startswith, in (comma-separated), "
                "isnull (`=1`)."
            ),
            "schema": {"type": "object", "additionalProperties": {"type": "string"}},
        }
    )
    example = examples.get(table.name) or {}
    for param in params:
        if param["name"] in example:
            param["example"] = example[param["name"]]
    kind = "view" if table.is_view else "table"
    summary = f"{title} ({kind} {table.name})"
    return {
        f"/{database}/{table.name}.json": {
            "get": {
                "operationId": f"table_{table.name}_json",
                "tags": ["tables"],
                "summary": summary,
                "description": description,
                "parameters": params,
                "responses": {"200": _rows_response(row, f"Rows of {table.name}")},
            }
        },
        f"/{database}/{table.name}.csv": {
            "get": {
                "operationId": f"table_{table.name}_csv",
                "tags": ["tables"],
                "summary": f"{summary} as CSV",
                "description": description + "\n\n`_stream=on` returns every row.",
                "parameters": [
                    p for p in params if p["name"] not in ("_shape",) and not p.get("required")
                ]
                + [
                    {
                        "name": "_stream",
                        "in": "query",
                        "description": "`on`: every matching row, not one page.",
                        "schema": {"type": "string", "enum": ["on"]},
                    }
                ],
                "responses": {"200": _csv_response(f"Rows of {table.name} as CSV")},
            }
        },
    }


def _query_paths(
    database: str, name: str, query: dict[str, Any], examples: dict[str, Any]
) -> dict[str, Any]:
    sql = query["sql"] if isinstance(query, dict) else str(query)
    meta = query if isinstance(query, dict) else {}
    title = _text(meta.get("title")) or name
    description = _text(meta.get("description"))
    example = examples.get(name) or {}
    declared = meta.get("params") or query_parameters(sql)
    params: list[dict[str, Any]] = []
    for param in declared:
        entry: dict[str, Any] = {
            "name": param,
            "in": "query",
            "required": True,
            "description": f"Bound to :{param} in the query.",
            "schema": {"type": "string"},
        }
        if param in example:
            entry["example"] = example[param]
        params.append(entry)
    row = {"type": "object"}
    return {
        f"/{database}/{name}.json": {
            "get": {
                "operationId": f"query_{name}_json",
                "tags": ["canned queries"],
                "summary": title,
                "description": description,
                "parameters": [_shape_parameter(), *params],
                "responses": {"200": _rows_response(row, f"Rows of the query {name}")},
            }
        },
        f"/{database}/{name}.csv": {
            "get": {
                "operationId": f"query_{name}_csv",
                "tags": ["canned queries"],
                "summary": f"{title} as CSV",
                "description": description,
                "parameters": params,
                "responses": {"200": _csv_response(f"Rows of the query {name} as CSV")},
            }
        },
    }


def openapi_document(
    database: str,
    tables: list[Table],
    metadata: dict[str, Any],
    extra_paths: dict[str, Any] | None = None,
    server_url: str = "/",
) -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``database`` as the site publishes it.

    Args:
        database: the Datasette database name (``archive``).
        tables: the visible tables and views (hidden ones are not documented).
        metadata: the site's metadata (``datasette/metadata.yaml``).
        extra_paths: paths served by the site's own plugins (report JSON, ...).
        server_url: the site's base URL.
    """
    db_meta: dict[str, Any] = (metadata.get("databases") or {}).get(database) or {}
    tables_meta: dict[str, Any] = db_meta.get("tables") or {}
    plugin: dict[str, Any] = (metadata.get("plugins") or {}).get("xxgk-openapi") or {}
    examples: dict[str, Any] = plugin.get("examples") or {}
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for table in tables:
        table_meta = tables_meta.get(table.name) or {}
        schemas[table.name] = row_schema(table, table_meta.get("columns") or {})
        paths.update(_table_paths(database, table, table_meta, examples))
    for name, query in (db_meta.get("queries") or {}).items():
        paths.update(_query_paths(database, name, query, examples))
    paths.update(extra_paths or {})
    info: dict[str, Any] = {
        "title": f"{_text(metadata.get('title')) or database} — JSON API",
        "version": _text(plugin.get("version")) or "1",
        "description": (
            _text(plugin.get("description"))
            or _text(metadata.get("description"))
            or "The archive's JSON API."
        ),
    }
    if metadata.get("license"):
        info["license"] = {"name": metadata["license"]}
        if metadata.get("license_url"):
            info["license"]["url"] = metadata["license_url"]
    return {
        "openapi": OPENAPI_VERSION,
        "info": info,
        "servers": [{"url": server_url}],
        "tags": [
            {"name": "tables", "description": "Every published table and view, filterable."},
            {"name": "canned queries", "description": "Named questions with bound parameters."},
            {"name": "reports", "description": "One report, and our archived copies."},
        ],
        "paths": paths,
        "components": {"schemas": schemas},
    }
