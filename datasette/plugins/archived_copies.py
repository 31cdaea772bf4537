"""Serve our archived copy of a document, addressed by its SHA-256 only.

``/-/archived/<sha256>`` streams the blob from the raw store beside the
published database (``<data>/raw/``, see ``archive/store.py``). No path is ever
built from the URL: the route accepts exactly 64 hex digits, and the blob is
served only when the published database references it (``lookup_sql`` in the
``xxgk-archived-copies`` plugin config returns its content type).

Archived pages are hostile content in our origin, so every response carries
``Content-Security-Policy: sandbox`` (scripts never run, the page gets an opaque
origin), ``X-Content-Type-Options: nosniff`` and no referrer. HTML and plain
text are shown inline under that policy; any other type, or ``?download=1``,
is sent as an attachment.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from archive.store import RawStore

PLUGIN = "xxgk-archived-copies"
SANDBOX_CSP = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "form-action 'none'; frame-ancestors 'self'"
)
INLINE_TYPES = {"text/html", "text/plain"}
EXTENSIONS = {
    "text/html": "html",
    "text/plain": "txt",
    "application/pdf": "pdf",
    "application/msword": "doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "application/vnd.ms-excel": "xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
    "application/zip": "zip",
    "image/png": "png",
    "image/jpeg": "jpg",
}
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*$")
_CHARSET = re.compile(r"charset=\s*\"?([A-Za-z0-9_.:-]{1,40})", re.I)


def clean_content_type(declared: str | None) -> tuple[str, str]:
    """A safe ``Content-Type`` header from a recorded one, and its bare media type."""
    if not declared:
        return "application/octet-stream", "application/octet-stream"
    media = declared.split(";", 1)[0].strip().lower()
    if not _MEDIA_TYPE.match(media):
        return "application/octet-stream", "application/octet-stream"
    charset = _CHARSET.search(declared)
    if charset and media.startswith("text/"):
        return f"{media}; charset={charset.group(1)}", media
    return media, media


async def archived_copy(request, datasette):  # type: ignore[no-untyped-def]
    sha256 = request.url_vars["sha256"]
    config = datasette.plugin_config(PLUGIN) or {}
    database = datasette.get_database(config.get("database"))
    lookup = await database.execute(config["lookup_sql"], {"sha256": sha256})
    row = lookup.first()
    if row is None:
        raise NotFound("No archived document with this SHA-256")
    store = RawStore(Path(database.path).parent)
    blob = store.path(sha256)
    if not blob.is_file():
        raise NotFound("The archived bytes are not on this server")
    body = await asyncio.to_thread(blob.read_bytes)
    content_type, media = clean_content_type(row[0])
    headers = {
        "Content-Security-Policy": SANDBOX_CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "public, max-age=31536000, immutable",
    }
    if media not in INLINE_TYPES or request.args.get("download"):
        extension = EXTENSIONS.get(media, "bin")
        headers["Content-Disposition"] = f'attachment; filename="{sha256}.{extension}"'
    return Response(body, status=200, headers=headers, content_type=content_type)


@hookimpl
def register_routes():  # type: ignore[no-untyped-def]
    return [(r"^/-/archived/(?P<sha256>[0-9a-f]{64})$", archived_copy)]
