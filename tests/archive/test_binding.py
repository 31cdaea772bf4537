"""``archive.binding``: None and bytes bound without adaptation are stored as before."""

from __future__ import annotations

import sqlite3

from archive.binding import bind_directly


def test_none_and_bytes_are_stored_as_null_and_blob_after_bind_directly() -> None:
    bind_directly()
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (a, b, c)")
    text = "信息公开".encode()
    conn.execute("INSERT INTO t VALUES (?, ?, CAST(? AS TEXT))", (None, text, text))
    assert conn.execute("SELECT a IS NULL, typeof(b), b, typeof(c), c FROM t").fetchone() == (
        1,
        "blob",
        text,
        "text",
        "信息公开",
    )


def test_bind_directly_registers_c_callables_that_return_their_argument() -> None:
    bind_directly()
    adapters = sqlite3.adapters
    none_adapter = adapters[(type(None), sqlite3.PrepareProtocol)]
    bytes_adapter = adapters[(bytes, sqlite3.PrepareProtocol)]
    blob = b"\x00\xff"
    assert none_adapter(None) is None
    assert bytes_adapter(blob) is blob
