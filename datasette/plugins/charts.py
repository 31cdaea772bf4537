"""The charts page, ``/-/charts``: Vega-Lite charts over the archive, drawn in the browser.

Charts are declared as data in ``metadata.yaml`` (plugin config ``xxgk-charts``):
a title, the SQL that feeds it and a Vega-Lite spec without data. The page
gives each chart the JSON API URL of its query; ``static/charts.js`` fetches
the rows and draws them with the vendored Vega libraries (``static/vendor/``),
so nothing is loaded from outside the site. Each chart links to its data as
JSON and CSV and to the query itself.
"""

from __future__ import annotations

import json
from urllib.parse import urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response

PLUGIN = "xxgk-charts"


async def charts_page(request, datasette):  # type: ignore[no-untyped-def]
    config = datasette.plugin_config(PLUGIN) or {}
    database = config.get("database", "archive")
    base = datasette.urls.database(database)
    charts = []
    for chart in config.get("charts", []):
        query = urlencode({"sql": chart["query"]})
        charts.append(
            {
                "id": chart["id"],
                "title": chart["title"],
                "spec": json.dumps(chart["spec"], ensure_ascii=False),
                "json_url": f"{base}.json?{query}&_shape=array",
                "csv_url": f"{base}.csv?{query}",
                "query_url": f"{base}?{query}",
            }
        )
    return Response.html(
        await datasette.render_template(
            "charts.html",
            {
                "title": config.get("title", "Charts"),
                "description": config.get("description", ""),
                "charts": charts,
            },
            request=request,
        )
    )


@hookimpl
def register_routes():  # type: ignore[no-untyped-def]
    return [(r"^/-/charts$", charts_page)]
