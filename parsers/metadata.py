"""Title, publishing body (发布机关) and report year.

The document's own title comes first ("王助镇2021年政府信息公开工作年度报告",
"镇坪县 2019 年…", a body on one line and "2020年政府信息公开工作年度报告" on the
next). When the document has no title, the page it was found on speaks: its
``<meta name="ArticleTitle">``, the page title, the caller's context. The year
may also come from the body ("截至2019年12月31日", "2019年，我镇…").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from parsers.labels import normalize

_REPORT_WORDS = re.compile(
    r"(政府信息公开|政务公开|信息公开).{0,12}(年度报告|年报|工作报告)|年度报告"
)
_TITLE = re.compile(
    r"^(?P<org>.*?)(?:关于)?(?P<year>(?:19|20)\d{2})年度?(?P<tail>.*?(?:年度报告|年报|工作报告).*)$"
)
_YEAR_FIRST = re.compile(
    r"^(?P<year>(?:19|20)\d{2})年度?(?P<org>.+?)(?:政府信息公开|政务公开|信息公开).*(?:年度报告|年报)"
)
_ORG_SUFFIX = re.compile(
    r"(人民政府|政府|办公厅|办公室|委员会|局|厅|部|署|院|中心|委|办|所|站|馆|会|处|队|社|司|镇|乡|街道|"
    r"街道办事处|区|县|市|州|盟|旗|省|自治区|管委会|公司|集团|银行)$"
)
_SITE_SUFFIX = re.compile(r"\s*[_|｜\-—–]\s*[^_|｜\-—–]{2,30}$")
_STAT_YEAR = (
    re.compile(r"截[至止](?:到)?((?:19|20)\d{2})年12月31日"),
    re.compile(r"((?:19|20)\d{2})年1月1日[至到－\-—~～]+(?:(?:19|20)\d{2}年)?12月31日"),
    re.compile(r"((?:19|20)\d{2})年度"),
)
_ANY_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


@dataclass(frozen=True)
class TitleInfo:
    title: str
    organization: str | None
    year: int | None


def read_title(line: str, previous: str | None = None) -> TitleInfo | None:
    """Title, body and year from a title line (and the line before it, for two-line titles)."""
    text = normalize(line)
    if len(text) > 80 or not _REPORT_WORDS.search(text):
        return None
    text = text.strip('《》“”"')
    m = _TITLE.match(text)
    if m:
        org = _clean_org(m.group("org"))
        year = int(m.group("year"))
        if not org:
            ym = _YEAR_FIRST.match(text)
            if ym:
                org = _clean_org(ym.group("org"))
        title = text
        if not org and previous:
            prev = normalize(previous)
            if 2 <= len(prev) <= 30 and _ORG_SUFFIX.search(prev) and not _ANY_YEAR.search(prev):
                org, title = prev, prev + text
        return TitleInfo(title, org or None, year)
    return None


def _clean_org(org: str) -> str:
    org = org.strip(' :：,，、.。-—“”"《》()（）')
    for prefix in ("关于", "公开"):
        if org.startswith(prefix):
            org = org[len(prefix) :]
    # "2020年政府信息公开…" names no body: "政府"/"政务" alone is the report's own words.
    return "" if org in ("政府", "政务", "本", "我", "全") else org


def title_from_lines(lines: list[str]) -> TitleInfo | None:
    """The first title among the opening lines of a document."""
    previous: str | None = None
    for line in lines:
        info = read_title(line, previous)
        if info:
            return info
        if line.strip():
            previous = line
    return None


def title_from_page(page_title: str | None) -> TitleInfo | None:
    """A title from page context, without the portal's name after "_" or "|"."""
    if not page_title:
        return None
    info = read_title(page_title)
    if info:
        return info
    stripped = _SITE_SUFFIX.sub("", page_title.strip())
    return read_title(stripped) if stripped != page_title.strip() else None


def year_from_text(text: str) -> int | None:
    """The statistics year stated in running text, if any."""
    for rx in _STAT_YEAR:
        years = Counter(int(y) for y in rx.findall(text))
        if years:
            return years.most_common(1)[0][0]
    first = _ANY_YEAR.search(text)
    return int(first.group(1)) if first else None
