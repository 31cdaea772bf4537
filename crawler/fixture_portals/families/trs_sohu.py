"""P2: TRS with the "Sohu-style" 6-argument paginator (1-based suffix, ``.shtml``).

List pages are ``fg.shtml``, ``fg_2.shtml``, ``fg_3.shtml`` … (page 2 is ``_2``,
unlike P1), written by ``createPageHTML('page_div', totalPages, currentPage,
'fg', 'shtml', totalRecords)``; ``?page=N`` is ignored. Reports live at
``…/c<column>/c<id>/content.shtml`` (CSRC style), attachments in ``files/``.
"""

from __future__ import annotations

import hashlib
import html
import re

from crawler.fixture_portals.documents import Attachment, Item
from crawler.fixture_portals.exchange import Request, Response, not_found
from crawler.fixture_portals.families.base import COLUMN_NAME, Portal

PAGE = re.compile(r"^fg(?:_(\d+))?\.shtml$")

PAGINATOR_JS = """function createPageHTML(divId, pageCount, currPage, prefix, ext, total){
  var out = "<span>共 " + pageCount + " 页 / " + total + " 条</span>";
  function name(n){ return n <= 1 ? prefix + "." + ext : prefix + "_" + n + "." + ext; }
  if(currPage > 1){ out += "<a href='" + name(1) + "'>首页</a><a href='" + name(currPage-1) + "'>上一页</a>"; }
  for(var i=1;i<=pageCount;i++){ out += i == currPage ? "<b>" + i + "</b>" : "<a href='" + name(i) + "'>" + i + "</a>"; }
  if(currPage < pageCount){ out += "<a href='" + name(currPage+1) + "'>下一页</a><a href='" + name(pageCount) + "'>尾页</a>"; }
  document.getElementById(divId).innerHTML = out;
}"""


class TrsSohu(Portal):
    family = "trs_sohu"
    style = "trs"
    body_open = '<div class="detail-news"><div class="TRS_Editor">'
    body_close = "</div></div>"
    platform_path = "/xxgk/"
    column = "/xxgk/zfxxgknb/"

    def column_path(self) -> str:
        return self.column + "fg.shtml"

    def _dir(self, item: Item) -> str:
        return f"{self.column}c{self.option('column_id', 100028)}/c{item.doc_id}/"

    def prepare(self) -> None:
        for item in self.items:
            item.doc_id = 7021000 + item.number * 53 + 11

    def item_path(self, item: Item) -> str:
        return self._dir(item) + "content.shtml"

    def attachment_urls(self, item: Item, attachment: Attachment) -> tuple[str, str]:
        name = hashlib.md5(f"{item.key}/{attachment.page}".encode()).hexdigest()
        path = f"{self._dir(item)}files/{name}.{attachment.extension}"
        return path, path

    def is_column(self, request: Request) -> bool:
        return (
            request.path.startswith(self.column)
            and PAGE.match(request.path[len(self.column) :]) is not None
        )

    def list_response(self, request: Request) -> Response | None:
        if request.path == self.column:
            return self.list_page(1)
        if not self.is_column(request):
            return None
        match = PAGE.match(request.path[len(self.column) :])
        assert match is not None
        number = int(match.group(1) or 1)
        if match.group(1) is not None and number < 2:
            return not_found()
        return self.list_page(number)

    def list_page(self, number: int) -> Response:
        listed = self.listed_items()
        pages = self.pages_of(listed)
        if number > len(pages):
            return not_found()
        rows = "\n".join(
            f'<li><a href="{self.item_path(i)}" target="_blank" title="{html.escape(i.title)}">'
            f'{html.escape(i.title)}</a><span class="date">{i.date}</span></li>'
            for i in pages[number - 1]
        )
        content = f"""<div class="fl_list"><h3>{COLUMN_NAME}</h3>
<ul id="list">
{rows}
</ul>
<div id="page_div" class="page"></div>
<script type="text/javascript">
{PAGINATOR_JS}
createPageHTML('page_div', {len(pages)}, {number}, 'fg', 'shtml', {len(listed)});
</script></div>"""
        page = self.chrome(COLUMN_NAME, self.column_meta(), content, self.crumbs())
        return self.html_response(page, modified=self.list_modified())
