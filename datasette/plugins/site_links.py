"""Site navigation: menu links to the about page, charts and API docs; report links in results.

A canned query that returns a ``report_id`` column gets each value linked to
that report's page, so a journalist can go from any list to the tables behind a
number.
"""

from __future__ import annotations

from datasette import hookimpl
from datasette.utils import tilde_encode
from markupsafe import Markup, escape


@hookimpl
def menu_links(datasette, actor, request):  # type: ignore[no-untyped-def]
    return [
        {"href": datasette.urls.path("/-/search"), "label": "检索 · Search"},
        {"href": datasette.urls.path("/about"), "label": "关于与方法 · About"},
        {"href": datasette.urls.path("/-/charts"), "label": "图表 · Charts"},
        {"href": datasette.urls.path("/-/api"), "label": "API 文档 · API docs"},
    ]


@hookimpl
def render_cell(row, value, column, table, database, datasette):  # type: ignore[no-untyped-def]
    if column != "report_id" or table is not None or not isinstance(value, str) or not value:
        return None
    href = datasette.urls.row(database, "reports", tilde_encode(value))
    return Markup(f'<a href="{escape(href)}">{escape(value)}</a>')
