"""Character bigrams for Chinese full-text search, shared by the build and the site.

SQLite's FTS5 has no Chinese tokenizer: ``unicode61`` indexes a whole clause as
one token and ``trigram`` cannot find two-character words, which most Chinese
words are. So the build stores each text as overlapping bigrams separated by
spaces (信息公开 → ``信息 息公 公开``) in a contentless FTS5 table, and the site
rewrites each query term into the phrase of its bigrams (``fts_query``). A phrase
matches only consecutive bigrams, so a term of ≥ 2 CJK characters is found
exactly where it occurs as a substring. Latin letters and digits are kept as
whole lower-cased words. A lone CJK character is indexed only where it stands
alone between punctuation, so single-character search is not supported.

The build and the query side must use the same ``tokens`` function: the site's
search plugin imports ``fts_query`` from here.
"""

from __future__ import annotations

import re

# Runs of CJK ideographs (basic block, extension A, compatibility) or of ASCII letters/digits.
_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+|[0-9A-Za-z]+")


def tokens(text: str | None) -> list[str]:
    """The index tokens of a text: CJK bigrams (a lone character as itself), ASCII words."""
    out: list[str] = []
    if not text:
        return out
    for match in _RUN.finditer(text):
        run = match.group()
        if run[0] >= "\u3400":
            if len(run) == 1:
                out.append(run)
            else:
                out.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            out.append(run.lower())
    return out


def index_text(text: str | None) -> str:
    """What the build inserts into an FTS5 column for ``text``."""
    return " ".join(tokens(text))


def fts_query(query: str | None) -> str:
    """An FTS5 MATCH expression for a user's search: each whitespace-separated term is a phrase.

    Terms are ANDed (FTS5's implicit operator), as Datasette's own ``escape_fts``
    does. A query with no searchable characters becomes ``""``, which matches
    nothing instead of raising a syntax error.
    """
    phrases = []
    for term in (query or "").split():
        term_tokens = tokens(term)
        if term_tokens:
            phrases.append('"' + " ".join(term_tokens) + '"')
    return " ".join(phrases) or '""'
