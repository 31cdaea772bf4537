"""Hanweb jpaas: a JSON list API that returns an HTML fragment.

``GET /api-gateway/jpaas-publish-server/front/page/build/unit?…&paramJson={"pageNo":N,"pageSize":M}``
answers ``{"data": {"html": "<ul>…</ul>"}}``. The column page names the API (or
its ids: ``webId``, ``tplSetId``, ``pageId``, ``tagId``); the walk asks for page
1, 2, … until a page comes back empty (or the declared total is reached).
"""

from __future__ import annotations

import json
import re
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from scrapy.http import Response, TextResponse

from crawler.registry import Source
from crawler.spiders.base import ListPage, PortalSpider, list_entries

_API = re.compile(r"""(/api-gateway/jpaas-publish-server/front/page/build/unit\?[^'"\s<>]+)""")
_ID = re.compile(r"""\b(webId|tplSetId|pageId|tagId)\b['"]?\s*[:=]\s*['"]([\w-]+)['"]""")
PAGE_SIZE = 20


def api_url(template: str, page_no: int, page_size: int) -> str:
    """The API URL for one page (``paramJson`` rewritten, the rest kept)."""
    parts = urlsplit(template)
    query = dict(parse_qsl(parts.query, keep_blank_values=True))
    try:
        params = json.loads(query.get("paramJson") or "{}")
    except json.JSONDecodeError:
        params = {}
    params.update(pageNo=page_no, pageSize=params.get("pageSize") or page_size)
    query["paramJson"] = json.dumps(params, separators=(",", ":"))
    return urlunsplit(parts._replace(query=urlencode(query)))


def api_template(response: TextResponse) -> str | None:
    text = response.text
    found = _API.search(unescape(text))
    if found:
        return urljoin(response.url, found.group(1))
    ids = dict(_ID.findall(text))
    if "webId" not in ids or "pageId" not in ids:
        return None
    query = {
        "parseType": "bulidstatic",
        "webId": ids["webId"],
        "tplSetId": ids.get("tplSetId", ""),
        "pageType": "column",
        "tagId": ids.get("tagId", "当前栏目"),
        "editType": "null",
        "pageId": ids["pageId"],
        "paramJson": json.dumps({"pageNo": 1, "pageSize": PAGE_SIZE}),
    }
    return urljoin(
        response.url,
        "/api-gateway/jpaas-publish-server/front/page/build/unit?" + urlencode(query),
    )


class HanwebJpaasSpider(PortalSpider):
    name = "hanweb_jpaas"
    family = "hanweb_jpaas"

    @classmethod
    def read_list(cls, spider: PortalSpider, response: Response, source: Source) -> ListPage:
        assert isinstance(response, TextResponse)
        walk: dict[str, Any] | None = response.meta.get("jpaas")
        if walk is None:  # the column page: its own items, then the API's page 1
            page = ListPage(entries=list_entries(response))
            template = api_template(response)
            if template:
                page.next_pages.append(cls.api_request(spider, source, template, 1))
            return page
        try:
            data = json.loads(response.text)
        except json.JSONDecodeError:
            spider.problem(source.id, f"{response.url}: list API answered no JSON")
            return ListPage()
        payload = data.get("data") if isinstance(data, dict) else None
        fragment = payload.get("html", "") if isinstance(payload, dict) else ""
        page = ListPage(entries=list_entries(response, fragment or "<p></p>"))
        total = payload.get("total") if isinstance(payload, dict) else None
        shown = walk["page"] * walk["size"]
        if page.entries and (not isinstance(total, int) or shown < total):
            page.next_pages.append(
                cls.api_request(spider, source, walk["template"], walk["page"] + 1)
            )
        return page

    @classmethod
    def api_request(cls, spider: PortalSpider, source: Source, template: str, page_no: int) -> Any:
        query = dict(parse_qsl(urlsplit(template).query))
        try:
            size = int(json.loads(query.get("paramJson") or "{}").get("pageSize") or PAGE_SIZE)
        except (json.JSONDecodeError, ValueError, AttributeError):
            size = PAGE_SIZE
        return spider.list_request(
            source,
            api_url(template, page_no, size),
            family=cls.family,
            meta={
                "jpaas": {"template": template, "page": page_no, "size": size},
                "page_number": page_no,
            },
        )
