"""The archive: the content-addressed raw store, the SQLite build and the CLI.

On-disk layout of a data directory (``--data-dir``, or ``$XXGK_DATA_DIR``,
default ``~/.local/share/xxgk-archive``; never inside the package)::

    <data>/raw/<sha256[:2]>/<sha256>   every body fetched, stored once, immutable
    <data>/crawl.db                    captures, per-URL state and runs (the crawler's ledger)
    <data>/archive.db                  the published database built from the two above

The raw store and ``crawl.db`` are the source of truth; ``archive.db`` can always
be rebuilt from them.
"""
