"""Recognising things in fetched pages: CMS family, report pages, WAF challenges, soft 404s.

Pure functions over URLs, headers and bytes (no Scrapy), so they are easy to
test and reuse:

- ``detect_family(url, html)``: which CMS family's paging a 年报 column uses.
- ``page_title(html)`` / ``page_date(html)`` / ``is_report_title(title)``: report
  page recognition from the standard ``<meta>`` tags, ``<title>`` and 发布日期.
- ``challenge(status, headers, body)``: a WAF / anti-bot challenge, named, or None.
  The crawler only detects them; it never tries to pass one.
- ``soft_404(status, body)`` and ``redirected_home(url, final_url)``: error pages
  served as content, and path drift that lands on the home page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

# -- CMS families ---------------------------------------------------------------

_FAMILY_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("gkmlpt", re.compile(r"/gkmlpt/|gkmlpt/api/all", re.I)),
    ("hanweb_jpaas", re.compile(r"jpaas-publish-server|front/page/build/unit", re.I)),
    ("hanweb_jcms", re.compile(r"<datastore>|jpage/dataproxy\.jsp|/col/col\d+/", re.I)),
    (
        "trs_sohu",
        re.compile(r"createPageHTML\(\s*['\"][\w-]+['\"]\s*,\s*\d+\s*,\s*\d+\s*,", re.I),
    ),
    ("trs_legacy", re.compile(r"createPage(?:HTML)?\(\s*\d+\s*,\s*\d+\s*,|countPage\s*=", re.I)),
    (
        "query_paging",
        re.compile(r"href=['\"][^'\"]*[?&](?:page|pageNo|pageNum|cur_page|pageIndex)=\d+", re.I),
    ),
    ("path_paging", re.compile(r"href=['\"](?:[^'\"]*/)?\d+\.html?['\"]", re.I)),
)


def detect_family(url: str, html: str) -> str:
    """The family whose paging this list page uses; ``generic`` when none is recognised."""
    haystack = url + "\n" + html
    for family, marker in _FAMILY_MARKERS:
        if marker.search(haystack):
            return family
    return "generic"


# -- report pages ---------------------------------------------------------------

_META = re.compile(
    r"""<meta\s+[^>]*?name\s*=\s*["']?(?P<name>[\w:.-]+)["']?[^>]*?content\s*=\s*["'](?P<content>[^"']*)["']""",
    re.I | re.S,
)
_META_REVERSED = re.compile(
    r"""<meta\s+[^>]*?content\s*=\s*["'](?P<content>[^"']*)["'][^>]*?name\s*=\s*["']?(?P<name>[\w:.-]+)""",
    re.I | re.S,
)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_TAGS = re.compile(r"<[^>]+>")
_DATE_TEXT = re.compile(
    r"(?:发布日期|发布时间|成文日期|日期)\s*[:：]?\s*(?:</?[^>]+>\s*)*"
    r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})"
)
_ISO_DATE = re.compile(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_REPORT_TITLE = re.compile(r"(信息公开|政务公开).{0,20}(年度报告|年报)|年度报告|公开年报")


def page_meta(html: str) -> dict[str, str]:
    """The page's ``<meta name=… content=…>`` tags (first occurrence wins)."""
    found: dict[str, str] = {}
    for pattern in (_META, _META_REVERSED):
        for match in pattern.finditer(html[:20000]):
            found.setdefault(match.group("name"), _clean(match.group("content")))
    return found


def _clean(text: str) -> str:
    """Tags dropped, character references decoded (&amp;, &#8220; …), whitespace folded."""
    return re.sub(r"\s+", " ", html.unescape(_TAGS.sub("", text))).strip()


def page_title(html: str) -> str | None:
    """The article title: ``ArticleTitle`` meta, else ``<title>``."""
    meta = page_meta(html)
    if meta.get("ArticleTitle"):
        return meta["ArticleTitle"]
    match = _TITLE.search(html)
    return _clean(match.group(1)) or None if match else None


def page_date(html: str) -> str | None:
    """The publication date as ``YYYY-MM-DD``: ``PubDate`` meta, else a 发布日期 label."""
    meta = page_meta(html)
    for source in (meta.get("PubDate"), meta.get("pubdate")):
        if source:
            match = _ISO_DATE.search(source)
            if match:
                return _ymd(match.groups())
    match = _DATE_TEXT.search(html)
    return _ymd(match.groups()) if match else None


def _ymd(parts: Sequence[str]) -> str:
    year, month, day = parts
    return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"


def is_report_title(title: str | None) -> bool:
    """Whether a title names an annual report (政府信息公开工作年度报告 and its variants)."""
    return bool(title and _REPORT_TITLE.search(title))


def is_report_page(html: str) -> bool:
    return is_report_title(page_title(html))


# -- attachments ----------------------------------------------------------------

ATTACHMENT_EXTENSIONS = (
    ".pdf",
    ".doc",
    ".docx",
    ".wps",
    ".xls",
    ".xlsx",
    ".et",
    ".rtf",
    ".ofd",
    ".zip",
    ".rar",
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".tif",
    ".tiff",
)
ARTICLE_URL = re.compile(
    r"/t\d{8}_\d+\.s?html?$|/art/\d{4}/|/art_\w+\.html$|/content/(?:.*/)?post_\d+\.html$"
    r"|/c\d+/content\.shtml$|mpost_\d+\.html$|\.jhtml$|/\d{6}/[\w-]+\.s?html?$"
    r"|InfoDetail|infodetail|detail\.(?:jsp|aspx|html)\?|[?&](?:id|infoid|docid|articleid)=\w+",
    re.I,
)
_DOWNLOAD_PATH = re.compile(r"downfile\.jsp|download\.jsp|/download/|/attach/|filedownload", re.I)


def is_attachment_url(url: str) -> bool:
    """A link to a file (by extension, or a CMS download endpoint), not to a page."""
    parts = urlsplit(url)
    path = parts.path.lower()
    if path.endswith(ATTACHMENT_EXTENSIONS):
        return True
    query = parts.query.lower()
    if any(f"{ext}" in query for ext in (".pdf", ".doc", ".wps", ".xls", ".ofd")):
        return True
    return bool(_DOWNLOAD_PATH.search(parts.path))


# -- failures -------------------------------------------------------------------

_JS_REQUIRED = re.compile(
    r"enable\s+javascript|开启\s*javascript|启用\s*javascript|需要\s*javascript", re.I
)
_CLOUD_WAF = re.compile(r"创宇|云防御|云防护|访问被拦截|您的访问被拦截|安全防护拦截|WAF", re.I)


def _header(headers: Mapping[str, Sequence[str]], name: str) -> str:
    for key, values in headers.items():
        if key.lower() == name:
            return " ".join(values)
    return ""


def challenge(status: int, headers: Mapping[str, Sequence[str]], body: bytes) -> str | None:
    """The name of the WAF / anti-bot challenge this response is, or None.

    ``headers`` maps a header name to its values (decoded text).
    """
    head = body[:20000].decode("utf-8", "replace")
    cookies = _header(headers, "set-cookie")
    if status in (202, 412) and ("$_ts" in head or "FSSBBIl1UgzbN7N" in cookies):
        return f"RiverSecurity (瑞数) challenge: HTTP {status} with $_ts"
    if status == 521 and ("__jsl_clearance" in head + cookies or "document.cookie" in head):
        return "Jiasule (加速乐) challenge: HTTP 521 with __jsl_clearance"
    if "acw_sc__v2" in head + cookies or re.search(r"\barg1\s*=\s*'", head):
        return f"Aliyun WAF challenge: HTTP {status} with acw_sc__v2"
    if len(body) < 20000 and _JS_REQUIRED.search(head):
        return f"JavaScript-required interstitial: HTTP {status}"
    if (
        len(body) < 8000
        and "document.cookie" in head[:3000]
        and re.search(r"location\.(?:href|reload|replace)", head)
    ):
        return f"JavaScript cookie challenge: HTTP {status}"
    if status in (403, 405, 200) and len(body) < 20000 and _CLOUD_WAF.search(head):
        return f"cloud WAF block page: HTTP {status}"
    return None


_SOFT_404 = re.compile(
    r"404|页面不存在|页面未找到|找不到|not\s+found|已被删除|已删除|无法找到|页面已失效", re.I
)


def soft_404(
    status: int, content_type: str | None, body: bytes, encoding: str = "utf-8"
) -> str | None:
    """Why a 200 response is really an error page (empty, or an error page as HTML).

    ``encoding`` is the body's (as ``crawler.encoding.decide`` found it).
    """
    if status != 200:
        return None
    if not body.strip():
        return "empty body with HTTP 200"
    if content_type and "html" not in content_type.lower():
        return None
    if len(body) > 6000:
        return None
    text = body.decode(encoding, "replace")
    title = page_title(text) or ""
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", text, re.I | re.S)
    probe = title + " " + (_clean(heading.group(1)) if heading else "")
    if _SOFT_404.search(probe):
        return f"error page served with HTTP 200: {probe.strip()[:80]!r}"
    return None


_HOME_PATHS = {"", "/", "/index.html", "/index.htm", "/index.shtml", "/index.jsp", "/default.html"}


def redirected_home(url: str, final_url: str) -> bool:
    """Path drift: a deep URL that redirected to the site's home page."""
    start, final = urlsplit(url), urlsplit(final_url)
    return start.path not in _HOME_PATHS and final.path in _HOME_PATHS
