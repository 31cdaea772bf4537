"""Character bigrams for Chinese full-text search, shared by the build and the site.

SQLite's FTS5 has no Chinese tokenizer: ``unicode61`` indexes a whole clause as
one token and ``trigram`` cannot find two-character words, which most Chinese
words are. So the build stores each run of CJK characters as its overlapping
bigrams followed by its last character (信息公开 → ``信息 息公 公开 开``) in a
contentless FTS5 table (``index_text``); everything else becomes its words
(letters and digits, lower-cased; punctuation dropped). The trailing single
character closes the run, so no two bigrams of different runs are ever
adjacent. Since the text FTS5 receives is already cut into tokens separated
by spaces, the tables use FTS5's plain ``ascii`` tokenizer, which only splits
on spaces and ASCII punctuation: inserting is a third cheaper than with
``unicode61`` (0.30 → 0.19 ms per report's sections), and what a token is is
decided here alone, the same way for the index and for the queries.

The site rewrites each search term into the phrase of its bigrams
(``fts_query``): a phrase matches only consecutive bigrams of one run, so a term
of ≥ 2 CJK characters is found exactly where it occurs as a substring (the same
rows as a ``LIKE '%term%'`` scan). A single CJK character becomes a prefix
query (``"年" *``), which matches every bigram it starts and every run it ends:
again every occurrence. Latin words and numbers match whole words, case-folded.
Terms separated by spaces must all occur (AND), as in Datasette's own search.
"""

from __future__ import annotations

import re
from operator import add

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_SPLIT = re.compile(f"([{_CJK}]+)")
# A word outside CJK runs: letters and digits of any script (no underscore).
_WORD = re.compile(r"[^\W_]+")


def index_text(text: str | None) -> str:
    """What the build inserts into an FTS5 column for ``text``."""
    if not text:
        return ""
    out: list[str] = []
    for i, piece in enumerate(_SPLIT.split(text)):
        if i & 1:  # a CJK run: its bigrams, then its last character
            out.extend(map(add, piece, piece[1:]))
            out.append(piece[-1])
        elif piece:
            out.extend(_WORD.findall(piece.lower()))
    return " ".join(out)


def term_tokens(term: str) -> tuple[list[str], bool]:
    """A search term's phrase tokens, and whether its last token is a prefix.

    CJK runs become their bigrams (a lone character itself), anything else its
    lower-cased words, as ``index_text`` cuts them. The last token is a prefix
    when the term ends in a lone CJK character (it may start a longer run in
    the text).
    """
    parts: list[str] = []
    prefix = False
    for i, piece in enumerate(_SPLIT.split(term.replace('"', " "))):
        if i & 1:
            if len(piece) == 1:
                parts.append(piece)
                prefix = True
            else:
                parts.extend(map(add, piece, piece[1:]))
                prefix = False
        elif words := _WORD.findall(piece.lower()):
            parts.extend(words)
            prefix = False
    return parts, prefix


def fts_query(query: str | None) -> str:
    """An FTS5 MATCH expression for a user's search: one phrase per whitespace-separated term.

    Phrases are ANDed (FTS5's implicit operator). A query with nothing
    searchable becomes ``""``, which matches nothing instead of raising a syntax
    error. Every character of the user's input ends up inside a quoted phrase,
    so FTS5 operators typed by a user are searched for, never executed.
    """
    phrases = []
    for term in (query or "").split():
        parts, prefix = term_tokens(term)
        if parts:
            phrases.append('"' + " ".join(parts) + '"' + (" *" if prefix else ""))
    return " ".join(phrases) or '""'
