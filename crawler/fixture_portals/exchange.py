"""One HTTP exchange as the fixture portals see it: a ``Request`` in, a ``Response`` out.

``Response.with_validators`` is the static file server's behaviour: ``ETag`` and
``Last-Modified`` on static pages, ``304 Not Modified`` for a matching
``If-None-Match`` (or, without it, a not-older ``If-Modified-Since``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes = b""
    query_string: str = ""

    @property
    def target(self) -> str:
        """Path and query string, as in the request line."""
        return f"{self.path}?{self.query_string}" if self.query_string else self.path

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None

    def form(self) -> dict[str, str]:
        from urllib.parse import parse_qsl

        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    headers: list[tuple[str, str]] = field(default_factory=list)
    last_modified: datetime | None = None  # set on static pages: validators and 304s

    def with_validators(self, request: Request) -> Response:
        """Add ETag/Last-Modified (static pages) and answer conditional requests with 304."""
        if self.last_modified is None or self.status != 200:
            return self
        etag = f'"{hashlib.sha256(self.body).hexdigest()[:8]}-{len(self.body):x}"'
        stamp = format_datetime(self.last_modified.astimezone(UTC), usegmt=True)
        self.headers += [("ETag", etag), ("Last-Modified", stamp), ("Accept-Ranges", "bytes")]
        inm = request.header("If-None-Match")
        ims = request.header("If-Modified-Since")
        not_modified = False
        if inm is not None:
            not_modified = etag in [tag.strip() for tag in inm.split(",")] or inm.strip() == "*"
        elif ims is not None:
            try:
                not_modified = self.last_modified <= parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                not_modified = False
        if not_modified:
            return Response(
                304,
                b"",
                self.content_type,
                [("ETag", etag), ("Last-Modified", stamp)],
            )
        return self


def not_found() -> Response:
    body = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>404 Not Found</title></head>"
        "<body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>"
    )
    return Response(404, body.encode())


def redirect(location: str, status: int = 302) -> Response:
    body = f"<html><body>Moved: <a href='{location}'>{location}</a></body></html>".encode()
    return Response(status, body, headers=[("Location", location)])
