"""Guangdong gkmlpt 政府信息公开目录平台: ``/gkmlpt/api/all/{category}?page=N&sid=S``.

The catalogue page (``/gkmlpt/index#368``) keeps the site id in a script
(``SID: '2'``) and the category in the URL's fragment. The API answers JSON
``{"total": N, "articles": [{"url", "title", "display_publish_time"}, …]}``.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urljoin, urlsplit

from scrapy.http import Request, Response, TextResponse

from crawler.registry import Source
from crawler.spiders.base import Entry, ListPage, PortalSpider

_SID = re.compile(r"""\bSID\b['"]?\s*[:=]\s*['"]?(\w+)""", re.I)
_CATEGORY = re.compile(
    r"""(?:CATEGORY_ID|catId|category_id|categoryId)['"]?\s*[:=]\s*['"]?(\d+)""", re.I
)


def category_of(url: str, text: str = "") -> str | None:
    fragment = urlsplit(url).fragment
    if fragment.isdigit():
        return fragment
    match = _CATEGORY.search(text)
    return match.group(1) if match else None


def published(article: dict[str, Any]) -> str | None:
    stamp = article.get("display_publish_time") or article.get("create_time")
    if isinstance(stamp, int | float) and stamp > 0:
        return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d")
    return str(stamp)[:10] if stamp else None


class GkmlptSpider(PortalSpider):
    name = "gkmlpt"
    family = "gkmlpt"

    @classmethod
    def start_list(cls, spider: PortalSpider, source: Source) -> list[Request]:
        if "/api/all/" in source.start_url:
            return [cls.api_request(spider, source, source.start_url, 1)]
        return [spider.list_request(source, source.start_url, family=cls.family)]

    @classmethod
    def start_from_page(
        cls, spider: PortalSpider, source: Source, response: TextResponse
    ) -> list[Request] | None:
        page = cls.read_list(spider, response, source)
        return page.next_pages or None

    @classmethod
    def api_request(cls, spider: PortalSpider, source: Source, url: str, page: int) -> Request:
        parts = urlsplit(url)
        query = dict(parse_qsl(parts.query))
        query["page"] = str(page)
        target = parts._replace(query="&".join(f"{k}={v}" for k, v in query.items())).geturl()
        return spider.list_request(
            source, target, family=cls.family, meta={"gkmlpt": page, "page_number": page}
        )

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        assert isinstance(response, TextResponse)
        page_no = response.meta.get("gkmlpt")
        if page_no is None:  # the catalogue page: find the API
            sid = _SID.search(response.text)
            category = category_of(source.start_url, response.text) or category_of(
                response.url, response.text
            )
            if not sid or not category:
                spider.problem(source.id, f"{response.url}: no gkmlpt SID/category found")
                return ListPage()
            api = urljoin(response.url, f"/gkmlpt/api/all/{category}?page=1&sid={sid.group(1)}")
            return ListPage(next_pages=[cls.api_request(spider, source, api, 1)])
        try:
            data = json.loads(response.text)
        except json.JSONDecodeError:
            spider.problem(source.id, f"{response.url}: list API answered no JSON")
            return ListPage()
        articles = data.get("articles") or []
        entries = [
            Entry(
                url=urljoin(response.url, str(a["url"])),
                title=a.get("title"),
                published=published(a),
            )
            for a in articles
            if isinstance(a, dict) and a.get("url")
        ]
        page = ListPage(entries=entries)
        total = int(data.get("total") or 0)
        size = int(response.meta.get("page_size") or len(articles) or 100)
        pages = math.ceil(total / size) if size else 0
        if entries and page_no < pages:
            request = cls.api_request(spider, source, response.url, page_no + 1)
            request.meta["page_size"] = size
            page.next_pages.append(request)
        return page
