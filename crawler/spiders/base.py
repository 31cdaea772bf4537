"""The spider machinery every family shares: sources, the run, list walks, documents.

A ``PortalSpider`` crawls one or more sources. For each source it

1. walks the 年报 list the way the source's CMS family paginates
   (``FAMILY_SPIDERS[family].read_list``), sequentially, one page after another;
2. asks for every list entry it has not seen before (report pages and files);
3. re-checks every report page and attachment already in the archive with a
   conditional request (a replaced attachment or an edited page becomes a new
   version; a 304 costs no body); one whose server sends no validators is
   re-checked only every ``XXGK_RECHECK_UNVALIDATED_DAYS``;
4. on a report page, follows the attachments (same hosts only).

Paging stops at the first list page whose items were all known before this run,
once the source has had one complete walk. Fetches are archived by
``crawler.middlewares.archive``; the spider reads pages and yields items.

Arguments (``scrapy crawl <family> -a source=a,b -a url=…``): ``source`` (ids,
comma-separated; default: every source of the spider's family), ``url`` (a 年报
column known only by its URL) and ``url_family`` (its family, when known). Settings: see ``crawler.settings``.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.httpobj import urlparse_cached

from archive.ledger import Ledger
from archive.paths import data_dir as default_data_dir
from archive.store import RawStore
from crawler import detect
from crawler.failures import describe
from crawler.items import Document, ListEntry
from crawler.middlewares.archive import original_url
from crawler.registry import (
    Source,
    SourceError,
    adhoc_source,
    check_sources,
    load_sources,
    select_sources,
)

logger = logging.getLogger(__name__)

FAMILY_SPIDERS: dict[str, type[PortalSpider]] = {}

LIST_PRIORITY = 20
DOCUMENT_PRIORITY = 10
RECHECK_PRIORITY = 0


@dataclass
class Entry:
    """One item of a list page."""

    url: str
    title: str | None = None
    published: str | None = None


@dataclass
class ListPage:
    """What a family reads from one list page: its entries and where the list goes on."""

    entries: list[Entry] = field(default_factory=list)
    next_pages: list[Request] = field(default_factory=list)
    sublists: list[Request] = field(default_factory=list)


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


class PortalSpider(scrapy.Spider):
    """Base of the family spiders (not run itself)."""

    family: ClassVar[str | None] = None
    #: The generic spider takes sources of every family; a family spider only its own.
    crawls_any_family: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.family:
            FAMILY_SPIDERS[cls.family] = cls

    # -- set-up --------------------------------------------------------------

    @classmethod
    def update_settings(cls, settings: Any) -> None:
        """Per-host politeness overrides of the sources become ``DOWNLOAD_SLOTS``."""
        super().update_settings(settings)
        good, _errors = check_sources(settings.get("XXGK_SOURCES_DIR") or None)
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        for source in good:
            override = {
                key: value
                for key, value in source.politeness.model_dump().items()
                if value is not None
            }
            if override:
                for host in source.hosts:
                    slots[host] = {**override, **slots.get(host, {})}
        if slots:
            settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    def __init__(
        self,
        source: str | None = None,
        url: str | None = None,
        url_family: str | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.source_arg = source
        self.url_arg = url
        self.url_family = url_family
        self.sources: dict[str, Source] = {}
        self.host_sources: dict[str, str] = {}
        self.fixed_delay_hosts: set[str] = set()
        self.tally: Counter[str] = Counter()
        self.blocked_hosts: dict[str, str] = {}
        self.replayable: dict[str, int] = {}
        self.known: dict[str, set[str]] = {}
        self.walked: set[str] = set()
        self.problems: dict[str, list[str]] = {}

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> PortalSpider:
        spider: PortalSpider = super().from_crawler(crawler, *args, **kwargs)
        spider.configure(crawler.settings)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    def configure(self, settings: Any) -> None:
        data = settings.get("XXGK_DATA_DIR") or None
        self.data_dir = Path(data) if data else default_data_dir()
        self.store = RawStore(self.data_dir)
        self.ledger = Ledger.open(self.data_dir)
        self.run_id = settings.get("XXGK_RUN_ID") or new_run_id()
        self.sources_dir = settings.get("XXGK_SOURCES_DIR") or None
        self.recheck_unvalidated_days = settings.getfloat("XXGK_RECHECK_UNVALIDATED_DAYS", 7.0)
        self.max_links_per_page = settings.getint("XXGK_MAX_LINKS_PER_PAGE", 1000)
        for source in self.select(self.source_arg, self.url_arg):
            self.sources[source.id] = source
            for host in source.hosts:
                self.host_sources.setdefault(host, source.id)
                if source.politeness.delay is not None:
                    self.fixed_delay_hosts.add(host)
        self.allowed_domains = sorted(self.host_sources)
        if self.ledger.run(self.run_id) is None:
            self.ledger.start_run(
                self.run_id,
                spider=self.name,
                sources=self.sources,
                settings={"url": self.url_arg} if self.url_arg else {},
            )
        else:
            for source_id in self.sources:
                self.ledger.db.execute(
                    "INSERT OR IGNORE INTO run_sources (run_id, source_id) VALUES (?, ?)",
                    (self.run_id, source_id),
                )
        self.replayable = self.ledger.successful_fingerprints(self.run_id)
        for block in self.ledger.blocks(self.run_id):
            self.blocked_hosts[block["host"]] = block["reason"]
        for source_id in self.sources:
            self.known[source_id] = self.ledger.known_urls(source_id, before_run=self.run_id)
            if self.ledger.walk_complete(source_id):
                self.walked.add(source_id)

    def select(self, source_arg: str | None, url_arg: str | None) -> list[Source]:
        """The sources this spider crawls, from its arguments."""
        chosen: list[Source] = []
        if url_arg:
            default = None if self.crawls_any_family else self.family
            chosen.append(adhoc_source(url_arg, self.url_family or default))
        ids = [s for s in (source_arg or "").split(",") if s.strip()]
        if ids:
            chosen.extend(select_sources([i.strip() for i in ids], self.sources_dir))
        elif not url_arg:
            chosen.extend(
                s
                for s in load_sources(self.sources_dir).values()
                if self.crawls_any_family or s.family == self.family
            )
        for source in chosen:
            if not self.crawls_any_family and source.family not in (None, self.family):
                raise SourceError(
                    f"source {source.id} is a {source.family} portal, not {self.family}:"
                    f" use `scrapy crawl {source.family}` or the generic spider"
                )
        return chosen

    # -- what the middlewares ask ---------------------------------------------

    def source_id_for(self, request: Request) -> str | None:
        source_id = request.meta.get("source")
        if source_id:
            return str(source_id)
        return self.host_sources.get(urlparse_cached(request).hostname or "")

    def block_host(
        self,
        host: str,
        reason: str,
        *,
        request: Request | None,
        response: Response | None,
    ) -> None:
        """Block a host for the rest of the run and record the evidence."""
        if host in self.blocked_hosts:
            return
        self.blocked_hosts[host] = reason
        source_id = (self.source_id_for(request) if request else None) or self.host_sources.get(
            host
        )
        self.ledger.record_block(
            run_id=self.run_id,
            source_id=source_id,
            host=host,
            url=request.url if request else None,
            status=response.status if response else None,
            reason=reason,
            sha256=None if response is None else self.store.put(response.body),
            headers=None
            if response is None
            else {
                k.decode("latin-1"): [v.decode("latin-1") for v in vs]
                for k, vs in response.headers.items()
            },
            snippet=None if response is None else response.body[:2048].decode("utf-8", "replace"),
        )
        self.tally["hosts_blocked"] += 1
        logger.warning("host %s blocked for this run: %s", host, reason)

    def note_dropped(self, request: Request, why: str) -> None:
        """A request not sent (host blocked, robots.txt): recorded so nothing vanishes."""
        if request.meta.get("dont_obey_robotstxt"):
            return
        request.meta["xxgk_recorded"] = True
        for middleware in self.crawler.engine.downloader.middleware.middlewares:
            if hasattr(middleware, "record_failure"):
                middleware.record_failure(request, why)
                return

    # -- the crawl -------------------------------------------------------------

    async def start(self) -> AsyncIterator[Any]:
        for source in self.sources.values():
            for request in self.first_requests(source):
                yield request
            for request in self.recheck_requests(source):
                yield request

    def first_requests(self, source: Source) -> list[Request]:
        """The requests that begin the source's list walk."""
        family = source.family or (None if self.crawls_any_family else self.family)
        if family and family != "generic":
            return FAMILY_SPIDERS[family].start_list(self, source)
        return [self.list_request(source, source.start_url, family=None, callback=self.parse_probe)]

    def recheck_requests(self, source: Source) -> Iterator[Request]:
        """Conditional re-checks of every document of the source already archived."""
        now = datetime.now(UTC)
        for row in self.ledger.documents(source.id):
            if row["gone_since"]:
                continue
            if row["sha256"] and not (row["etag"] or row["last_modified"]) and row["last_seen"]:
                seen = datetime.fromisoformat(row["last_seen"].replace("Z", "+00:00"))
                if (now - seen).total_seconds() < self.recheck_unvalidated_days * 86400:
                    continue  # no validators: a re-check would download it again
            # A download link that redirected is re-checked at its target (one
            # request instead of two); the capture stays under the link's URL.
            target = (
                row["final_url"] if row["final_url"] and source.allows(row["final_url"]) else None
            )
            yield self.document_request(
                source,
                target or row["url"],
                state_url=row["url"] if target else None,
                kind=row["kind"],
                parent_url=row["parent_url"],
                conditional=bool(row["sha256"]),
                priority=RECHECK_PRIORITY,
            )

    def list_request(
        self,
        source: Source,
        url: str,
        *,
        family: str | None,
        callback: Any = None,
        meta: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> Request:
        """A request for a list page of ``source`` (GET unless ``method``/``body`` say)."""
        request_meta = {"source": source.id, "kind": "list", "family": family, **(meta or {})}
        return Request(
            url,
            callback=callback or self.parse_list,
            errback=self.on_error,
            meta=request_meta,
            priority=LIST_PRIORITY,
            **kwargs,
        )

    def document_request(
        self,
        source: Source,
        url: str,
        *,
        kind: str | None,
        parent_url: str | None,
        conditional: bool = False,
        priority: int = DOCUMENT_PRIORITY,
        state_url: str | None = None,
    ) -> Request:
        meta: dict[str, Any] = {
            "state_url": state_url,
            "source": source.id,
            "kind": kind or ("attachment" if detect.is_attachment_url(url) else "report"),
            "parent_url": parent_url,
            "conditional": conditional,
        }
        return Request(
            url,
            callback=self.parse_document,
            errback=self.on_error,
            meta=meta,
            priority=priority,
        )

    def usable(self, response: Response) -> bool:
        """Whether the response is content (not an error, a soft 404, a 304...)."""
        if response.meta.get("error"):
            self.problem(response.meta.get("source"), f"{response.url}: {response.meta['error']}")
            return False
        return response.status == 200

    def problem(self, source_id: str | None, text: str) -> None:
        if source_id:
            self.problems.setdefault(source_id, []).append(text)
        logger.warning("%s: %s", source_id, text)

    # -- callbacks ---------------------------------------------------------------

    def parse_probe(self, response: Response) -> Iterator[Any]:
        """The start page of a source without a family: detect it, then read the list."""
        if not self.usable(response) or not isinstance(response, TextResponse):
            return
        family = detect.detect_family(response.url, response.text)
        self.logger.info("%s: family detected: %s", response.meta["source"], family)
        response.meta["family"] = family
        if family != "generic":
            # A family may need its own first request (an API behind the page).
            source = self.sources[response.meta["source"]]
            requests = FAMILY_SPIDERS[family].start_from_page(self, source, response)
            if requests is not None:
                yield from requests
                return
        yield from self.parse_list(response)

    def parse_list(self, response: Response) -> Iterator[Any]:
        source = self.sources[response.meta["source"]]
        if response.status == 304:
            return  # the list page is unchanged: nothing new on it
        if not self.usable(response):
            return
        family = response.meta.get("family") or "generic"
        page = FAMILY_SPIDERS[family].read_list(self, response, source)
        known = self.known[source.id]
        fresh = False
        entries = page.entries
        if len(entries) > self.max_links_per_page:
            # A link flood (10,000 items on one page) would hold the reactor while each
            # is registered: only the first ones are followed, and the source says why.
            self.problem(
                source.id,
                f"{response.url}: {len(entries)} links on one list page; only the first"
                f" {self.max_links_per_page} followed (XXGK_MAX_LINKS_PER_PAGE)",
            )
            entries = entries[: self.max_links_per_page]
        for entry in entries:
            url = entry.url
            if not source.allows(url):
                self.tally["offsite_links"] += 1
                continue
            yield ListEntry(
                source_id=source.id,
                list_url=response.url,
                url=url,
                title=entry.title,
                published=entry.published,
            )
            if url in known:
                continue
            fresh = True
            kind = "attachment" if detect.is_attachment_url(url) else "report"
            self.ledger.discover(
                url,
                run_id=self.run_id,
                source_id=source.id,
                kind=kind,
                parent_url=response.url,
                title=entry.title,
            )
            yield self.document_request(source, url, kind=kind, parent_url=response.url)
        if (
            not page.entries
            and not page.sublists
            and not page.next_pages
            and response.meta.get("page_number", 1) == 1
        ):
            self.problem(source.id, f"{response.url}: list page shows no items (layout change?)")
        stop = source.id in self.walked and page.entries and not fresh
        if not stop:
            yield from page.next_pages
        yield from page.sublists

    def parse_document(self, response: Response) -> Iterator[Any]:
        if response.status == 304 or not self.usable(response):
            return
        source = self.sources[response.meta["source"]]
        kind = response.meta.get("kind")
        is_page = isinstance(response, TextResponse) and "html" in (
            (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower() or "html"
        )
        if kind == "attachment" or not is_page:
            yield Document(
                source_id=source.id,
                capture_id=response.meta.get("capture_id"),
                url=original_url(response.request or Request(response.url)),
                kind="attachment",
                parent_url=response.meta.get("parent_url"),
            )
            return
        assert isinstance(response, TextResponse)
        html = response.text
        title = detect.page_title(html)
        yield Document(
            source_id=source.id,
            capture_id=response.meta.get("capture_id"),
            url=original_url(response.request or Request(response.url)),
            kind="report" if detect.is_report_title(title) else "other",
            title=title,
            published=detect.page_date(html),
            parent_url=response.meta.get("parent_url"),
        )
        for url in attachment_links(response):
            if not source.allows(url):
                self.tally["offsite_links"] += 1
                continue
            if url in self.known[source.id]:
                continue
            self.ledger.discover(
                url,
                run_id=self.run_id,
                source_id=source.id,
                kind="attachment",
                parent_url=response.url,
            )
            yield self.document_request(source, url, kind="attachment", parent_url=response.url)

    def on_error(self, failure: Any) -> None:
        request = failure.request
        reason = self.failure_reason(failure)
        self.logger.info("failed: %s (%s)", request.url, reason)
        # An HttpError (an IgnoreRequest too) is a response the archive already recorded.
        refused = failure.check(IgnoreRequest) and not failure.check(HttpError)
        if refused and not request.meta.get("xxgk_recorded"):
            # Dropped after the download (a decompression bomb past DOWNLOAD_MAXSIZE,
            # a redirect loop): recorded so the refusal and its reason are in the ledger.
            self.note_dropped(request, f"refused: {reason}")
            self.problem(request.meta.get("source"), f"{request.url}: {reason}")

    def failure_reason(self, failure: Any) -> str:
        """What went wrong, in words (some failures carry no message of their own)."""
        message = failure.getErrorMessage()
        if message:
            return str(message)
        request = failure.request
        maxsize = request.meta.get("download_maxsize") or self.settings.getint("DOWNLOAD_MAXSIZE")
        return describe(failure.value, maxsize)

    # -- the family interface (overridden by each family spider) ------------------

    @classmethod
    def start_list(cls, spider: PortalSpider, source: Source) -> list[Request]:
        """The first list request(s) of a source of this family."""
        return [spider.list_request(source, source.start_url, family=cls.family)]

    @classmethod
    def start_from_page(
        cls, spider: PortalSpider, source: Source, response: TextResponse
    ) -> list[Request] | None:
        """When the family was detected on ``response``: other first requests, or None."""
        return None

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        """The entries, next pages and sub-lists of a list page."""
        raise NotImplementedError

    # -- the end -----------------------------------------------------------------

    def on_closed(self, spider: Any, reason: str) -> None:
        finish(self, reason)


def finish(spider: PortalSpider, reason: str) -> None:
    """Per-source results into the ledger, walks marked complete, the run closed."""
    ledger, run_id = spider.ledger, spider.run_id
    all_ok = True
    blocks = ledger.blocks(run_id)
    for source_id in spider.sources:
        counts = ledger.source_counts(run_id, source_id)
        problems = spider.problems.get(source_id, [])
        blocked_here = [b for b in blocks if b["source_id"] == source_id]
        if blocked_here:
            status = "blocked"
        elif counts["errors"] or problems or counts["lists_fetched"] == 0:
            status = "failed"
        else:
            status = "ok"
        note = "; ".join([b["reason"] for b in blocked_here] + problems[:3]) or None
        if status == "failed" and counts["lists_fetched"] == 0 and not note:
            failed = ledger.failed_lists(run_id, source_id)
            note = "no list page could be fetched" + (
                f": {failed[0][1]} ({failed[0][0]})" if failed else ""
            )
        if reason == "finished" and status == "ok":
            ledger.set_walk_complete(source_id, run_id)
        if reason != "finished" and status == "ok":
            status = "interrupted"
        all_ok = all_ok and status == "ok"
        ledger.set_source_result(run_id, source_id, status, counts, note)
    run_status = ("finished" if all_ok else "failed") if reason == "finished" else "interrupted"
    summary: dict[str, Any] = dict(spider.tally)
    summary["finish_reason"] = reason
    ledger.finish_run(run_id, status=run_status, exit_code=0 if all_ok else 1, summary=summary)
    spider.logger.info("run %s %s: %s", run_id, run_status, summary)


# -- link extraction shared by the families --------------------------------------------

_PAGE_FILES = ("index", "list", "default", "more", "common_list")


def anchors(response: TextResponse, html: str | None = None) -> Iterator[tuple[str, str, str]]:
    """(absolute URL, text, title attribute) of every ``<a href>`` in the page or fragment."""
    selector = response if html is None else scrapy.Selector(text=html)
    base = response.url
    if html is None:
        base_href = response.css("base::attr(href)").get()
        if base_href:
            base = urljoin(response.url, base_href)
    for a in selector.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#", "tel:")):
            continue
        text = " ".join(t.strip() for t in a.css("::text").getall() if t.strip())
        yield urljoin(base, href).split("#")[0], text, a.attrib.get("title", "")


def looks_like_item(url: str, text: str, title: str) -> bool:
    """Whether a link in a list is one of its items (a report page or a file)."""
    if detect.is_attachment_url(url):
        return True
    name = urlsplit(url).path.rsplit("/", 1)[-1].lower()
    if not name or name.split(".")[0].split("_")[0] in _PAGE_FILES:
        return False
    if detect.ARTICLE_URL.search(url):
        return True
    return detect.is_report_title(title or text) and "." in name


def list_entries(
    response: TextResponse, html: str | None = None, skip: Iterable[str] = ()
) -> list[Entry]:
    """The items of a list page (or of an HTML fragment from a list API), in order."""
    seen = {response.url, *skip}
    entries: list[Entry] = []
    for url, text, title in anchors(response, html):
        if url in seen or not looks_like_item(url, text, title):
            continue
        seen.add(url)
        entries.append(Entry(url=url, title=(title or text or None)))
    return entries


BODY_CONTAINERS = (
    ".TRS_Editor, .trs_editor_view, .Custom_UnionStyle, #zoom, #Zoom, #ivs_content,"
    " .webeditorview, .article-content, .xxgk_content, .zfxxgk_zw_content,"
    " .news_cont_d_wrap, .bt-content"
)


def attachment_links(response: TextResponse) -> list[str]:
    """Files of a report page, in order, without duplicates: linked files, and the
    page images of an image-only report (图片版) in the article body."""
    found: list[str] = []
    for url, _text, _title in anchors(response):
        if detect.is_attachment_url(url) and url not in found:
            found.append(url)
    for img in response.css("img[src]"):
        src = (img.attrib.get("src") or "").strip()
        if not src or src.startswith("data:"):
            continue
        in_body = bool(img.xpath(f"ancestor::*[{_body_xpath()}]"))
        if in_body or detect.is_report_title(img.attrib.get("alt") or img.attrib.get("title")):
            url = response.urljoin(src).split("#")[0]
            if url not in found:
                found.append(url)
    return found


def _body_xpath() -> str:
    classes = [c[1:] for c in (s.strip() for s in BODY_CONTAINERS.split(",")) if c[0] == "."]
    ids = [c[1:] for c in (s.strip() for s in BODY_CONTAINERS.split(",")) if c[0] == "#"]
    tests = [f"contains(concat(' ', normalize-space(@class), ' '), ' {c} ')" for c in classes]
    tests += [f"@id='{i}'" for i in ids]
    return " or ".join(tests)


def next_link(response: TextResponse) -> str | None:
    """The 下一页 link of a page, if it has one."""
    for url, text, title in anchors(response):
        label = (text or title).replace(" ", "")
        if (
            label in ("下一页", "下页", "后一页", ">", "›", "»", "Next", "next")
            and url != response.url
        ):
            return url
    return None


_YEAR_LABEL = re.compile(r"^\s*(?:19|20)\d{2}\s*(?:年度?|年报|年度报告)?\s*(?:年报)?\s*$")


def year_sublists(
    spider: PortalSpider, response: TextResponse, source: Source, family: str | None
) -> list[Request]:
    """Links to a list's per-year sub-lists (``gknb2017/``, ``2022nb/``, labelled ``2022年``).

    Read only on a top-level list page, so sub-lists never recurse.
    """
    if response.meta.get("sublist") or response.meta.get("page_number", 1) != 1:
        return []
    requests = []
    seen = {response.url}
    for url, text, title in anchors(response):
        if url in seen or not source.allows(url) or detect.is_attachment_url(url):
            continue
        if not _YEAR_LABEL.match(text or title or ""):
            continue
        if looks_like_item(url, text, title):
            continue
        seen.add(url)
        requests.append(spider.list_request(source, url, family=family, meta={"sublist": True}))
    return requests
