"""Plain urllib helpers for the fixture portal tests (no crawler involved)."""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass
from email.message import Message


@dataclass
class Fetched:
    status: int
    headers: Message
    body: bytes
    url: str

    def text(self, encoding: str | None = None) -> str:
        """The body decoded as the header says (GB charsets as GB18030)."""
        declared = encoding or self.headers.get_content_charset() or "utf-8"
        if declared.lower() in ("gb2312", "gbk"):
            declared = "gb18030"
        return self.body.decode(declared)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def fetch(
    url: str,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
    follow: bool = True,
    method: str | None = None,
    timeout: float = 30,
) -> Fetched:
    """GET (or POST with ``data``) ``url``; HTTP errors are returned, not raised."""
    request = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    opener = urllib.request.build_opener() if follow else urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return Fetched(response.status, response.headers, response.read(), response.url)
    except urllib.error.HTTPError as exc:
        return Fetched(exc.code, exc.headers, exc.read(), url)
