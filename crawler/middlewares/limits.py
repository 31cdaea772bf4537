"""Each request stays on its source's allow-list and within the source's budgets.

A compromised or spoofed portal can redirect the crawler anywhere (another host,
``file:///etc/passwd``), refresh or script it elsewhere, or list 10,000 links and
a calendar that pages back forever. Scrapy's own offsite filter allows the hosts
of *every* source of the run, so one source could send the crawler to another's
host or to an address no source names. Here:

- ``AllowListMiddleware`` (first in the downloader chain, before robots.txt is
  asked for): a request made for a source must be http(s) on one of that
  source's hosts (``Source.allows``), whether the spider made it or a redirect,
  a meta refresh or anything else did.
- ``SourceBudgetMiddleware`` (a spider middleware): the per-source, per-run
  budgets, ``XXGK_MAX_LIST_PAGES`` list pages and ``XXGK_MAX_DOCUMENTS``
  documents; requests past them are never scheduled.
- ``RedirectGuardMiddleware`` (before Scrapy's redirect middleware sees the
  answer): a 3xx whose ``Location`` leaves the allow-list is refused as such.

Every refusal becomes a failed capture in the ledger with its reason
(``refused: …``) and a problem on the source in the run's results.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any
from urllib.parse import urljoin

from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response

logger = logging.getLogger(__name__)


class Refused(IgnoreRequest):
    """A request the crawler will not make; the message says why."""


def _refuse(spider: Any, request: Request, why: str, *, problem: bool = True) -> Refused:
    spider.tally["refused"] += 1
    spider.note_dropped(request, f"refused: {why}")
    if problem:
        spider.problem(request.meta.get("source"), why)
    return Refused(why)


class AllowListMiddleware:
    """Downloader middleware: every request made for a source stays on its hosts."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        # Scrapy's own offsite filter and the dupefilter drop some requests before
        # they reach here (a meta refresh to another host, a redirect back to a
        # page already asked for): those are recorded as refusals too.
        crawler.signals.connect(self.scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.dropped, signal=signals.request_dropped)

    def scheduled(self, request: Request, spider: Any = None) -> None:
        """Refuse (and record) an off-list request before Scrapy's offsite filter drops it."""
        self.process_request(request)

    def dropped(self, request: Request, spider: Any = None) -> None:
        """The dupefilter dropped a redirect's target: the redirect went in a loop."""
        spider = self.crawler.spider
        source = getattr(spider, "sources", {}).get(request.meta.get("source"))
        via = request.meta.get("redirect_urls") or []
        if source is None or request.meta.get("xxgk_recorded") or not via:
            return
        _refuse(
            spider, request, f"redirect loop: {request.url[:200]} again (reached from {via[0]})"
        )

    @classmethod
    def from_crawler(cls, crawler: Any) -> AllowListMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        spider = self.crawler.spider
        source = getattr(spider, "sources", {}).get(request.meta.get("source"))
        if source is None or source.allows(request.url) or request.meta.get("xxgk_recorded"):
            return None
        via = request.meta.get("redirect_urls") or []
        origin = f" (reached from {via[0]})" if via else ""
        raise _refuse(spider, request, f"{request.url[:200]} is off the allow-list{origin}")


class SourceBudgetMiddleware:
    """Spider middleware: per source and run, at most so many list pages and documents.

    Requests past a budget are never scheduled. Each is logged in the run's log
    with the reason; the first per source and kind also becomes a failed capture
    in the ledger and a problem on the source; the count is in the run summary
    (``refused_budget``).
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.limits = {
            "list": crawler.settings.getint("XXGK_MAX_LIST_PAGES", 2000),
            "document": crawler.settings.getint("XXGK_MAX_DOCUMENTS", 20000),
        }
        self.counts: Counter[tuple[str, str]] = Counter()

    @classmethod
    def from_crawler(cls, crawler: Any) -> SourceBudgetMiddleware:
        return cls(crawler)

    def allowed(self, request: Request) -> bool:
        spider = self.crawler.spider
        source_id = request.meta.get("source")
        if not source_id or request.meta.get("dont_obey_robotstxt"):
            return True
        kind = "list" if request.meta.get("kind") == "list" else "document"
        key = (source_id, kind)
        self.counts[key] += 1
        limit = self.limits[kind]
        if self.counts[key] <= limit:
            return True
        setting = "XXGK_MAX_LIST_PAGES" if kind == "list" else "XXGK_MAX_DOCUMENTS"
        why = (
            f"{kind} budget of {limit} per source reached ({setting}): a trap or an unusually"
            f" large column; {request.url[:200]} not fetched"
        )
        spider.tally["refused_budget"] += 1
        logger.info("refused: %s: %s", source_id, why)
        if self.counts[key] == limit + 1:
            _refuse(spider, request, why)
        return False

    def process_spider_output(self, response: Any, result: Any, spider: Any = None) -> Any:
        for item in result:
            if not isinstance(item, Request) or self.allowed(item):
                yield item

    async def process_spider_output_async(
        self, response: Any, result: Any, spider: Any = None
    ) -> Any:
        async for item in result:
            if not isinstance(item, Request) or self.allowed(item):
                yield item

    async def process_start(self, start: Any) -> Any:
        async for item in start:
            if not isinstance(item, Request) or self.allowed(item):
                yield item


class RedirectGuardMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response, spider: Any = None) -> Any:
        if not (300 <= response.status < 400) or b"Location" not in response.headers:
            return response
        spider = self.crawler.spider
        source = getattr(spider, "sources", {}).get(request.meta.get("source"))
        if source is None:
            return response
        location = (response.headers.get(b"Location") or b"").decode("latin-1").strip()
        target = urljoin(request.url, location)
        seen = [*(request.meta.get("redirect_urls") or []), request.url]
        if target in seen:
            raise _refuse(
                spider, request, f"redirect loop: {target[:200]} again after {len(seen)} hop(s)"
            )
        if source.allows(target):
            return response
        raise _refuse(
            spider, request, f"redirect to {target[:200]} is off the allow-list ({response.status})"
        )
