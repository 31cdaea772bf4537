"""P5: Guangdong's 政府信息公开目录平台 ``gkmlpt`` (JSON list API, HTTP only).

The catalogue page ``/gkmlpt/index`` keeps the site id in a script (``SID: '2'``)
and the category in the URL's fragment (``/gkmlpt/index#368``). Lists come from
``GET /gkmlpt/api/all/<category>?page=N&sid=S`` as ``{"total": N, "articles":
[{"id", "title", "url", "publisher", "display_publish_time", "create_time", …}]}``;
a page past the end has no articles. Reports are
``/gkmlpt/content/<a>/<b>/post_<id>.html`` with the body in ``div.article-content``.
Real deployments return 100 articles a page; ``page_size`` sets it here.
"""

from __future__ import annotations

import json
import re

from crawler.fixture_portals.documents import Attachment, Item
from crawler.fixture_portals.exchange import Request, Response
from crawler.fixture_portals.families.base import COLUMN_NAME, Portal, local

API = re.compile(r"^/gkmlpt/api/all/(\d+)$")


class Gkmlpt(Portal):
    family = "gkmlpt"
    style = "gkmlpt"
    body_open = '<div class="article-content">'
    platform_path = "/gkmlpt/"

    @property
    def category(self) -> int:
        return int(self.option("category_id", 368))

    @property
    def sid(self) -> str:
        return str(self.option("sid", 2))

    def column_path(self) -> str:
        return "/gkmlpt/index"

    def start_fragment(self) -> str:
        return f"#{self.category}"

    def is_column(self, request: Request) -> bool:
        return request.path == "/gkmlpt/index" or API.match(request.path) is not None

    def prepare(self) -> None:
        for item in self.items:
            item.doc_id = 2155000 + item.number * 13 + 7

    def item_path(self, item: Item) -> str:
        return f"/gkmlpt/content/{item.doc_id // 1000000}/{item.doc_id // 1000}/post_{item.doc_id}.html"

    def attachment_urls(self, item: Item, attachment: Attachment) -> tuple[str, str]:
        file_id = 512000 + item.number * 3 + attachment.page
        path = f"/attachment/0/{file_id // 1000}/{file_id}/{item.doc_id}.{attachment.extension}"
        if attachment.page:
            path = path.replace(f"/{item.doc_id}.", f"/{item.doc_id}_{attachment.page}.")
        return path, path

    def list_response(self, request: Request) -> Response | None:
        if request.path in ("/gkmlpt/index", "/gkmlpt/", "/gkmlpt"):
            return self.catalogue()
        match = API.match(request.path)
        if match is None:
            return None
        if int(match.group(1)) != self.category or request.query.get("sid") != self.sid:
            return self.json({"total": 0, "articles": []})
        try:
            page = max(int(request.query.get("page", "1")), 1)
        except ValueError:
            page = 1
        listed = self.listed_items()
        size = self.spec.page_size
        chunk = listed[(page - 1) * size : page * size]
        articles = [self.article_json(i) for i in chunk]
        return self.json({"total": len(listed), "articles": articles})

    def article_json(self, item: Item) -> dict[str, object]:
        epoch = int(local(item.published).timestamp())
        return {
            "id": item.doc_id,
            "title": item.title,
            "url": self.base_url() + self.item_path(item),
            "publisher": item.organization,
            "identifier": self.index_number(item),
            "document_number": "",
            "display_publish_time": epoch,
            "create_time": epoch - 3600,
            "first_publish_time": epoch,
            "sid": self.sid,
            "post_type": 1,
            "attachment": [a.filename for a in item.attachments],
        }

    def catalogue(self) -> Response:
        cats = json.dumps(
            [
                {"id": 367, "name": "政府信息公开指南", "parent": 0},
                {"id": 368, "name": COLUMN_NAME, "parent": 0},
                {"id": 369, "name": "法定主动公开内容", "parent": 0},
            ],
            ensure_ascii=False,
        )
        content = f"""<div id="gkmlpt-app" class="gkmlpt"><div class="loading">加载中…</div></div>
<script type="text/javascript">
window._CONFIG = {{
  SID: '{self.sid}',
  API_BASE: '/gkmlpt/api',
  CATEGORIES: {cats}
}};
</script>
<script src="/gkmlpt/static/js/app.js"></script>"""
        page = self.chrome("政府信息公开目录", {"ColumnName": "政府信息公开目录"}, content)
        return self.html_response(page, modified=None)

    def json(self, payload: object) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Response(200, body, "application/json; charset=utf-8")
