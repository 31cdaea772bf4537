"""robots.txt, honestly: an answer that is not a robots.txt is not permission.

Scrapy parses whatever body robots.txt returns, so a 5xx error page or a WAF
challenge would read as "allow all". Here (as RFC 9309 says for an unreachable
robots.txt) a 5xx, a challenge, or no answer at all blocks the host for the run:
nothing more is fetched from it tonight. A 4xx (no robots.txt) allows all.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.robotstxt import RobotParser
from twisted.internet.defer import Deferred


class DisallowAll(RobotParser):
    """The parser used for a host whose robots.txt could not be read honestly."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    @classmethod
    def from_crawler(cls, crawler: Any, robotstxt_body: bytes) -> DisallowAll:
        return cls("")

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class HonestRobotsTxtMiddleware(RobotsTxtMiddleware):
    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        reason = None
        challenge = response.request.meta.get("xxgk_challenge") if response.request else None
        if challenge:
            reason = f"robots.txt answered a challenge ({challenge})"
        elif response.status >= 500:
            reason = f"robots.txt answered HTTP {response.status}"
        if reason is None:
            await super()._parse_robots(response, netloc, request)
            return
        self._block(netloc, reason, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if isinstance(exc, IgnoreRequest):
            reason = f"robots.txt not fetched ({exc})"
        else:
            reason = f"robots.txt unreachable ({type(exc).__name__}: {exc})"
        self._block(netloc, reason, None)

    def _block(self, netloc: str, reason: str, request: Request | None) -> None:
        host = netloc.split(":")[0]
        spider: Any = self.crawler.spider
        if host not in spider.blocked_hosts:
            spider.block_host(host, reason, request=request, response=None)
        parser = DisallowAll(reason)
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if isinstance(pending, Deferred):
            pending.callback(parser)

    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, DisallowAll):
            host = request.url.split("/")[2].split(":")[0]
            raise IgnoreRequest(f"host {host} is blocked for this run: {rp.reason}")
        try:
            super().process_request_2(rp, request)
        except IgnoreRequest:
            spider: Any = self.crawler.spider
            spider.note_dropped(request, "robots: forbidden by robots.txt")
            raise
