"""Query-string paging: ``InfoPublic.aspx?cid=1019&page=2``, ``iList.jsp?cur_page=2``.

The page parameter is the one the page's own links use (``page``, ``pageNo``,
``pageNum``, ``cur_page``, ``pageIndex``, ``p``). The walk goes on while the page
links to the next page number (or has a 下一页 link).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit

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

PAGE_PARAMS = ("page", "pageNo", "pageNum", "cur_page", "pageIndex", "currentPage", "p")


def page_param(response: TextResponse) -> str | None:
    """The query parameter this list pages with."""
    query = dict(parse_qsl(urlsplit(response.url).query))
    for name in PAGE_PARAMS:
        if name in query:
            return name
    for url, _text, _title in anchors(response):
        linked = dict(parse_qsl(urlsplit(url).query))
        for name in PAGE_PARAMS:
            if linked.get(name, "").isdigit():
                return name
    return None


def with_page(url: str, name: str, number: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != name]
    query.append((name, str(number)))
    return parts._replace(query=urlencode(query)).geturl()


class QueryPagingSpider(PortalSpider):
    name = "query_paging"
    family = "query_paging"

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        assert isinstance(response, TextResponse)
        name = page_param(response)
        skip = []
        if name:
            skip = [
                u for u, _t, _ti in anchors(response) if name in dict(parse_qsl(urlsplit(u).query))
            ]
        page = ListPage(
            entries=list_entries(response, skip=skip),
            sublists=year_sublists(spider, response, source, cls.family),
        )
        if not name or not page.entries:
            return page
        current_text = dict(parse_qsl(urlsplit(response.url).query)).get(name, "1")
        current = int(current_text) if current_text.isdigit() else 1
        following = current + 1
        linked = {dict(parse_qsl(urlsplit(u).query)).get(name) for u, _t, _ti in anchors(response)}
        if str(following) in linked or next_link(response):
            page.next_pages.append(
                spider.list_request(
                    source,
                    with_page(response.url, name, following),
                    family=cls.family,
                    meta={"page_number": following, "sublist": response.meta.get("sublist")},
                )
            )
        return page
