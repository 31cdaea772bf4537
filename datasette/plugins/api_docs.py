"""API documentation: ``/-/openapi.json`` (OpenAPI 3.1) and a readable ``/-/api`` page.

The document is generated on request by ``archive.openapi`` from the published
database's schema (visible tables and views, their columns and declared
types), the site's metadata (descriptions, canned queries) and the site's own
routes (report JSON, archived copies). Example values for path parameters are
taken from the database itself, so every documented call works as written.
"""

from __future__ import annotations

from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response

from archive.openapi import Column, Table, openapi_document

DATABASE = "archive"


async def _tables(datasette: Any) -> list[Table]:
    db = datasette.get_database(DATABASE)
    hidden = set(await db.hidden_table_names())
    tables: list[Table] = []
    names = [(n, False) for n in await db.table_names() if n not in hidden]
    names += [(n, True) for n in await db.view_names()]
    for name, is_view in names:
        details = await db.table_column_details(name)
        meta = datasette.table_metadata(DATABASE, name)
        searchable = (
            bool(meta.get("fts_table"))
            or name in (datasette.plugin_config("xxgk-table-search", database=DATABASE) or {})
            or (not is_view and bool(await db.fts_table(name)))
        )
        tables.append(
            Table(
                name=name,
                columns=[
                    Column(d.name, d.type or "", bool(d.notnull) or bool(d.is_pk))
                    for d in details
                    if not d.hidden
                ],
                is_view=is_view,
                searchable=searchable,
                primary_keys=[d.name for d in details if d.is_pk],
            )
        )
    return tables


async def _example(datasette: Any, sql: str) -> Any:
    try:
        row = (await datasette.get_database(DATABASE).execute(sql)).first()
    except Exception:  # noqa: BLE001 - an empty or older database has no example
        return None
    return row[0] if row else None


async def _site_paths(datasette: Any) -> dict[str, Any]:
    report_id = await _example(datasette, "select id from reports order by year desc, id limit 1")
    sha256 = await _example(
        datasette,
        "select document_sha256 from reports where document_sha256 is not null "
        "order by year desc, id limit 1",
    )
    report_schema = {
        "type": "object",
        "required": [
            "id",
            "organization",
            "year",
            "template",
            "section_texts",
            "proactive",
            "requests",
            "review_litigation",
            "extra",
            "checks_failing",
        ],
        "properties": {
            "id": {"type": "string"},
            "organization": {"type": ["string", "null"]},
            "year": {"type": ["integer", "null"]},
            "template": {"type": ["string", "null"]},
            "title": {"type": ["string", "null"]},
            "url": {"type": ["string", "null"]},
            "document_sha256": {"type": ["string", "null"]},
            "section_texts": {"type": "object", "additionalProperties": {"type": "string"}},
            "proactive": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["key", "label", "values"],
                    "properties": {
                        "key": {"type": "string"},
                        "label": {"type": ["string", "null"]},
                        "values": {"type": "object"},
                    },
                },
            },
            "requests": {
                "type": "object",
                "description": "表三: row key → the 7 applicant columns (null = blank cell).",
                "additionalProperties": {
                    "type": "array",
                    "minItems": 7,
                    "maxItems": 7,
                    "items": {"type": ["number", "null"]},
                },
            },
            "review_litigation": {
                "type": "object",
                "description": "表四: group → upheld, corrected, other, pending, total.",
                "additionalProperties": {
                    "type": "array",
                    "minItems": 5,
                    "maxItems": 5,
                    "items": {"type": ["number", "null"]},
                },
            },
            "extra": {"type": "array", "items": {"type": "object"}},
            "checks_failing": {"type": "array", "items": {"type": "string"}},
        },
    }
    report_param: dict[str, Any] = {
        "name": "report_id",
        "in": "path",
        "required": True,
        "description": "The report id (reports.id: <body id>-<year>).",
        "schema": {"type": "string"},
    }
    if report_id is not None:
        report_param["example"] = report_id
    sha_param: dict[str, Any] = {
        "name": "sha256",
        "in": "path",
        "required": True,
        "description": "SHA-256 of the document (documents.sha256).",
        "schema": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
    }
    if sha256 is not None:
        sha_param["example"] = sha256
    return {
        "/-/report/{report_id}.json": {
            "get": {
                "operationId": "report_spec",
                "tags": ["reports"],
                "summary": "One report in the report-spec shape (the template's three tables)",
                "parameters": [report_param],
                "responses": {
                    "200": {
                        "description": "The report",
                        "content": {"application/json": {"schema": report_schema}},
                    },
                    "404": {"description": "No such report"},
                },
            }
        },
        "/-/archived/{sha256}": {
            "get": {
                "operationId": "archived_copy",
                "tags": ["reports"],
                "summary": "Our archived copy of a document, byte for byte",
                "description": (
                    "Served with Content-Security-Policy: sandbox (an archived page's "
                    "scripts never run); non-HTML documents, or `?download=1`, as attachments."
                ),
                "parameters": [
                    sha_param,
                    {
                        "name": "download",
                        "in": "query",
                        "description": "`1`: always send as an attachment.",
                        "schema": {"type": "string", "enum": ["1"]},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The document's bytes",
                        "content": {"*/*": {"schema": {"type": "string"}}},
                    },
                    "404": {"description": "Not a document of this archive"},
                },
            }
        },
        "/-/search.json": {
            "get": {
                "operationId": "search_sections",
                "tags": ["reports"],
                "summary": "Sections that mention every term, newest first, with passages",
                "description": (
                    "Counted and paged on the bigram index alone, so fast for any term. "
                    "Page on with `before` = the previous page's `next`."
                ),
                "parameters": [
                    {
                        "name": "q",
                        "in": "query",
                        "required": True,
                        "description": "Terms separated by spaces; all must occur.",
                        "schema": {"type": "string"},
                        "example": "行政复议",
                    },
                    {
                        "name": "before",
                        "in": "query",
                        "description": "The `next` value of the previous page.",
                        "schema": {"type": "integer"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "One page of hits (at most 20)",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["q", "count", "next", "hits"],
                                    "properties": {
                                        "q": {"type": "string"},
                                        "count": {"type": ["integer", "null"]},
                                        "next": {"type": ["integer", "null"]},
                                        "hits": {
                                            "type": "array",
                                            "items": {
                                                "type": "object",
                                                "required": ["report_id", "passages"],
                                                "properties": {
                                                    "report_id": {"type": "string"},
                                                    "body_name": {"type": ["string", "null"]},
                                                    "year": {"type": ["integer", "null"]},
                                                    "section": {"type": ["string", "null"]},
                                                    "passages": {
                                                        "type": "array",
                                                        "items": {"type": "string"},
                                                    },
                                                },
                                            },
                                        },
                                    },
                                }
                            }
                        },
                    }
                },
            }
        },
        f"/{DATABASE}.json": {
            "get": {
                "operationId": "sql",
                "tags": ["tables"],
                "summary": "Run a read-only SQL query (time-limited)",
                "parameters": [
                    {
                        "name": "sql",
                        "in": "query",
                        "required": True,
                        "description": "A SELECT statement; `:name` parameters are bound "
                        "from query-string arguments of the same name.",
                        "schema": {"type": "string"},
                        "example": "select year, count(*) as reports from reports group by year",
                    },
                    {
                        "name": "_shape",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "enum": ["array", "objects"]},
                        "example": "array",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "Result rows (at most max_returned_rows)",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"type": "array", "items": {"type": "object"}},
                                        {
                                            "type": "object",
                                            "required": ["rows"],
                                            "properties": {
                                                "rows": {
                                                    "type": "array",
                                                    "items": {"type": "object"},
                                                }
                                            },
                                        },
                                    ]
                                }
                            }
                        },
                    }
                },
            }
        },
    }


async def build_document(datasette: Any, request: Any) -> dict[str, Any]:
    return openapi_document(
        DATABASE,
        await _tables(datasette),
        datasette.metadata() or {},
        extra_paths=await _site_paths(datasette),
        server_url=datasette.absolute_url(request, datasette.urls.instance()).rstrip("/") or "/",
    )


async def openapi_json(request, datasette):  # type: ignore[no-untyped-def]
    document = await build_document(datasette, request)
    return Response.json(document, headers={"Access-Control-Allow-Origin": "*"})


async def api_page(request, datasette):  # type: ignore[no-untyped-def]
    document = await build_document(datasette, request)
    return Response.html(
        await datasette.render_template("api.html", {"api": document}, request=request)
    )


@hookimpl
def register_routes():  # type: ignore[no-untyped-def]
    return [(r"^/-/openapi\.json$", openapi_json), (r"^/-/api$", api_page)]
