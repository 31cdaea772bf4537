"""The generic spider: any source, any family, or just a start URL.

``xxgk crawl`` runs this one. For a source with a family it walks the list the
family's way; for a source without one (or ``-a url=…``) it fetches the start
page, detects the family (``crawler.detect.detect_family``) and goes on from
there. A page no family recognises is read as a plain list: its items, its
下一页 link and its per-year sub-lists.
"""

from __future__ import annotations

from scrapy.http import Response, TextResponse

from crawler.registry import Source
from crawler.spiders import (  # noqa: F401  (registers every family)
    gkmlpt,
    hanweb_jcms,
    hanweb_jpaas,
    path_paging,
    query_paging,
    trs_legacy,
    trs_sohu,
)
from crawler.spiders.base import (
    ListPage,
    PortalSpider,
    list_entries,
    next_link,
    year_sublists,
)


class GenericSpider(PortalSpider):
    name = "generic"
    family = "generic"
    crawls_any_family = True

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        assert isinstance(response, TextResponse)
        page = ListPage(
            entries=list_entries(response),
            sublists=year_sublists(spider, response, source, cls.family),
        )
        following = next_link(response)
        if following and source.allows(following) and page.entries:
            page.next_pages.append(
                spider.list_request(
                    source,
                    following,
                    family=cls.family,
                    meta={
                        "page_number": response.meta.get("page_number", 1) + 1,
                        "sublist": response.meta.get("sublist"),
                    },
                )
            )
        return page
