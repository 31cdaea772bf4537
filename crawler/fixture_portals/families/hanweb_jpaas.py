"""P4: Hanweb jpaas: an ``api-gateway`` JSON API that returns the list as an HTML fragment.

The column page loads its list from ``GET /api-gateway/jpaas-publish-server/front/
page/build/unit?parseType=bulidstatic&webId=…&tplSetId=…&pageType=column&tagId=…
&editType=null&pageId=…&paramJson={"pageNo":N,"pageSize":M}`` (the real API's
misspelling ``bulidstatic``; ``buildstatic`` is accepted too), which answers
``{"success":true,"data":{"html":"<ul>…</ul>…"}}``. Reports are
``…/art/YYYY/art_<32hex>.html``. The API keeps only recent items when the
``drop_items`` switch is on (its retention limit) while old articles still resolve.
"""

from __future__ import annotations

import hashlib
import html
import json
from urllib.parse import quote

from crawler.fixture_portals.documents import Attachment, Item
from crawler.fixture_portals.exchange import Request, Response
from crawler.fixture_portals.families.base import COLUMN_NAME, Portal

UNIT_API = "/api-gateway/jpaas-publish-server/front/page/build/unit"


class HanwebJpaas(Portal):
    family = "hanweb_jpaas"
    style = "hanweb"
    body_open = '<div class="Three_xilan_07" id="zoom">'
    platform_path = "/zw/zfxxgk/"
    column = "/zw/zfxxgk/zfxxgknb/"

    def column_path(self) -> str:
        return self.column + "index.html"

    def is_column(self, request: Request) -> bool:
        return request.path in (self.column, self.column_path(), UNIT_API)

    def _hex(self, *parts: object) -> str:
        return hashlib.md5("/".join(map(str, (self.id, *parts))).encode()).hexdigest()

    def item_path(self, item: Item) -> str:
        return f"{self.column}art/{item.published.year}/art_{self._hex(item.key)}.html"

    def attachment_urls(self, item: Item, attachment: Attachment) -> tuple[str, str]:
        web_id = self.option("web_id", "")
        name = self._hex(item.key, "file", attachment.page)
        path = f"/cms_files/filemanager/{web_id}/attach/{item.published:%Y%m}/{name}.{attachment.extension}"
        return path, path

    def unit_query(self) -> str:
        return (
            f"parseType=bulidstatic&webId={self.option('web_id', '')}&tplSetId={self.option('tpl_set_id', '')}"
            f"&pageType=column&tagId={quote('信息列表')}&editType=null&pageId={self.option('page_id', '')}"
        )

    def list_response(self, request: Request) -> Response | None:
        if request.path == UNIT_API:
            return self.unit(request)
        if request.path not in (self.column, self.column_path()):
            return None
        content = f"""<div class="list-box"><h3>{COLUMN_NAME}</h3>
<div id="jpaas-list" class="jpaas-unit" data-unit-url="{UNIT_API}?{self.unit_query()}"></div>
<script type="text/javascript">
var unitUrl = "{UNIT_API}?{self.unit_query()}";
function loadPage(pageNo){{
  var paramJson = JSON.stringify({{"pageNo": pageNo, "pageSize": {self.spec.page_size}}});
  $.get(unitUrl + "&paramJson=" + encodeURIComponent(paramJson), function(res){{
    if(res && res.success){{ $("#jpaas-list").html(res.data.html); }}
  }});
}}
loadPage(1);
</script></div>"""
        page = self.chrome(COLUMN_NAME, self.column_meta(), content, self.crumbs())
        return self.html_response(page, modified=self.list_modified())

    def unit(self, request: Request) -> Response:
        q = request.query
        ok = (
            q.get("parseType") in ("bulidstatic", "buildstatic")
            and q.get("webId") == self.option("web_id", "")
            and q.get("pageId") == self.option("page_id", "")
        )
        try:
            param = json.loads(q.get("paramJson") or "{}")
            page_no = int(param.get("pageNo", 1))
            page_size = int(param.get("pageSize", self.spec.page_size))
        except (ValueError, TypeError, AttributeError):
            ok = False
        if not ok or page_no < 1 or not 1 <= page_size <= 100:
            payload = {"success": False, "code": "500", "message": "参数错误", "data": None}
            return self.json(payload)
        listed = self.listed_items()
        chunk = listed[(page_no - 1) * page_size : page_no * page_size]
        pages = max(-(-len(listed) // page_size), 1)
        rows = "".join(
            f'<li><a href="{self.item_path(i)}" target="_blank" title="{html.escape(i.title)}">'
            f'{html.escape(i.title)}</a><span class="date">{i.date}</span></li>'
            for i in chunk
        )
        fragment = (
            f'<ul class="list">{rows}</ul>'
            f'<div class="pagination" data-total="{len(listed)}" data-pages="{pages}" data-current="{page_no}">'
            f"共{len(listed)}条 第{page_no}/{pages}页</div>"
        )
        return self.json(
            {"success": True, "code": "200", "message": "操作成功", "data": {"html": fragment}}
        )

    def json(self, payload: object) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return Response(200, body, "application/json;charset=UTF-8")
