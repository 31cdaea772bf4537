"""Hanweb 大汉 JCMS: ``col/colNNN`` pages with the first records embedded as XML.

The column page carries ``<datastore>`` XML inside a ``<script>`` (an HTML parser
never sees those links): the first group of records, ``totalRecord`` and a
``nextgroup`` link to ``/module/web/jpage/dataproxy.jsp`` whose query holds the
column's parameters. Further groups are POSTs to
``dataproxy.jsp?startrecord=S&endrecord=E&perpage=P`` with those parameters as
a form; one group is three display pages.

Two real quirks are handled: a one-record overlap at group boundaries (entries
are de-duplicated by URL) and a total that changes mid-walk (the walk restarts
once from the first group with the new total, so nothing shifts out of reach).
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

from scrapy.http import Response, TextResponse

from crawler.registry import Source
from crawler.spiders.base import ListPage, PortalSpider, list_entries

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>", re.S | re.I)
_TOTAL = re.compile(
    r"<totalrecord>\s*(\d+)\s*</totalrecord>|totalRecord\s*[:=]\s*['\"]?(\d+)", re.I
)
_PERPAGE = re.compile(r"perpage\s*[:=]\s*['\"]?(\d+)", re.I)
_PROXY_HREF = re.compile(r"""href\s*=\s*['"]([^'"]*dataproxy\.jsp[^'"]*)['"]""", re.I)
_PAGES_PER_GROUP = 3
_FORM_KEYS = ("col", "appid", "webid", "path", "columnid", "unitid", "webname", "permissiontype")


def total_of(text: str) -> int | None:
    match = _TOTAL.search(text)
    if not match:
        return None
    return int(match.group(1) or match.group(2))


def records_html(text: str) -> str:
    return "\n".join(_RECORD.findall(text))


class HanwebJcmsSpider(PortalSpider):
    name = "hanweb_jcms"
    family = "hanweb_jcms"

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        assert isinstance(response, TextResponse)
        text = response.text
        walk: dict[str, Any] | None = response.meta.get("jcms")
        page = ListPage(entries=list_entries(response, records_html(text)))
        total = total_of(text)
        if walk is None:
            walk = cls.walk_from_column(response, text, len(page.entries))
            if walk is None:
                return page
        elif total is not None and total != walk["total"] and not walk.get("restarted"):
            # The catalogue changed under us: walk again from the first group.
            spider.logger.info(
                "%s: dataproxy total changed %s -> %s; restarting the walk",
                source.id,
                walk["total"],
                total,
            )
            walk = {**walk, "total": total, "next": 1, "restarted": True}
            page.next_pages.append(cls.group_request(spider, source, response, walk))
            return page
        if total is not None:
            walk = {**walk, "total": total}
        if walk["next"] <= walk["total"]:
            page.next_pages.append(cls.group_request(spider, source, response, walk))
        return page

    @classmethod
    def walk_from_column(
        cls, response: TextResponse, text: str, shown: int
    ) -> dict[str, Any] | None:
        """The walk's parameters, read from the column page."""
        total = total_of(text)
        nextgroup = _NEXTGROUP.search(text)
        href = _PROXY_HREF.search(nextgroup.group(1) if nextgroup else text)
        if total is None or href is None:
            return None
        proxy = urljoin(response.url, unescape(href.group(1)))
        query = dict(parse_qsl(urlsplit(proxy).query, keep_blank_values=True))
        perpage_match = _PERPAGE.search(text)
        perpage = int(perpage_match.group(1)) if perpage_match else max(1, shown // 3 or 1)
        group = perpage * _PAGES_PER_GROUP
        form = {key: query[key] for key in _FORM_KEYS if key in query}
        form.setdefault("col", "1")
        return {
            "proxy": urljoin(response.url, urlsplit(proxy).path),
            "form": form,
            "perpage": perpage,
            "group": group,
            "total": total,
            "next": max(shown, 0) + 1 if shown else 1,
        }

    @classmethod
    def group_request(
        cls,
        spider: PortalSpider,
        source: Source,
        response: TextResponse,
        walk: dict[str, Any],
    ) -> Any:
        start = walk["next"]
        end = start + walk["group"] - 1
        url = f"{walk['proxy']}?" + urlencode(
            {"startrecord": start, "endrecord": end, "perpage": walk["perpage"]}
        )
        following = {**walk, "next": end + 1}
        again = bool(walk.get("restarted"))
        return spider.list_request(
            source,
            url,
            family=cls.family,
            method="POST",
            body=urlencode(walk["form"]),
            headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"},
            meta={
                "jcms": following,
                "page_number": 1 + (start - 1) // walk["perpage"] + 1,
                "xxgk_pass": 2 if again else None,
            },
            dont_filter=again,
        )
