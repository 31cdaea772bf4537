"""Chinese full-text search: rewrite ``?_search=`` terms into bigram phrases.

The build indexes texts as character bigrams (``archive/bigram.py``); Datasette
filters a searched table with ``... match escape_fts(:search)``. Datasette
registers its own ``escape_fts`` SQL function in its ``prepare_connection``
hook; this one is ``trylast`` so it runs after Datasette's and replaces it on
every connection. The query is then tokenised by the very function the index
was built with, so any Chinese term (even one character) matches exactly
where it occurs (terms are ANDed, like Datasette's own search).
"""

from __future__ import annotations

from datasette import hookimpl

from archive.bigram import fts_query


@hookimpl(trylast=True)
def prepare_connection(conn):  # type: ignore[no-untyped-def]
    conn.create_function("escape_fts", 1, fts_query, deterministic=True)
