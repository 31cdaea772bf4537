"""P1: TRS WCM with the legacy 4-argument paginator (static pages, 0-based suffix).

The 年报 column is ``…/zfxxgknb/index.html``, then ``index_1.html``,
``index_2.html`` …: page *k* (1-based) is ``index_{k-1}.html``. The links to later
pages exist only in JavaScript (``createPageHTML(countPage, currentPage, "index",
"html")`` writes them with ``document.write``); the HTML has no ``<a>`` for them.
Reports are ``./YYYYMM/tYYYYMMDD_NNNNNN.html`` with attachments ``./P0….pdf``
beside them; everything is static, with ETag/Last-Modified and 304s.
"""

from __future__ import annotations

import html
import re

from crawler.fixture_portals.documents import Attachment, Item
from crawler.fixture_portals.exchange import Request, Response, not_found
from crawler.fixture_portals.families.base import COLUMN_NAME, Portal

PAGE = re.compile(r"^index(?:_(\d+))?\.html$")

PAGINATOR_JS = """function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt){
  if(_nPageCount == null || _nPageCount<=1){ return; }
  var nCurrIndex = _nCurrIndex || 0;
  if(nCurrIndex == 0){ document.write("首页&nbsp;上一页&nbsp;"); }
  else{
    document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">首页</a>&nbsp;");
    if(nCurrIndex == 1){ document.write("<a href=\\""+_sPageName+"."+_sPageExt+"\\">上一页</a>&nbsp;"); }
    else{ document.write("<a href=\\""+_sPageName+"_" + (nCurrIndex-1) + "."+_sPageExt+"\\">上一页</a>&nbsp;"); }
  }
  if(nCurrIndex == (_nPageCount-1)){ document.write("下一页&nbsp;尾页"); }
  else{
    document.write("<a href=\\""+_sPageName+"_" + (nCurrIndex+1) + "."+_sPageExt+"\\">下一页</a>&nbsp;");
    document.write("<a href=\\""+_sPageName+"_" + (_nPageCount-1) + "."+_sPageExt+"\\">尾页</a>");
  }
  document.write("&nbsp;转到<select onchange=\\"window.location.href=this.value\\">");
  for(var i=0;i<_nPageCount;i++){
    if(i==0){ document.write("<option value=\\""+_sPageName+"."+_sPageExt+"\\">第1页</option>"); }
    else{ document.write("<option value=\\""+_sPageName+"_" + i + "."+_sPageExt+"\\">第"+(i+1)+"页</option>"); }
  }
  document.write("</select>");
}"""


class TrsLegacy(Portal):
    family = "trs_legacy"
    style = "trs"
    body_open = '<div class="TRS_Editor"><div class="Custom_UnionStyle">'
    body_close = "</div></div>"

    @property
    def column(self) -> str:
        return str(self.option("column", "/zwgk/zfxxgknb/"))

    @property
    def platform_path(self) -> str:  # type: ignore[override]
        return self.column.rsplit("/", 2)[0] + "/"

    def column_path(self) -> str:
        return self.column

    def item_path(self, item: Item) -> str:
        stamp = item.published
        return f"{self.column}{stamp:%Y%m}/t{stamp:%Y%m%d}_{item.doc_id}.html"

    def attachment_urls(self, item: Item, attachment: Attachment) -> tuple[str, str]:
        stamp = item.published
        name = f"P0{stamp:%Y%m%d}{item.doc_id:06d}{attachment.page:03d}{item.number % 1000:03d}"
        path = f"{self.column}{stamp:%Y%m}/{name}.{attachment.extension}"
        return path, f"./{name}.{attachment.extension}"

    def is_column(self, request: Request) -> bool:
        if not request.path.startswith(self.column):
            return False
        rest = request.path[len(self.column) :]
        return rest == "" or PAGE.match(rest) is not None

    def list_response(self, request: Request) -> Response | None:
        if not self.is_column(request):
            return None
        match = PAGE.match(request.path[len(self.column) :] or "index.html")
        assert match is not None
        index = int(match.group(1) or 0)
        pages = self.pages_of(self.listed_items())
        if index >= len(pages) or (match.group(1) is not None and index == 0):
            return not_found()
        rows = "\n".join(
            f'<li><a href="./{i.published:%Y%m}/t{i.published:%Y%m%d}_{i.doc_id}.html" target="_blank"'
            f' title="{html.escape(i.title)}">{html.escape(i.title)}</a><span>{i.date}</span></li>'
            for i in pages[index]
        )
        content = f"""<div class="list-box"><h3>{COLUMN_NAME}</h3>
<ul class="list">
{rows}
</ul>
<div class="page"><script type="text/javascript">
var currentPage = {index};//所在页从0开始
var prevPage = currentPage-1//上一页
var nextPage = currentPage+1//下一页
var countPage = {len(pages)}//共多少页
document.write("共"+countPage+"页&nbsp;&nbsp;");
{PAGINATOR_JS}
createPageHTML({len(pages)}, {index}, "index", "html");
</script></div></div>"""
        page = self.chrome(COLUMN_NAME, self.column_meta(), content, self.crumbs())
        return self.html_response(page, modified=self.list_modified())
