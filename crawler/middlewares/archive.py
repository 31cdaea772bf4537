"""Every fetch archived: body into the raw store, a capture row into the ledger.

Also, at the same boundary:

- **replay**: a request this run already fetched (earlier in the run, or
  before a crash) is answered from the archive, so a run never repeats a fetch
  and a resume loses none;
- **conditional requests**: a request marked ``conditional`` carries the URL's
  ``If-None-Match`` / ``If-Modified-Since``;
- **encoding**: text bodies are read in the encoding ``crawler.encoding`` decides,
  and the capture records what was declared and what was used.

Placed after ``HttpCompressionMiddleware`` (bodies are stored decompressed) and
before ``RetryMiddleware`` (every failed attempt is a capture too).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Request, Response, TextResponse
from scrapy.responsetypes import responsetypes

from archive.ledger import Capture
from crawler import detect
from crawler.encoding import decide, decode_header_value, disposition_filename
from crawler.failures import describe

TEXT_TYPES = ("text/", "html", "xml", "json", "javascript")


def header_dict(headers: Headers) -> dict[str, list[str]]:
    """Response headers as text (GBK bytes in header values decoded, not mangled)."""
    return {
        decode_header_value(bytes(key)): [decode_header_value(bytes(v)) for v in values]
        for key, values in headers.items()
    }


def original_url(request: Request) -> str:
    """The URL the archive knows this request by: before redirects, or as re-checked."""
    if request.meta.get("state_url"):
        return str(request.meta["state_url"])
    redirects = request.meta.get("redirect_urls")
    return str(redirects[0]) if redirects else request.url


class ArchiveMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchiveMiddleware:
        return cls(crawler)

    @property
    def spider(self) -> Any:
        return self.crawler.spider

    def fingerprint(self, request: Request) -> str:
        if "xxgk_fp" not in request.meta:
            fingerprint = self.crawler.request_fingerprinter.fingerprint(request).hex()
            if request.meta.get("xxgk_pass"):  # a deliberate second walk over the same URLs
                fingerprint += f"/{request.meta['xxgk_pass']}"
            request.meta["xxgk_fp"] = fingerprint
        return str(request.meta["xxgk_fp"])

    # -- requests ------------------------------------------------------------

    def process_request(self, request: Request, spider: Any = None) -> Response | None:
        capture_id = self.spider.replayable.get(self.fingerprint(request))
        if capture_id is not None:
            return self.replay(request, capture_id)
        if request.meta.get("conditional") and request.method == "GET":
            state = self.spider.ledger.url_state(original_url(request))
            if state is not None and state["sha256"]:
                if state["etag"]:
                    request.headers[b"If-None-Match"] = state["etag"]
                if state["last_modified"]:
                    request.headers[b"If-Modified-Since"] = state["last_modified"]
        return None

    def replay(self, request: Request, capture_id: int) -> Response:
        """The response this run already archived for the request."""
        row = self.spider.ledger.capture(capture_id)
        body = self.spider.store.get(row["sha256"]) if row["sha256"] else b""
        headers = Headers(json.loads(row["headers"] or "{}"))
        url = row["final_url"] or request.url
        cls = responsetypes.from_args(headers=headers, url=url, body=body)
        kwargs: dict[str, Any] = {}
        if issubclass(cls, TextResponse) and row["used_encoding"]:
            kwargs["encoding"] = row["used_encoding"]
        request.meta.update(
            xxgk_replayed=True, capture_id=capture_id, change=row["change"], error=row["error"]
        )
        self.spider.tally["replayed"] += 1
        return cls(
            url=url, status=row["status"], headers=headers, body=body, request=request, **kwargs
        )

    # -- responses -------------------------------------------------------------

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        if request.meta.get("xxgk_replayed"):
            return response
        body = response.body
        headers = header_dict(response.headers)
        content_type = next(iter(headers.get("Content-Type") or []), None)
        sha256 = self.spider.store.put(body) if body or response.status == 200 else None
        decision = None
        if (
            content_type
            and any(t in content_type.lower() for t in TEXT_TYPES)
            or (isinstance(response, TextResponse) and body)
        ):
            decision = decide(body, content_type)
        url = original_url(request)
        kind = self.kind_of(request)
        error = self.error_of(
            request, response, url, content_type, decision.used if decision else "utf-8"
        )
        if error and error.startswith("blocked"):
            request.meta["xxgk_challenge"] = error.removeprefix("blocked: ")
        capture = Capture(
            run_id=self.spider.run_id,
            source_id=self.spider.source_id_for(request),
            url=url,
            final_url=response.url,
            method=request.method,
            fingerprint=self.fingerprint(request),
            status=response.status,
            headers=headers,
            sha256=sha256,
            size=len(body),
            content_type=content_type,
            declared_encoding=decision.declared if decision else None,
            used_encoding=decision.used if decision else None,
            kind=kind,
            parent_url=request.meta.get("parent_url"),
            filename=disposition_filename(response.headers.get(b"Content-Disposition")),
            redirect_urls=request.meta.get("redirect_urls"),
            error=error,
        )
        capture_id, change = self.spider.ledger.record_capture(capture)
        request.meta.update(capture_id=capture_id, change=change, error=error)
        if change not in ("failed", "blocked"):
            # Asked again in this run (a re-check that is also a list entry, a resumed
            # queue), the request is answered from the archive, not fetched twice.
            self.spider.replayable[capture.fingerprint] = capture_id
        self.spider.tally[change] += 1
        self.spider.tally["fetched"] += 1
        if decision and isinstance(response, TextResponse):
            return response.replace(encoding=decision.used)
        return response

    def process_exception(
        self, request: Request, exception: BaseException, spider: Any = None
    ) -> None:
        if isinstance(exception, IgnoreRequest) or request.meta.get("xxgk_replayed"):
            return None
        maxsize = request.meta.get("download_maxsize") or self.spider.settings.getint(
            "DOWNLOAD_MAXSIZE"
        )
        self.record_failure(request, describe(exception, maxsize))
        return None

    def record_failure(self, request: Request, error: str, *, status: int | None = None) -> None:
        """A capture for a fetch that produced no usable response (or no fetch at all)."""
        capture = Capture(
            run_id=self.spider.run_id,
            source_id=self.spider.source_id_for(request),
            url=original_url(request),
            method=request.method,
            fingerprint=self.fingerprint(request),
            status=status,
            kind=self.kind_of(request),
            parent_url=request.meta.get("parent_url"),
            redirect_urls=request.meta.get("redirect_urls"),
            error=error[:500],
        )
        _capture_id, change = self.spider.ledger.record_capture(capture)
        self.spider.tally[change] += 1

    @staticmethod
    def kind_of(request: Request) -> str:
        if request.meta.get("dont_obey_robotstxt") and urlsplit(request.url).path == "/robots.txt":
            return "robots"
        return str(request.meta.get("kind") or "other")

    @staticmethod
    def error_of(
        request: Request, response: Response, url: str, content_type: str | None, encoding: str
    ) -> str | None:
        """Why this response is not content: a challenge, an error status, a soft 404."""
        headers = header_dict(response.headers)
        name = detect.challenge(response.status, headers, response.body)
        if name:
            return f"blocked: {name}"
        if response.status >= 400 and response.status not in (404, 410):
            return f"HTTP {response.status}"
        if request.meta.get("kind") == "robots" or request.meta.get("dont_obey_robotstxt"):
            return None
        soft = detect.soft_404(response.status, content_type, response.body, encoding)
        if soft:
            return f"soft 404: {soft}"
        if response.status == 200 and detect.redirected_home(url, response.url):
            return f"redirected to the home page: {response.url}"
        return None
