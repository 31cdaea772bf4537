"""The OpenAPI description is valid, covers the API, and every documented endpoint works as documented."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate

from archive.openapi import Column, json_type, query_parameters
from archive.site import load_metadata

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def document(client: httpx.Client) -> dict[str, Any]:
    response = client.get("/-/openapi.json")
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    return dict(response.json())


def test_the_description_is_valid_openapi_31(document: dict[str, Any]) -> None:
    validate(document)
    assert document["openapi"] == "3.1.0"


def test_it_documents_every_table_view_and_canned_query(
    document: dict[str, Any], client: httpx.Client
) -> None:
    paths = document["paths"]
    tables = client.get("/archive.json").json()["tables"]
    for table in tables:
        if table["hidden"]:
            continue
        assert f"/archive/{table['name']}.json" in paths
        assert f"/archive/{table['name']}.csv" in paths
    for view in client.get("/archive.json").json()["views"]:
        assert f"/archive/{view['name']}.json" in paths
    for name in load_metadata()["databases"]["archive"]["queries"]:
        assert f"/archive/{name}.json" in paths
        assert f"/archive/{name}.csv" in paths
    for own in (
        "/-/report/{report_id}.json",
        "/-/archived/{sha256}",
        "/archive.json",
        "/-/search.json",
    ):
        assert own in paths


def _resolvable(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    """A response schema whose ``#/components/...`` references resolve."""
    return {**schema, "components": document["components"]}


def _call(client: httpx.Client, path: str, operation: dict[str, Any]) -> httpx.Response:
    params: dict[str, Any] = {}
    for param in operation.get("parameters", []):
        if param["in"] == "path":
            assert "example" in param, (path, param["name"])
            path = path.replace("{" + param["name"] + "}", str(param["example"]))
        elif param.get("required"):
            assert "example" in param, (path, param["name"])
            params[param["name"]] = param["example"]
    return client.get(path, params=params)


def test_every_documented_endpoint_answers_as_documented(
    document: dict[str, Any], client: httpx.Client
) -> None:
    called = 0
    for path, item in document["paths"].items():
        operation = item["get"]
        response = _call(client, path, operation)
        assert response.status_code == 200, (path, response.text[:300])
        content = operation["responses"]["200"]["content"]
        media = next(iter(content))
        if media == "application/json":
            jsonschema.validate(response.json(), _resolvable(content[media]["schema"], document))
        elif media == "text/csv":
            assert response.headers["content-type"].startswith("text/plain") or response.headers[
                "content-type"
            ].startswith("text/csv")
            header = next(csv.reader(io.StringIO(response.text)))
            assert header, path
        else:
            assert response.content, path
        called += 1
    assert called >= 60


def test_table_rows_match_their_documented_column_types(
    document: dict[str, Any], client: httpx.Client
) -> None:
    operation = document["paths"]["/archive/reports.json"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    rows = client.get("/archive/reports.json?_shape=array&_size=max").json()
    jsonschema.validate(rows, _resolvable(schema, document))
    assert schema["oneOf"][0]["items"] == {"$ref": "#/components/schemas/reports"}
    properties = document["components"]["schemas"]["reports"]["properties"]
    assert properties["year"]["type"] == ["number", "null"]
    assert "报告年度" in properties["year"]["description"]
    search = {p["name"] for p in operation["parameters"]}
    assert {"_search", "filters", "_sort_desc", "_next"} <= search
    filters = next(p for p in operation["parameters"] if p["name"] == "filters")
    assert filters["style"] == "form" and filters["explode"] is True
    # Filters as documented: columns as query arguments.
    filtered = client.get("/archive/reports.json?year=2020&level__not=county&_shape=array").json()
    assert filtered and all(r["year"] == 2020 and r["level"] != "county" for r in filtered)


def test_sqlite_types_map_to_json_types() -> None:
    assert json_type("INTEGER") == "integer"
    assert json_type("REAL") == "number"
    assert json_type("TEXT") == "string"
    assert json_type("VARCHAR(20)") == "string"
    assert json_type("") is None
    assert json_type("BLOB") is None
    assert Column("x", "TEXT", not_null=True).not_null


def test_query_parameters_ignore_strings_comments_and_casts() -> None:
    sql = (
        "select ':no' as a, x::text -- :nor\n"
        "from t where y = :year /* :nope */ and (:p = '' or z = :p) and w >= :min_n"
    )
    assert query_parameters(sql) == ["year", "p", "min_n"]


def test_the_api_page_lists_every_endpoint(document: dict[str, Any], client: httpx.Client) -> None:
    page = client.get("/-/api")
    assert page.status_code == 200
    for path in document["paths"]:
        assert f"<code>{path}</code>" in page.text
