"""WAF challenges: detected, the host blocked for the run, its requests dropped.

``ArchiveMiddleware`` names the challenge (``crawler.detect.challenge``) when it
archives the response; ``ChallengeMiddleware`` then blocks the host (the
evidence goes to the ledger's ``blocks`` table) and drops the response.
``BlockGuardMiddleware`` runs first for every request and drops those for a
blocked host; ``GuardedHTTPDownloadHandler`` checks again at the last moment,
for the requests already waiting in the host's download slot when it was
blocked, so nothing at all is sent to a host after its challenge. Nothing here tries to pass a challenge:
no JavaScript is run, no cookie solved, no identity changed.
"""

from __future__ import annotations

from typing import Any

from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from crawler import detect


class HostBlocked(IgnoreRequest):
    """A request dropped because its host is blocked for this run."""


class BlockGuardMiddleware:
    """Drops every request to a host that is blocked for this run."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> BlockGuardMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        spider = self.crawler.spider
        host = urlparse_cached(request).hostname or ""
        reason = spider.blocked_hosts.get(host)
        if reason is not None:
            spider.note_dropped(request, f"blocked: host {host} is blocked for this run ({reason})")
            raise HostBlocked(f"host {host} is blocked for this run: {reason}")


class ChallengeMiddleware:
    """Blocks the host of a response that is a WAF challenge, and drops the response."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> ChallengeMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        name = request.meta.get("xxgk_challenge")
        if not name:
            return response
        host = urlparse_cached(request).hostname or ""
        self.crawler.spider.block_host(
            host, challenge_of(request, response) or name, request=request, response=response
        )
        raise HostBlocked(f"{host}: {name}")


class GuardedHTTPDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, refusing to send to a host blocked meanwhile.

    It also blocks the host the moment a challenge arrives: the downloader may
    send the host's next request as soon as this one returns, before the
    middlewares see the response. (A gzip-compressed challenge is only seen by
    the middlewares, after decompression.)
    """

    async def download_request(self, request: Request) -> Response:
        spider: Any = self.crawler.spider
        host = urlparse_cached(request).hostname or ""
        reason = spider.blocked_hosts.get(host) if spider is not None else None
        if reason is not None:
            spider.note_dropped(request, f"blocked: host {host} is blocked for this run ({reason})")
            raise HostBlocked(f"host {host} is blocked for this run: {reason}")
        response = await super().download_request(request)
        if spider is not None and b"Content-Encoding" not in response.headers:
            name = challenge_of(request, response)
            if name:
                spider.block_host(host, name, request=request, response=response)
        return response


def challenge_of(request: Request, response: Response) -> str | None:
    """The challenge this response is, named for the operator (robots.txt said so)."""
    headers = {
        k.decode("latin-1"): [v.decode("latin-1") for v in vs] for k, vs in response.headers.items()
    }
    name = detect.challenge(response.status, headers, response.body)
    robots = urlparse_cached(request).path == "/robots.txt"
    if name and robots and request.meta.get("dont_obey_robotstxt"):
        return f"robots.txt answered a challenge: {name}"
    return name
