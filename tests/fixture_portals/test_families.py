"""Each CMS family's pagination walked with plain urllib, as a crawler would have to.

Every walk must find exactly the items the portal lists (no more, no fewer),
and every report page found must carry the standard meta tags and 发布日期.
"""

from __future__ import annotations

import json
import re
from urllib.parse import quote, urljoin

import pytest

from crawler.fixture_portals.server import FixtureNetwork
from tests.fixture_portals.fetching import fetch

CDATA_LINK = re.compile(r"<a href='([^']+)'")


def search(pattern: str, text: str, flags: int = 0) -> re.Match[str]:
    match = re.search(pattern, text, flags)
    assert match is not None, pattern
    return match


def listed_urls(network: FixtureNetwork, portal_id: str) -> set[str]:
    portal = network.portal(portal_id)
    return {portal.base_url() + item.path for item in portal.listed_items()}


def links(html: str, base: str, pattern: str) -> list[str]:
    return [urljoin(base, href) for href in re.findall(pattern, html)]


def walk_trs_legacy(network: FixtureNetwork, pid: str) -> set[str]:
    start = network.start_url(pid)
    first = fetch(start)
    count, current = map(
        int, search(r'createPageHTML\((\d+), (\d+), "index", "html"\)', first.text()).groups()
    )
    assert current == 0
    assert f"countPage = {count}" in first.text()
    assert 'href="index_1.html"' not in first.text()  # later pages only exist in JS
    found: set[str] = set()
    for k in range(count):
        url = urljoin(start, "index.html" if k == 0 else f"index_{k}.html")
        page = fetch(url)
        assert page.status == 200, url
        found |= set(links(page.text(), url, r'href="(\./\d{6}/t\d{8}_\d+\.html)"'))
    assert fetch(urljoin(start, f"index_{count}.html")).status == 404
    return found


def walk_trs_sohu(network: FixtureNetwork, pid: str) -> set[str]:
    start = network.start_url(pid)
    first = fetch(start).text()
    pages, current, total = map(
        int,
        search(r"createPageHTML\('page_div', (\d+), (\d+), 'fg', 'shtml', (\d+)\)", first).groups(),
    )
    assert current == 1
    found: set[str] = set()
    for n in range(1, pages + 1):
        url = urljoin(start, "fg.shtml" if n == 1 else f"fg_{n}.shtml")
        page = fetch(url)
        assert page.status == 200
        found |= set(links(page.text(), url, r'href="([^"]+/content\.shtml)"'))
    assert fetch(urljoin(start, "fg_1.shtml")).status == 404  # page 2 is _2, there is no _1
    assert len(found) == total
    return found


def walk_hanweb_jcms(network: FixtureNetwork, pid: str) -> set[str]:
    start = network.start_url(pid)
    page = fetch(start).text()
    embedded = search(r'<script type="text/xml">(.*?)</script>', page, re.S).group(1)
    total = int(search(r"totalRecord:(\d+)", page).group(1))
    perpage = int(search(r"perPage:(\d+)", page).group(1))
    params = dict(
        re.findall(r"(\w+):'?([^,'}]+)'?", search(r"var param_\d+ = \{(.*?)\};", page).group(1))
    )
    ordered = [urljoin(start, h) for h in CDATA_LINK.findall(embedded)]
    group = perpage * 3
    assert len(ordered) == min(group + 1, total)  # one look-ahead record
    form = "&".join(f"{k}={quote(v)}" for k, v in params.items()).encode()
    start_record = group + 1
    while start_record <= total:
        end = start_record + group - 1
        url = urljoin(
            start,
            f"/module/web/jpage/dataproxy.jsp?startrecord={start_record}&endrecord={end}&perpage={perpage}",
        )
        xml = fetch(url, data=form).text()
        assert f"<totalrecord>{total}</totalrecord>" in xml
        batch = [urljoin(start, h) for h in CDATA_LINK.findall(xml)]
        assert batch[0] == ordered[-1]  # the boundary overlap
        ordered += batch[1:]
        start_record += group
    return set(ordered)


def walk_hanweb_jpaas(network: FixtureNetwork, pid: str) -> set[str]:
    start = network.start_url(pid)
    page = fetch(start).text()
    unit = search(r'var unitUrl = "([^"]+)"', page).group(1)
    assert "parseType=bulidstatic" in unit
    found: set[str] = set()
    for n in range(1, 100):
        param = quote(json.dumps({"pageNo": n, "pageSize": 6}))
        data = json.loads(fetch(urljoin(start, unit) + "&paramJson=" + param).body)
        assert data["success"] is True
        hrefs = re.findall(r'href="([^"]+)"', data["data"]["html"])
        if not hrefs:
            break
        found |= {urljoin(start, h) for h in hrefs}
    return found


def walk_gkmlpt(network: FixtureNetwork, pid: str) -> set[str]:
    start = network.start_url(pid)
    assert start.endswith("#368")
    page = fetch(start.split("#")[0]).text()
    sid = search(r"SID: '(\w+)'", page).group(1)
    found: set[str] = set()
    total = None
    for n in range(1, 100):
        data = json.loads(fetch(urljoin(start, f"/gkmlpt/api/all/368?page={n}&sid={sid}")).body)
        total = data["total"]
        if not data["articles"]:
            break
        found |= {a["url"] for a in data["articles"]}
    assert len(found) == total
    return found


def walk_query_paging(network: FixtureNetwork, pid: str) -> set[str]:
    url: str | None = network.start_url(pid)
    found: set[str] = set()
    seen = 0
    while url:
        page = fetch(url)
        assert "charset=gb2312" in page.headers["Content-Type"]
        text = page.text("gb18030")
        found |= set(links(text, url, r'href="(/NewsView\.aspx\?NewsID=\d+)"'))
        nxt = re.search(r'<a href="([^"]+)">下一页</a>', text)
        url = urljoin(url, nxt.group(1).replace("&amp;", "&")) if nxt else None
        seen += 1
    assert seen > 1
    return found


def walk_path_paging(network: FixtureNetwork, pid: str) -> set[str]:
    start = network.start_url(pid)
    index = fetch(start)
    assert "charset=utf-8" in index.headers["Content-Type"]  # the header lies …
    with pytest.raises(UnicodeDecodeError):
        index.body.decode("utf-8")  # … the page is GBK
    years = links(index.body.decode("gb18030"), start, r'href="([^"]+/\d{4}nb/1\.html)"')
    assert len(years) >= 4
    found: set[str] = set()
    for url in years:
        next_url: str | None = url
        while next_url:
            text = fetch(next_url).body.decode("gb18030")
            found |= set(links(text, next_url, r'<li><a href="([^"]+)" target="_blank"'))
            nxt = re.search(r'<a href="(\d+\.html)">下一页</a>', text)
            next_url = urljoin(next_url, nxt.group(1)) if nxt else None
    assert any(u.endswith(".pdf") for u in found)  # a year whose items are the files
    return found


WALKERS = {
    "zhangshu_shi": walk_trs_legacy,
    "beijing_shi_chaoyang_qu": walk_trs_legacy,
    "shaoyang_shi": walk_trs_sohu,
    "ningbo_shi_jiangbei_qu": walk_hanweb_jcms,
    "guojia_shichang_jiandu_guanli_zongju": walk_hanweb_jpaas,
    "guangdong_sheng": walk_gkmlpt,
    "yunnan_sheng_renli_ziyuan_he_shehui_baozhang_ting": walk_query_paging,
    "yanan_shi_jiaoyu_ju": walk_path_paging,
    "yichun_shi": walk_trs_legacy,  # issue 6's cross-report cases
}


def test_every_portal_has_a_walker(network: FixtureNetwork) -> None:
    assert set(WALKERS) == set(network.portals)
    assert len({p.family for p in network.portals.values()}) >= 6


@pytest.mark.parametrize("portal_id", sorted(WALKERS))
def test_pagination_finds_exactly_the_listed_items(network: FixtureNetwork, portal_id: str) -> None:
    found = WALKERS[portal_id](network, portal_id)
    assert found == listed_urls(network, portal_id)
    assert len(found) >= 18


@pytest.mark.parametrize("portal_id", sorted(WALKERS))
def test_report_pages_carry_meta_tags_and_publication_date(
    network: FixtureNetwork, portal_id: str
) -> None:
    portal = network.portal(portal_id)
    item = next(i for i in portal.listed_items() if i.mode != "file")
    page = fetch(portal.base_url() + item.path)
    assert page.status == 200
    text = page.body.decode("gb18030" if portal.spec.encoding == "gbk" else "utf-8")
    for name in (
        "ArticleTitle",
        "PubDate",
        "ContentSource",
        "SiteName",
        "SiteIDCode",
        "ColumnName",
    ):
        assert f'<meta name="{name}"' in text, name
    assert f'<meta name="ArticleTitle" content="{item.title}' in text
    assert f"发布日期：</td><td>{item.published:%Y年%m月%d日}" in text
    assert portal.body_open in text
