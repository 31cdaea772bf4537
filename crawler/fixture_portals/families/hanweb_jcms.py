"""P3: Hanweb 大汉 JCMS: ``col/colNNN``, records embedded as XML, ``dataproxy.jsp`` POSTs.

The column page ``/col/col<id>/index.html`` embeds the first group of records as
CDATA inside ``<script type="text/xml"><datastore>…``, where an HTML parser does
not see the links. Later groups come from ``POST /module/web/jpage/dataproxy.jsp
?startrecord=S&endrecord=E&perpage=P`` with the column's parameters as a form; one
group is three display pages. Each group carries one look-ahead record: the
first record of the next group (the boundary overlap a careful crawler dedupes).
With the ``total_change`` switch a report is added right after the first
dataproxy request, so the total changes mid-crawl. Attachments are linked as
``/module/download/downfile.jsp?classid=0&filename=<32hex>.<ext>``, which
redirects (302) to ``/attach/0/<32hex>.<ext>``, served with a GBK
``Content-Disposition`` file name.
"""

from __future__ import annotations

import hashlib
import html

from crawler.fixture_portals.documents import Attachment, Item
from crawler.fixture_portals.exchange import Request, Response, not_found, redirect
from crawler.fixture_portals.families.base import COLUMN_NAME, Portal

DATAPROXY = "/module/web/jpage/dataproxy.jsp"
DOWNFILE = "/module/download/downfile.jsp"
GROUP_PAGES = 3  # display pages per dataproxy group


class HanwebJcms(Portal):
    family = "hanweb_jcms"
    style = "hanweb"
    body_open = '<div id="zoom">'
    platform_path = "/col/col1229214300/index.html"

    @property
    def column_id(self) -> int:
        return int(self.option("column_id", 1229214366))

    @property
    def unit_id(self) -> int:
        return int(self.option("unit_id", 212860))

    def column_path(self) -> str:
        return f"/col/col{self.column_id}/index.html"

    def is_column(self, request: Request) -> bool:
        return request.path in (self.column_path(), f"/col/col{self.column_id}/", DATAPROXY)

    def prepare(self) -> None:
        for item in self.items:
            item.doc_id = 11828000 + item.number * 29 + 3

    def item_path(self, item: Item) -> str:
        p = item.published
        return f"/art/{p.year}/{p.month}/{p.day}/art_{self.column_id}_{item.doc_id}.html"

    def attachment_urls(self, item: Item, attachment: Attachment) -> tuple[str, str]:
        name = hashlib.md5(f"jcms/{item.key}/{attachment.page}".encode()).hexdigest()
        file = f"{name}.{attachment.extension}"
        return f"/attach/0/{file}", f"{DOWNFILE}?classid=0&filename={file}"

    def file_headers(self, item: Item, attachment: Attachment) -> list[tuple[str, str]]:
        # Raw GBK bytes in the header, as these servers send them (latin-1 carries them).
        name = attachment.filename.encode("gb18030").decode("latin-1")
        return [("Content-Disposition", f"attachment; filename={name}")]

    # ---------------------------------------------------------------- lists

    def record(self, item: Item) -> str:
        return (
            f"<record><![CDATA[<li><a href='{self.item_path(item)}' title='{html.escape(item.title)}'"
            f" target='_blank'>{html.escape(item.title)}</a><span>{item.date}</span></li>]]></record>"
        )

    def group(self, start: int, end: int) -> tuple[list[Item], int]:
        """Records start..end (1-based, inclusive) plus the look-ahead record."""
        listed = self.listed_items()
        return listed[max(start - 1, 0) : min(end + 1, len(listed))], len(listed)

    def params(self) -> dict[str, str]:
        return {
            "col": "1",
            "appid": "1",
            "webid": str(self.option("web_id", 1)),
            "path": "/",
            "columnid": str(self.column_id),
            "sourceContentType": "1",
            "unitid": str(self.unit_id),
            "webname": self.spec.name,
            "permissiontype": "0",
        }

    def list_response(self, request: Request) -> Response | None:
        if request.path == DATAPROXY:
            return self.dataproxy(request)
        if request.path not in (self.column_path(), f"/col/col{self.column_id}/"):
            return None
        perpage = self.spec.page_size
        records, total = self.group(1, perpage * GROUP_PAGES)
        params = self.params()
        js_params = ",".join(f"{k}:{v}" if v.isdigit() else f"{k}:'{v}'" for k, v in params.items())
        nextgroup = (
            f'<a href="{DATAPROXY}?page=1&appid=1&webid={params["webid"]}&path=/&columnid={self.column_id}'
            f'&unitid={self.unit_id}&webname={self.spec.name}&permissiontype=0"></a>'
        )
        content = f"""<div class="list-box"><h3>{COLUMN_NAME}</h3>
<div id="{self.unit_id}"><script type="text/xml"><datastore>
<nextgroup><![CDATA[{nextgroup}]]></nextgroup>
<recordset>
{chr(10).join(self.record(i) for i in records)}
</recordset>
</datastore></script></div>
<script type="text/javascript">
var param_{self.unit_id} = {{{js_params}}};
$(document).ready(function(){{
  $('#{self.unit_id}').jpage({{
    dataStore: $('#{self.unit_id} script[type="text/xml"]').text(),
    totalRecord:{total}, perPage:{perpage}, groupSize:{GROUP_PAGES},
    proxyUrl:'{DATAPROXY}', ajaxParam: param_{self.unit_id},
    barPosition:'bottom', showMode:'full'
  }});
}});
</script></div>"""
        page = self.chrome(COLUMN_NAME, self.column_meta(), content, self.crumbs())
        return self.html_response(page, modified=self.list_modified())

    def dataproxy(self, request: Request) -> Response:
        if request.method != "POST":
            return Response(405, b"<h1>HTTP Status 405 - Method Not Allowed</h1>")
        form = request.form()
        if form.get("columnid") != str(self.column_id) or form.get("unitid") != str(self.unit_id):
            return self.datastore([], 0)
        try:
            start = int(request.query.get("startrecord", "1"))
            end = int(request.query.get("endrecord", "0"))
            perpage = int(request.query.get("perpage", str(self.spec.page_size)))
        except ValueError:
            return not_found()
        records, total = self.group(start, end)
        response = self.datastore(records, total, perpage)
        # The catalogue changes while a crawler pages through it (total_change).
        self.switches.dataproxy_served += 1
        return response

    def datastore(self, records: list[Item], total: int, perpage: int = 1) -> Response:
        pages = -(-total // max(perpage, 1))
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n'
            f"<totalrecord>{total}</totalrecord>\n<totalpage>{pages}</totalpage>\n<recordset>\n"
            + "\n".join(self.record(i) for i in records)
            + "\n</recordset>\n</datastore>\n"
        )
        return Response(200, body.encode("utf-8"), "text/xml;charset=UTF-8")

    def extra_response(self, request: Request) -> Response | None:
        if request.path != DOWNFILE:
            return None
        filename = request.query.get("filename", "")
        target = f"/attach/0/{filename}"
        found = self._pages.get(target)
        if not filename or found is None or not self.resolves(found[0]):
            body = (
                "<html><body><script>alert('文件不存在！');history.back();</script></body></html>"
            )
            return Response(200, body.encode("utf-8"))
        return redirect(target)
