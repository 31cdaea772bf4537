"""P6a: an ASP.NET list paged by query string (``InfoPublic.aspx?cid=…&pid=…&page=N&kw=``).

The list page links the next and last pages with ordinary ``<a>`` tags; a page
past the end shows "暂无信息". Reports are ``NewsView.aspx?NewsID=N``; both are
dynamic (no validators). Attachments sit in ``/UploadFiles/`` as static files.
This portal's pages are GBK while declaring gb2312 (header and meta), with
characters outside GB2312 in them.
"""

from __future__ import annotations

import html
from datetime import datetime

from crawler.fixture_portals.documents import Attachment, Item
from crawler.fixture_portals.exchange import Request, Response
from crawler.fixture_portals.families.base import COLUMN_NAME, Portal

LIST = "/InfoPublic.aspx"
VIEW = "/NewsView.aspx"


class QueryPaging(Portal):
    family = "query_paging"
    style = "trs"
    body_open = '<div id="ivs_content" class="xxgk_content">'
    platform_path = "/xxgk/"

    def list_query(self, page: int) -> str:
        return f"cid={self.option('cid', 1019)}&pid={self.option('pid', 971)}&page={page}&kw="

    def column_path(self) -> str:
        return f"{LIST}?{self.list_query(1)}"

    def prepare(self) -> None:
        for item in self.items:
            item.doc_id = 30417 + item.number * 7

    def item_path(self, item: Item) -> str:
        return f"{VIEW}?NewsID={item.doc_id}"

    def attachment_urls(self, item: Item, attachment: Attachment) -> tuple[str, str]:
        p = item.published
        path = f"/UploadFiles/file/{p:%Y%m}/{p:%Y%m%d%H%M%S}{attachment.page:02d}.{attachment.extension}"
        return path, path

    def html_response(
        self, text: str, *, modified: datetime | None = None, status: int = 200
    ) -> Response:
        # ASP.NET pages are dynamic: never validators, whatever the page.
        return super().html_response(text, modified=None, status=status)

    def list_response(self, request: Request) -> Response | None:
        if request.path != LIST:
            return None
        if request.query.get("cid") != str(self.option("cid", 1019)):
            return self.html_response(self.chrome("提示", {}, "<p>参数错误</p>"))
        try:
            number = max(int(request.query.get("page") or "1"), 1)
        except ValueError:
            number = 1
        listed = self.listed_items()
        pages = self.pages_of(listed)
        chunk = pages[number - 1] if number <= len(pages) else []
        rows = (
            "\n".join(
                f'<tr><td class="title"><a href="{self.item_path(i)}" target="_blank" title="{html.escape(i.title)}">'
                f'{html.escape(i.title)}</a></td><td class="date">{i.date}</td></tr>'
                for i in chunk
            )
            or '<tr><td colspan="2">暂无信息</td></tr>'
        )
        nav = [f"共{len(listed)}条记录 第{number}/{len(pages)}页"]
        if number > 1:
            nav.append(f'<a href="InfoPublic.aspx?{self.list_query(1)}">首页</a>')
            nav.append(f'<a href="InfoPublic.aspx?{self.list_query(number - 1)}">上一页</a>')
        if number < len(pages):
            nav.append(f'<a href="InfoPublic.aspx?{self.list_query(number + 1)}">下一页</a>')
            nav.append(f'<a href="InfoPublic.aspx?{self.list_query(len(pages))}">尾页</a>')
        content = f"""<form name="form1" method="post" action="InfoPublic.aspx?{self.list_query(number)}" id="form1">
<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="/wEPDwUKMTY1NDU2MTA1MmRk" />
<div class="list"><h3>{COLUMN_NAME}</h3>
<table class="list-table">
{rows}
</table>
<div class="pager">{" ".join(nav)}</div></div></form>"""
        page = self.chrome(COLUMN_NAME, self.column_meta(), content, self.crumbs())
        return self.html_response(page)
