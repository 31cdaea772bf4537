"""Numeric-path paging: ``…/zfxxgknb/1.html``, ``2.html``, …

The column may start at its directory (``…/zfxxgknb/``) or at ``1.html``; the walk
goes on while the page links to the next number (or has a 下一页 link).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response, TextResponse

from crawler.registry import Source
from crawler.spiders.base import (
    ListPage,
    PortalSpider,
    anchors,
    list_entries,
    next_link,
    year_sublists,
)

_NUMBERED = re.compile(r"/(\d+)\.(s?html?)$")


def numbered_pages(response: TextResponse) -> set[str]:
    """Absolute URLs of numbered list pages in the same directory as this page."""
    directory = urljoin(response.url, ".")
    return {
        url
        for url, _text, _title in anchors(response)
        if url.startswith(directory)
        and _NUMBERED.search(urlsplit(url).path)
        and "/" not in url[len(directory) :]
    }


class PathPagingSpider(PortalSpider):
    name = "path_paging"
    family = "path_paging"

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        assert isinstance(response, TextResponse)
        pages = numbered_pages(response)
        page = ListPage(
            entries=list_entries(response, skip=pages),
            sublists=year_sublists(spider, response, source, cls.family),
        )
        match = _NUMBERED.search(urlsplit(response.url).path)
        current = int(match.group(1)) if match else 1
        ext = match.group(2) if match else "html"
        following = urljoin(response.url, f"{current + 1}.{ext}")
        if following in pages or next_link(response) == following:
            page.next_pages.append(
                spider.list_request(
                    source,
                    following,
                    family=cls.family,
                    meta={"page_number": current + 1, "sublist": response.meta.get("sublist")},
                )
            )
        return page
