"""TRS WCM, legacy paginator: ``createPageHTML(21, 0, "index", "html")``.

Page *k* (1-based) is ``index_{k-1}.html``; page 1 is ``index.html``. The links
are written by JavaScript, so the next page's URL is built from the call (or
from ``var countPage = N``).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response, TextResponse

from crawler.registry import Source
from crawler.spiders.base import ListPage, PortalSpider, list_entries, year_sublists

_PAGER = re.compile(
    r"createPage(?:HTML)?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
_COUNT = re.compile(r"countPage\s*=\s*(\d+)")


def page_index(url: str, stem: str) -> int:
    """0-based page number from a URL like ``index_3.html`` (``index.html`` is 0)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    match = re.match(rf"{re.escape(stem)}_(\d+)\.", name)
    return int(match.group(1)) if match else 0


class TrsLegacySpider(PortalSpider):
    name = "trs_legacy"
    family = "trs_legacy"

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        assert isinstance(response, TextResponse)
        html = response.text
        page = ListPage(
            entries=list_entries(response),
            sublists=year_sublists(spider, response, source, cls.family),
        )
        pager = _PAGER.search(html)
        count = _COUNT.search(html)
        if pager:
            total, stem, ext = int(pager.group(1)), pager.group(3), pager.group(4)
        elif count:
            total, stem, ext = int(count.group(1)), "index", "html"
        else:
            return page
        current = page_index(response.url, stem)
        following = current + 1
        if following < total:
            url = urljoin(response.url, f"{stem}_{following}.{ext}")
            page.next_pages.append(
                spider.list_request(
                    source,
                    url,
                    family=cls.family,
                    meta={"page_number": following + 1, "sublist": response.meta.get("sublist")},
                )
            )
        return page
