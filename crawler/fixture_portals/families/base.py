"""What every fixture portal shares, whatever its CMS family.

A ``Portal`` answers one ``Request`` with one ``Response``. The base class serves
the pages all families have (home page, the 信息公开 platform index with its four
columns, report pages with the standard ``<meta>`` tags and a 发布日期 metadata
table, attachments, robots.txt), adds ``ETag``/``Last-Modified`` to static pages
and answers conditional requests with 304. A family subclass gives items their
URLs (``item_path``, ``attachment_urls``) and serves its own list pages (``list_response``).

Content switches (path drift, soft 404, layout change, edits, replacements, new
and dropped items) act here; transport failures (WAF, 5xx, resets, delays,
truncation, chaos) act in ``server.py``.
"""

from __future__ import annotations

import hashlib
import html
import threading
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urljoin, urlsplit

from crawler.fixture_portals.documents import (
    ATTACHMENT_ONLY,
    FILE,
    FORMATS,
    IMAGES,
    Attachment,
    Item,
    attachments_for,
    render_attachment,
    report_fragment,
)
from crawler.fixture_portals.exchange import Request, Response, not_found, redirect
from crawler.fixture_portals.switches import Switches
from crawler.fixture_portals.waf import challenge

if TYPE_CHECKING:
    from crawler.fixture_portals.network import PortalSpec

CHINA = timedelta(hours=8)
MAX_IMAGE_PAGES = 30
COLUMN_NAME = "政府信息公开年报"


def hash_int(text: str) -> int:
    """A stable small integer from a string (Python's hash() is salted)."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def local(stamp: datetime) -> datetime:
    """A naive China-time datetime as an aware one."""
    return stamp.replace(tzinfo=UTC) - CHINA


class Portal:
    """One portal: its items, its switches, and the pages every family serves."""

    family: ClassVar[str] = ""
    style: ClassVar[str] = "trs"  # the render_html style of the report fragment
    body_open: ClassVar[str] = '<div class="TRS_Editor">'
    body_close: ClassVar[str] = "</div>"
    platform_path: ClassVar[str] = "/zwgk/"

    def __init__(self, spec: PortalSpec, items: list[Item], switches: Switches) -> None:
        self.spec = spec
        self.id = spec.id
        self.items = items  # oldest first; reserve items last
        self.switches = switches
        self.port = 0
        self.mirrored_at: tuple[str, str] | None = None  # (host, prefix) of a spam mirror
        self._lock = threading.Lock()
        self.prepare()
        self._pages: dict[str, tuple[Item, Attachment | None]] = {}
        self._image_pages: dict[str, tuple[Item, int]] = {}
        for item in self.items:
            item.path = self.item_path(item)
            self._pages[item.path] = (item, None)
            if item.mode == FILE:
                fmt = item.attachment_format or "pdf"
                name = f"{item.title}.{FORMATS[fmt][0]}"
                item.extra.setdefault("file", Attachment(fmt, name, path=item.path, link=item.path))
            elif item.mode == IMAGES:
                # The page count is known only once rendered: register every
                # possible page path now, render when one is first asked for.
                for n in range(MAX_IMAGE_PAGES):
                    path, _ = self.attachment_urls(item, Attachment("png", "", page=n))
                    self._image_pages[path] = (item, n)
            else:
                # Copies of a portal share its items: attachments are made once.
                item.attachments = item.attachments or attachments_for(item)
                for attachment in item.attachments:
                    attachment.path, attachment.link = self.attachment_urls(item, attachment)
                    self._pages[attachment.path] = (item, attachment)

    # ---------------------------------------------------------------- family hooks

    def prepare(self) -> None:
        """Give items their family-specific ids (doc ids, dates in paths, …)."""
        for item in self.items:
            item.doc_id = 534000 + item.number * 37 + (hash_int(item.key) % 30)

    def item_path(self, item: Item) -> str:
        """The path of an item's page (of the file itself for FILE items)."""
        raise NotImplementedError

    def attachment_urls(self, item: Item, attachment: Attachment) -> tuple[str, str]:
        """Where an attachment is served, and the href the page links it with."""
        raise NotImplementedError

    def column_path(self) -> str:
        """The 年报 column's URL path (the source's start URL)."""
        raise NotImplementedError

    def list_response(self, request: Request) -> Response | None:
        """The family's list pages and list APIs (None: not a list URL)."""
        raise NotImplementedError

    def extra_response(self, request: Request) -> Response | None:
        """Family-specific non-list routes (download redirects, …)."""
        return None

    # ---------------------------------------------------------------- the item set

    def base_url(self) -> str:
        return f"http://{self.spec.host}:{self.port}"

    def start_url(self) -> str:
        return self.base_url() + self.column_path()

    def visible_items(self) -> list[Item]:
        """Published items, newest first (reserve items once add_report says so)."""
        regular = [i for i in self.items if not i.reserve]
        extra_count = self.switches.add_report
        if self.switches.total_change and self.switches.dataproxy_served > 0:
            extra_count += 1
        reserve = [i for i in self.items if i.reserve][:extra_count]
        return sorted(regular + reserve, key=lambda i: (i.published, i.number), reverse=True)

    def listed_items(self) -> list[Item]:
        """What the list shows: the visible items less the N oldest (drop_items)."""
        visible = self.visible_items()
        drop = min(self.switches.drop_items, len(visible))
        return visible[: len(visible) - drop]

    def list_modified(self) -> datetime:
        listed = self.listed_items()
        newest = max((i.published for i in listed), default=datetime(2019, 1, 1))
        return local(newest + timedelta(minutes=self.switches.drop_items))

    def replaceable(self) -> tuple[Item, Attachment] | None:
        """The attachment the replace_attachment switch re-uploads: the newest docx/xlsx/pdf."""
        for preferred in ("docx", "xlsx", "pdf"):
            for item in sorted(self.items, key=lambda i: i.published, reverse=True):
                if item.reserve:
                    continue
                for attachment in item.attachments:
                    if attachment.format == preferred:
                        return item, attachment
        return None

    def editable(self) -> Item | None:
        """The report page the edit_report switch edits: the newest with a page."""
        for item in self.visible_items():
            if item.mode != FILE and not item.reserve:
                return item
        return None

    def attachment_version(self, item: Item, attachment: Attachment) -> int:
        target = self.replaceable()
        if target and target[0] is item and target[1] is attachment:
            return self.switches.replace_attachment
        return 0

    def page_version(self, item: Item) -> int:
        return self.switches.edit_report if self.editable() is item else 0

    # ---------------------------------------------------------------- dispatch

    def handle(self, request: Request) -> Response:
        response = self.route(request)
        return response.with_validators(request)

    def route(self, request: Request) -> Response:
        path = request.path
        if path == "/robots.txt":
            return self.robots()
        if self.is_column(request) and self.switches.path_drift:
            drift = self.switches.path_drift
            if drift == "redirect_home":
                return redirect(self.base_url() + "/")
            return not_found() if drift == "404" else Response(403, b"<h1>403 Forbidden</h1>")
        if self.switches.layout_change and self.is_column(request):
            return self.redesigned_list()
        listed = self.list_response(request)
        if listed is not None:
            return listed
        extra = self.extra_response(request)
        if extra is not None:
            return extra
        if path in ("/", "/index.html", "/index.shtml"):
            return self.home()
        if path == self.platform_path:
            return self.platform_index()
        found = self._pages.get(request.target) or self._pages.get(path)
        if found is None and path in self._image_pages:
            self.ensure_images(self._image_pages[path][0])
            found = self._pages.get(path)
        if found is not None and self.resolves(found[0]):
            item, attachment = found
            if attachment is None and item.mode != FILE:
                return self.article(item)
            return self.file(item, attachment)
        return not_found()

    def ensure_images(self, item: Item) -> None:
        """Render an image-only item's pages (once) and register their paths."""
        if item.mode != IMAGES:
            return
        with self._lock:
            if not item.attachments:
                attachments = attachments_for(item)
                for attachment in attachments:
                    attachment.path, attachment.link = self.attachment_urls(item, attachment)
                item.attachments = attachments
            for attachment in item.attachments:
                self._pages[attachment.path] = (item, attachment)

    def is_column(self, request: Request) -> bool:
        """Whether the request is for the 年报 column (its list pages and APIs)."""
        return request.path == urlsplit(self.column_path()).path

    def start_fragment(self) -> str:
        """A fragment the start URL carries (gkmlpt keeps its category there)."""
        return ""

    def option(self, name: str, default: Any) -> Any:
        return self.spec.options.get(name, default)

    def pages_of(self, items: list[Item], page_size: int | None = None) -> list[list[Item]]:
        """Items cut into list pages (at least one page, maybe empty)."""
        size = page_size or self.spec.page_size
        return [items[i : i + size] for i in range(0, len(items), size)] or [[]]

    def resolves(self, item: Item) -> bool:
        return not item.reserve or item in self.visible_items()

    # ---------------------------------------------------------------- pages

    @property
    def meta_charset(self) -> str:
        if self.spec.encoding == "utf-8":
            return "utf-8"
        declared = self.spec.header_charset
        return declared if declared in ("gb2312", "gbk", "gb18030") else "gbk"

    def encode(self, text: str) -> bytes:
        codec = "gb18030" if self.spec.encoding in ("gbk", "gb2312", "gb18030") else "utf-8"
        return text.encode(codec)

    def html_response(self, text: str, *, modified: datetime | None, status: int = 200) -> Response:
        content_type = f"text/html; charset={self.spec.header_charset}"
        return Response(status, self.encode(text), content_type, last_modified=modified)

    def head(self, title: str, meta: dict[str, str]) -> str:
        if self.meta_charset == "utf-8":
            charset = '<meta charset="utf-8">'
        else:
            charset = (
                f'<meta http-equiv="Content-Type" content="text/html; charset={self.meta_charset}">'
            )
        standard = {
            "SiteName": self.spec.name,
            "SiteDomain": self.spec.host,
            "SiteIDCode": self.spec.site_code,
        }
        standard.update(meta)
        tags = "\n".join(
            f'<meta name="{name}" content="{html.escape(value)}">'
            for name, value in standard.items()
        )
        return f"<head>\n{charset}\n<title>{html.escape(title)}</title>\n{tags}\n</head>"

    def chrome(self, title: str, meta: dict[str, str], content: str, crumbs: str = "") -> str:
        """A full page in the portal's chrome: header links, crumbs, content, footer."""
        footer_extra = html.escape(str(self.spec.options.get("footer", "")))
        return f"""<!DOCTYPE html>
<html lang="zh-CN">
{self.head(title, meta)}
<body>
<div class="top-bar"><a href="javascript:void(0)">繁體版</a> | <a href="javascript:void(0)">无障碍</a> | <a href="javascript:void(0)">长者版</a></div>
<div class="header"><a href="/"><h2>{html.escape(self.spec.name)}</h2></a>
<ul class="nav"><li><a href="/">首页</a></li><li><a href="{self.platform_path}">政府信息公开</a></li><li><a href="/search/">搜索</a></li></ul></div>
<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="{self.platform_path}">政府信息公开</a>{crumbs}</div>
{content}
<div class="footer"><p><a href="http://www.gov.cn/">中国政府网</a> | <a href="/sitemap/">网站地图</a> | <a href="javascript:window.close()">关闭</a></p>
<p>主办：{html.escape(self.spec.name)}　网站标识码：{self.spec.site_code}　ICP备05001234号</p><p>{footer_extra}</p></div>
</body>
</html>
"""

    def column_meta(self) -> dict[str, str]:
        return {"ColumnName": COLUMN_NAME, "ColumnType": "信息公开年报"}

    def home(self) -> Response:
        content = f"""<div class="main"><h3>政务公开</h3>
<ul><li><a href="{self.platform_path}">政府信息公开</a></li>
<li><a href="{self.column_path()}">{COLUMN_NAME}</a></li></ul>
<h3>友情链接</h3><ul><li><a href="http://www.gov.cn/">中国政府网</a></li>
<li><a href="https://mp.weixin.qq.com/s/xxgk">政务微信</a></li></ul></div>"""
        page = self.chrome(self.spec.name, {"ColumnName": "首页"}, content)
        return self.html_response(page, modified=self.list_modified())

    def platform_index(self) -> Response:
        columns = [
            ("政府信息公开指南", self.platform_path + "zfxxgkzn/"),
            ("政府信息公开制度", self.platform_path + "zfxxgkzd/"),
            ("法定主动公开内容", self.platform_path + "fdzdgknr/"),
            (COLUMN_NAME, self.column_path()),
        ]
        links = "\n".join(
            f'<li><a href="{href}" title="{name}">{name}</a></li>' for name, href in columns
        )
        content = f'<div class="xxgk-nav"><ul>{links}</ul></div>'
        page = self.chrome("政府信息公开", {"ColumnName": "政府信息公开"}, content)
        return self.html_response(page, modified=local(datetime(2020, 5, 25, 9, 0)))

    def crumbs(self) -> str:
        return f' &gt; <a href="{self.column_path()}">{COLUMN_NAME}</a>'

    def index_number(self, item: Item) -> str:
        return f"{self.spec.site_code[-6:]}/{item.year + 1}-{item.number + 1:05d}"

    def article(self, item: Item) -> Response:
        """A report page: standard meta, the 发布日期 table, the report, attachments."""
        if self.switches.soft404 == "empty":
            return Response(200, b"", f"text/html; charset={self.spec.header_charset}")
        if self.switches.soft404 == "error_text":
            page = self.chrome(
                "页面不存在",
                {},
                '<div class="error"><p>对不起，您访问的页面不存在或已被删除！</p></div>',
            )
            return self.html_response(page, modified=None)
        return self.report_page(item)

    def report_page(self, item: Item) -> Response:
        """The report page as it is when nothing fails (the ground truth's bytes)."""
        self.ensure_images(item)
        version = self.page_version(item)
        title = item.title + ("（图片版）" if item.mode == IMAGES else "")
        pubdate = item.published.strftime("%Y-%m-%d %H:%M")
        meta = {
            **self.column_meta(),
            "ArticleTitle": title,
            "PubDate": pubdate,
            "ContentSource": item.organization,
            "Keywords": "政府信息公开,年度报告",
            "Url": self.base_url() + item.path,
        }
        table = f"""<table class="xxgk-info">
<tr><td>索引号：</td><td>{self.index_number(item)}</td><td>发文字号：</td><td></td></tr>
<tr><td>发布机构：</td><td>{html.escape(item.organization)}</td><td>主题分类：</td><td>政务公开</td></tr>
<tr><td>成文日期：</td><td>{item.published:%Y年%m月%d日}</td><td>发布日期：</td><td>{item.published:%Y年%m月%d日}</td></tr>
</table>"""
        body = self.report_body(item, version)
        attachments = self.attachment_links(item)
        content = f"""<div class="article">
{table}
<h1 class="title">{html.escape(title)}</h1>
<div class="info">发布时间：{pubdate}　来源：{html.escape(item.organization)}　字体：[<a href="javascript:void(0)">大</a> <a href="javascript:void(0)">中</a> <a href="javascript:void(0)">小</a>]</div>
{self.body_open}
{body}
{self.body_close}
{attachments}
{self.related_links(item)}
<div class="tools"><a href="javascript:window.print()">打印</a> <a href="javascript:window.close()">关闭</a></div>
</div>"""
        page = self.chrome(title, meta, content, self.crumbs())
        modified = local(item.published) + timedelta(days=30 * version)
        return self.html_response(page, modified=modified)

    def report_body(self, item: Item, version: int) -> str:
        if item.mode == IMAGES:
            return "\n".join(
                f'<p style="text-align:center"><img src="{a.link}" alt="{html.escape(a.filename)}"></p>'
                for a in item.attachments
            )
        if item.mode == ATTACHMENT_ONLY:
            body = (
                f"<p>根据《中华人民共和国政府信息公开条例》规定，现公布{html.escape(item.title)}，"
                "全文详见附件。</p>"
            )
        else:
            # Rendered once per item and style (copies of a portal share their items).
            key = f"fragment:{self.style}"
            if key not in item.extra:
                split = item.number % 4 == 3
                item.extra[key] = report_fragment(item.spec(), self.style, split_tables=split)
            body = item.extra[key]
        if version:
            body += f'<p class="update">（本文于{item.year + 1}年更新{version}次：修正了表格中的笔误。）</p>'
        return body

    def related_links(self, item: Item) -> str:
        """相关链接, including the off-domain mirror copy (F12) when there is one."""
        links = [
            '<li><a href="http://www.gov.cn/zhengce/xxgk/" target="_blank">中国政府网政府信息公开专栏</a></li>'
        ]
        if self.mirrored_at:
            host, prefix = self.mirrored_at
            links.append(
                f'<li><a href="http://{host}:{self.port}{prefix}{item.path}" target="_blank">'
                f"{html.escape(item.title)}（转载）</a></li>"
            )
        return f'<div class="related"><h4>相关链接</h4><ul>{"".join(links)}</ul></div>'

    def attachment_links(self, item: Item) -> str:
        if item.mode == IMAGES or not item.attachments:
            return ""
        links = "".join(
            f'<li><a href="{a.link}" target="_blank">{html.escape(a.filename)}</a></li>'
            for a in item.attachments
        )
        return f'<div class="attachments"><p>附件：</p><ul>{links}</ul></div>'

    def file(self, item: Item, attachment: Attachment | None) -> Response:
        """An attachment (or a FILE item) from the static file server."""
        if attachment is None:  # a FILE item: the list links straight to it
            attachment = item.extra["file"]
        version = self.attachment_version(item, attachment)
        data = render_attachment(item.spec(version), attachment.format, attachment.page)
        target = self.replaceable()
        if self.switches.oversize and target and target[1] is attachment:
            # A huge scan (F13): padding after the file's end, which readers ignore.
            data += b"\n" + b"0" * (self.switches.oversize * 1024 * 1024)
        modified = local(item.published) + timedelta(days=45 * version)
        headers = self.file_headers(item, attachment)
        return Response(200, data, attachment.content_type, headers, last_modified=modified)

    def file_headers(self, item: Item, attachment: Attachment) -> list[tuple[str, str]]:
        """Extra headers the file server sends with an attachment."""
        return []

    def redesigned_list(self) -> Response:
        content = """<div id="app" class="list-v2"><div class="loading">加载中…</div></div>
<script src="/static/js/app.8f3c2a.js"></script>"""
        page = self.chrome(COLUMN_NAME, self.column_meta(), content, self.crumbs())
        return self.html_response(page, modified=None)

    def robots(self) -> Response:
        kind = self.switches.robots
        plain = "text/plain"
        if kind == "disallow_all":
            return Response(200, b"User-agent: *\nDisallow: /\n", plain)
        if kind == "404":
            return not_found()
        if kind == "html":
            return self.home()
        if kind == "5xx":
            return Response(503, b"<h1>503 Service Temporarily Unavailable</h1>")
        if kind == "challenge":
            return challenge("jsl521", self.spec.host, self.port)
        text = "User-agent: *\nDisallow: /search/\nDisallow: /manage/\n"
        return Response(200, text.encode(), plain, last_modified=local(datetime(2020, 1, 1)))

    # ---------------------------------------------------------------- ground truth

    def documents(self) -> list[dict[str, Any]]:
        """Every report page and attachment a complete crawl must archive, now."""
        listed = set(id(i) for i in self.listed_items())
        out = []
        for item in self.visible_items():
            out.extend(self.documents_of(item, listed=id(item) in listed))
        return out

    def documents_of(self, item: Item, *, listed: bool = True) -> list[dict[str, Any]]:
        """The documents of one item (renders what is not cached yet)."""
        base = {
            "portal": self.id,
            "item": item.key,
            "organization": item.organization,
            "year": item.year,
            "title": item.title,
            "published": item.published.strftime("%Y-%m-%d %H:%M"),
            "listed": listed,
        }
        if item.mode == FILE:
            return [self._document(base, item, item.extra["file"], kind="report")]
        page = self.report_page(item)
        out = [
            {
                **base,
                "kind": "report",
                "format": "html",
                "url": self.base_url() + item.path,
                "final_url": self.base_url() + item.path,
                "content_type": page.content_type,
                "size": len(page.body),
                "sha256": hashlib.sha256(page.body).hexdigest(),
            }
        ]
        for attachment in item.attachments:
            out.append(self._document(base, item, attachment, kind="attachment"))
        return out

    def _document(
        self, base: dict[str, Any], item: Item, attachment: Attachment, *, kind: str
    ) -> dict[str, Any]:
        response = self.file(item, attachment)
        return {
            **base,
            "kind": kind,
            "format": attachment.format,
            "filename": attachment.filename,
            "url": urljoin(self.base_url() + item.path, attachment.link),
            "final_url": self.base_url() + attachment.path,
            "content_type": response.content_type,
            "size": len(response.body),
            "sha256": hashlib.sha256(response.body).hexdigest(),
        }
