"""P6b: numeric-path paging, lists split by year, and years whose items are the files.

The 年报 column ``/zfxxgk/zfxxgknb/`` links one sub-column per report year
(``2023nb/``); each is paged by path, ``2023nb/1.html``, ``2.html`` …, with plain
"下一页" links. In the years listed in ``file_only_years`` the list items link
straight to the PDF: the file is the report, there is no page. This portal's
pages are GBK while the Content-Type header claims UTF-8.
"""

from __future__ import annotations

import hashlib
import html
import re

from crawler.fixture_portals.documents import FILE, Attachment, Item
from crawler.fixture_portals.exchange import Request, Response, not_found
from crawler.fixture_portals.families.base import COLUMN_NAME, Portal

YEAR_PAGE = re.compile(r"^(\d{4})nb/(?:(\d+)\.html)?$")


class PathPaging(Portal):
    family = "path_paging"
    style = "hanweb"
    body_open = '<div class="zfxxgk_zw_content">'
    platform_path = "/zfxxgk/"
    column = "/zfxxgk/zfxxgknb/"

    def column_path(self) -> str:
        return self.column

    def is_column(self, request: Request) -> bool:
        if not request.path.startswith(self.column):
            return False
        rest = request.path[len(self.column) :]
        return rest in ("", "index.html") or YEAR_PAGE.match(rest) is not None

    def prepare(self) -> None:
        file_years = set(self.option("file_only_years", []))
        for item in self.items:
            item.doc_id = 88100 + item.number * 17
            if item.year in file_years and not item.reserve:
                item.mode = FILE
                item.attachment_format = "pdf"

    def _name(self, item: Item, page: int = 0) -> str:
        return hashlib.md5(f"path/{item.key}/{page}".encode()).hexdigest()[:20]

    def item_path(self, item: Item) -> str:
        if item.mode == FILE:
            return f"/uploadfiles/{item.year}/{self._name(item)}.pdf"
        return f"{self.column}{item.year}nb/content_{item.doc_id}.html"

    def attachment_urls(self, item: Item, attachment: Attachment) -> tuple[str, str]:
        path = f"/uploadfiles/{item.year}/{self._name(item, attachment.page + 1)}.{attachment.extension}"
        return path, path

    def years(self) -> list[int]:
        return sorted({i.year for i in self.listed_items()}, reverse=True)

    def list_response(self, request: Request) -> Response | None:
        if not self.is_column(request):
            return None
        rest = request.path[len(self.column) :]
        if rest in ("", "index.html"):
            return self.year_index()
        match = YEAR_PAGE.match(rest)
        assert match is not None
        year, number = int(match.group(1)), int(match.group(2) or 1)
        listed = [i for i in self.listed_items() if i.year == year]
        pages = self.pages_of(listed)
        if year not in self.years() or not 1 <= number <= len(pages):
            return not_found()
        rows = "\n".join(
            f'<li><a href="{self.item_path(i)}" target="_blank" title="{html.escape(i.title)}">'
            f"{html.escape(i.title)}</a><span>[{i.date}]</span></li>"
            for i in pages[number - 1]
        )
        nav = [f"共{len(pages)}页"]
        if number > 1:
            nav.append(f'<a href="{number - 1}.html">上一页</a>')
        if number < len(pages):
            nav.append(f'<a href="{number + 1}.html">下一页</a>')
        content = f"""<div class="list"><h3>{year}年度{COLUMN_NAME}</h3>
{self.year_links()}
<ul class="news-list">
{rows}
</ul>
<div class="pages">{" ".join(nav)}</div></div>"""
        page = self.chrome(f"{year}年度{COLUMN_NAME}", self.column_meta(), content, self.crumbs())
        return self.html_response(page, modified=self.list_modified())

    def year_links(self) -> str:
        links = "".join(
            f'<li><a href="{self.column}{y}nb/1.html">{y}年度</a></li>' for y in self.years()
        )
        return f'<ul class="year-tabs">{links}</ul>'

    def year_index(self) -> Response:
        content = f'<div class="list"><h3>{COLUMN_NAME}</h3>{self.year_links()}</div>'
        page = self.chrome(COLUMN_NAME, self.column_meta(), content, self.crumbs())
        return self.html_response(page, modified=self.list_modified())
