"""Each request stays on its source's allow-list and within the source's budgets.

A compromised or spoofed portal can redirect the crawler anywhere (another host,
``file:///etc/passwd``), refresh or script it elsewhere, or list 10,000 links and
a calendar that pages back forever. Scrapy's own offsite filter allows the hosts
of *every* source of the run, so one source could send the crawler to another's
host or to an address no source names. Here:

- ``AllowListMiddleware`` (first in the chain, before robots.txt is asked for):
  a request made for a source must be http(s) on one of that source's hosts
  (``Source.allows``), whether the spider made it or a redirect, a meta refresh
  or anything else did. It also enforces the per-source, per-run budgets:
  ``XXGK_MAX_LIST_PAGES`` list pages and ``XXGK_MAX_DOCUMENTS`` documents.
- ``RedirectGuardMiddleware`` (before Scrapy's redirect middleware sees the
  answer): a 3xx whose ``Location`` leaves the allow-list is refused as such.

Every refusal becomes a failed capture in the ledger with its reason
(``refused: …``) and a problem on the source in the run's results.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urljoin

from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response


class Refused(IgnoreRequest):
    """A request the crawler will not make; the message says why."""


def _refuse(spider: Any, request: Request, why: str, *, problem: bool = True) -> Refused:
    spider.tally["refused"] += 1
    spider.note_dropped(request, f"refused: {why}")
    if problem:
        spider.problem(request.meta.get("source"), why)
    return Refused(why)


class AllowListMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.max_list_pages = crawler.settings.getint("XXGK_MAX_LIST_PAGES", 2000)
        self.max_documents = crawler.settings.getint("XXGK_MAX_DOCUMENTS", 20000)
        self.counts: Counter[tuple[str, str]] = Counter()
        self.exhausted: set[tuple[str, str]] = set()

    @classmethod
    def from_crawler(cls, crawler: Any) -> AllowListMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        spider = self.crawler.spider
        source = getattr(spider, "sources", {}).get(request.meta.get("source"))
        if source is None:
            return None
        if not source.allows(request.url):
            via = request.meta.get("redirect_urls") or []
            origin = f" (reached from {via[0]})" if via else ""
            raise _refuse(spider, request, f"{request.url[:200]} is off the allow-list{origin}")
        if request.meta.get("redirect_urls") or request.meta.get("xxgk_budgeted"):
            return None  # counted when first asked for
        request.meta["xxgk_budgeted"] = True
        kind = "list" if request.meta.get("kind") == "list" else "document"
        limit = self.max_list_pages if kind == "list" else self.max_documents
        key = (source.id, kind)
        self.counts[key] += 1
        if self.counts[key] > limit:
            first = key not in self.exhausted
            self.exhausted.add(key)
            setting = "XXGK_MAX_LIST_PAGES" if kind == "list" else "XXGK_MAX_DOCUMENTS"
            raise _refuse(
                spider,
                request,
                f"{kind} budget of {limit} per source reached ({setting}): a trap or an "
                f"unusually large column; {request.url[:200]} not fetched",
                problem=first,
            )
        return None


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
        if source.allows(target):
            return response
        raise _refuse(
            spider, request, f"redirect to {target[:200]} is off the allow-list ({response.status})"
        )
