"""TRS "Sohu-style" paginator: ``createPageHTML('page_div', 5, 1, 'fg', 'shtml', 89)``.

1-based: page 1 is ``fg.shtml``, page *n* is ``fg_n.shtml`` (page 2 is ``_2``,
unlike the legacy paginator's ``_1``).
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from scrapy.http import Response, TextResponse

from crawler.registry import Source
from crawler.spiders.base import ListPage, PortalSpider, list_entries, year_sublists

_PAGER = re.compile(
    r"createPageHTML\(\s*['\"][\w-]+['\"]\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]"
    r"\s*,\s*['\"](\w+)['\"]"
)


def page_number(url: str, stem: str) -> int:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    match = re.match(rf"{re.escape(stem)}_(\d+)\.", name)
    return int(match.group(1)) if match else 1


class TrsSohuSpider(PortalSpider):
    name = "trs_sohu"
    family = "trs_sohu"

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        assert isinstance(response, TextResponse)
        page = ListPage(
            entries=list_entries(response),
            sublists=year_sublists(spider, response, source, cls.family),
        )
        pager = _PAGER.search(response.text)
        if not pager:
            return page
        total, stem, ext = int(pager.group(1)), pager.group(3), pager.group(4)
        following = page_number(response.url, stem) + 1
        if following <= total:
            page.next_pages.append(
                spider.list_request(
                    source,
                    urljoin(response.url, f"{stem}_{following}.{ext}"),
                    family=cls.family,
                    meta={"page_number": following, "sublist": response.meta.get("sublist")},
                )
            )
        return page
