"""The search page, ``/-/search?q=``: every section that mentions a term, with the passage.

``/-/search.json?q=`` gives the same page of hits as JSON (``count``, ``next``
for ``before=``, ``hits`` with their passages as plain text).

Built for national scale. The count and the page of hits come from the bigram
FTS index alone (``sections_fts``, newest rows first, keyset-paged by rowid);
only the twenty sections shown are read from ``sections``. Datasette's own
table search (``/archive/sections?_search=``) stays available for faceting; it
re-reads every matching row to count them, which a common word at national
scale turns into seconds.

Each hit shows the report, the section and the passages around each term with
the term marked; the query is tokenised by ``archive.bigram`` exactly as the
index was, so a term of any length matches where it occurs.
"""

from __future__ import annotations

import re
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from archive.bigram import fts_query
from archive.fts_count import count_matches

DATABASE = "archive"
PAGE_SIZE = 20
CONTEXT = 60  # characters shown on each side of a term
MAX_QUERY = 100


def passages(text: str, terms: list[str], limit: int = 3) -> list[Markup]:
    """Up to ``limit`` passages of ``text`` around the terms, each term marked."""
    spans: list[tuple[int, int]] = []
    for term in terms:
        for match in re.finditer(re.escape(term), text):
            spans.append((match.start(), match.end()))
    spans.sort()
    out: list[Markup] = []
    shown_until = -1
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)))
    for start, end in spans:
        if start < shown_until:
            continue
        left, right = max(0, start - CONTEXT), min(len(text), end + CONTEXT)
        piece = text[left:right]
        marked = Markup("").join(
            Markup("<mark>{}</mark>").format(part) if i % 2 else escape(part)
            for i, part in enumerate(_split_keep(pattern, piece))
        )
        prefix = "…" if left > 0 else ""
        suffix = "…" if right < len(text) else ""
        out.append(Markup("{}{}{}").format(prefix, marked, suffix))
        shown_until = right
        if len(out) == limit:
            break
    return out


def _split_keep(pattern: re.Pattern[str], text: str) -> list[str]:
    """``text`` split around matches of ``pattern``; matches at the odd positions."""
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        parts.extend([text[last : match.start()], match.group()])
        last = match.end()
    parts.append(text[last:])
    return parts


async def search(request, datasette):  # type: ignore[no-untyped-def]
    db = datasette.get_database(DATABASE)
    query = (request.args.get("q") or "").strip()[:MAX_QUERY]
    before = request.args.get("before")
    context: dict[str, Any] = {"q": query, "hits": [], "count": None, "next": None}
    match = fts_query(query)
    if query and match != '""':
        terms = query.split()
        context["count"] = await count_matches(
            db.execute, "sections", "sections_fts", query, ":match", {"match": match}
        )
        params: dict[str, Any] = {"match": match, "size": PAGE_SIZE + 1}
        cursor = ""
        if before and before.isdigit():
            cursor = "and rowid < :before"
            params["before"] = int(before)
        rowids = [
            row[0]
            for row in await db.execute(
                "select rowid from sections_fts where sections_fts match :match "
                f"{cursor} order by rowid desc limit :size",
                params,
            )
        ]
        if len(rowids) > PAGE_SIZE:
            rowids = rowids[:PAGE_SIZE]
            context["next"] = rowids[-1]
        if rowids:
            marks = ", ".join(f":r{i}" for i in range(len(rowids)))
            rows = await db.execute(
                "select rowid as hit_rowid, report_id, body_name, year, province, level, section, "
                f"heading, text from sections where rowid in ({marks})",
                {f"r{i}": rowid for i, rowid in enumerate(rowids)},
            )
            by_rowid = {row["hit_rowid"]: dict(row) for row in rows}
            for rowid in rowids:
                hit = by_rowid.get(rowid)
                if hit:
                    text = hit.pop("text") or ""
                    hit["passages"] = passages(text, terms) or [
                        escape(text[: 2 * CONTEXT]) + ("…" if len(text) > 2 * CONTEXT else "")
                    ]
                    context["hits"].append(hit)
    if request.url_vars.get("format") == "json":
        return Response.json(
            {
                "q": query,
                "count": context["count"],
                "next": context["next"],
                "hits": [
                    {**hit, "passages": [p.striptags() for p in hit["passages"]]}
                    for hit in context["hits"]
                ],
            },
            headers={"Access-Control-Allow-Origin": "*"},
        )
    return Response.html(await datasette.render_template("search.html", context, request=request))


@hookimpl
def register_routes():  # type: ignore[no-untyped-def]
    return [(r"^/-/search(\.(?P<format>json))?$", search)]
