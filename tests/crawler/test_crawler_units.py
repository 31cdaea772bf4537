"""The crawler's pure parts: sources, encodings, detection, the ledger's bookkeeping."""

from __future__ import annotations

from pathlib import Path

import pytest

from archive.ledger import Capture, Ledger
from crawler import detect
from crawler.encoding import decide, disposition_filename
from crawler.middlewares.politeness import retry_after_seconds
from crawler.registry import SourceError, adhoc_source, check_sources, load_source

GOOD = """\
name: 樟树市人民政府
level: county
division_code: "360982"
start_url: http://127.0.0.2:18080/zwgk/zfxxgknb/
family: trs_legacy
politeness: {delay: 5}
notes: x
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_source_is_read_and_typed(tmp_path: Path) -> None:
    source = load_source(write(tmp_path, "zhangshu_shi", GOOD))
    assert source.id == "zhangshu_shi" and source.family == "trs_legacy"
    assert source.politeness.delay == 5 and source.division_code == "360982"
    assert source.allows("http://127.0.0.2:18080/a.pdf")
    assert not source.allows("http://lahohwa.com/llxxgk/t20211116_1585279.html")


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("zhangshu_shi", GOOD + "colour: red\n", "colour"),
        ("zhangshu_shi", GOOD.replace("county", "village"), "level"),
        ("zhangshu_shi", GOOD.replace("360982", "3609"), "division_code"),
        ("zhangshu_shi", GOOD.replace("http://", "ftp://"), "start_url"),
        ("zhangshu_shi", GOOD.replace("trs_legacy", "wordpress"), "family"),
        ("ZhangShu", GOOD, "pinyin"),
        ("zhangshu_shi", "- just\n- a list\n", "mapping"),
    ],
)
def test_a_bad_source_is_an_error_naming_file_and_field(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(SourceError, match=message) as error:
        load_source(path)
    assert str(path) in str(error.value)
    good, errors = check_sources(tmp_path)
    assert not good and len(errors) == 1


def test_the_bundled_sources_are_valid() -> None:
    good, errors = check_sources()
    assert not errors
    assert {s.family for s in good} >= {"trs_legacy", "hanweb_jcms", "gkmlpt"}


def test_a_url_alone_makes_a_source() -> None:
    source = adhoc_source("http://127.0.0.9:8080/zwgk/zfxxgknb/")
    assert source.id == "url_h127_0_0_9" and source.family is None


# -- encodings -------------------------------------------------------------------------

TEXT = "北京市朝阳区人民政府2023年政府信息公开工作年度报告，镕䶮"


def test_gb2312_labelled_pages_decode_as_gb18030() -> None:
    body = b'<meta charset="gb2312">' + TEXT.encode("gb18030")
    decision = decide(body, "text/html; charset=gb2312")
    assert decision.used == "gb18030" and decision.declared == "gb2312"
    assert TEXT in body.decode(decision.used)


def test_header_and_meta_disagreeing_is_settled_by_the_bytes() -> None:
    gbk_body = b'<meta charset="gbk">' + TEXT.encode("gb18030")
    assert decide(gbk_body, "text/html; charset=utf-8").used == "gb18030"
    assert decide(gbk_body, "text/html; charset=utf-8").declared == "utf-8|gbk"
    utf8_body = b'<meta charset="utf-8">' + TEXT.encode()
    assert decide(utf8_body, "text/html; charset=gbk").used == "utf-8"


def test_malformed_meta_and_bom() -> None:
    malformed = b'<meta httpequiv="ContentType" content="text/html; charset=gbk" />'
    assert decide(malformed + TEXT.encode("gb18030"), None).used == "gb18030"
    assert decide(b"\xef\xbb\xbf" + TEXT.encode(), "text/html; charset=gbk").used == "utf-8-sig"


def test_content_disposition_names_in_gbk_utf8_and_rfc5987() -> None:
    name = "2023年政府信息公开工作年度报告.pdf"
    assert disposition_filename(f'attachment; filename="{name}"'.encode("gbk")) == name
    assert disposition_filename(f"attachment; filename={name}".encode()) == name
    quoted = "attachment; filename*=UTF-8''%E5%B9%B4%E6%8A%A5.pdf"
    assert disposition_filename(quoted.encode()) == "年报.pdf"
    assert disposition_filename(None) is None


# -- detection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "headers", "body", "name"),
    [
        (412, {}, b"<script>$_ts=window['$_ts'];</script>", "RiverSecurity"),
        (
            521,
            {"Set-Cookie": ["__jsluid_h=1"]},
            b"<script>document.cookie='__jsl_clearance=1';</script>",
            "Jiasule",
        ),
        (200, {"Set-Cookie": ["acw_tc=1"]}, b"<script>var arg1='3C1A';</script>", "Aliyun"),
        (200, {}, b"<noscript>Please enable JavaScript to view the page.</noscript>", "JavaScript"),
        (405, {}, "<h1>您的访问被拦截</h1><p>创宇云防御</p>".encode(), "cloud WAF"),
    ],
)
def test_waf_challenges_are_named(
    status: int, headers: dict[str, list[str]], body: bytes, name: str
) -> None:
    found = detect.challenge(status, headers, body)
    assert found and name in found


def test_ordinary_pages_are_not_challenges() -> None:
    page = "<html><head><title>年度报告</title></head><body><table></table></body></html>"
    assert detect.challenge(200, {}, page.encode()) is None
    assert detect.challenge(404, {}, b"<h1>404 Not Found</h1>") is None


def test_soft_404_and_home_redirects() -> None:
    assert detect.soft_404(200, "text/html", b"")
    error = "<title>页面不存在</title><p>对不起</p>".encode("gbk")
    assert detect.soft_404(200, "text/html", error, "gb18030")
    assert detect.soft_404(200, "application/pdf", b"%PDF-1.4") is None
    assert detect.redirected_home("http://a/zwgk/zfxxgknb/", "http://a/")
    assert not detect.redirected_home("http://a/", "http://a/index.html")


@pytest.mark.parametrize(
    ("html", "family"),
    [
        ('<script>createPageHTML(21, 0, "index", "html");</script>', "trs_legacy"),
        ("<script>createPageHTML('page_div', 5, 1, 'fg', 'shtml', 89);</script>", "trs_sohu"),
        ('<script type="text/xml"><datastore><nextgroup>', "hanweb_jcms"),
        ("url: '/api-gateway/jpaas-publish-server/front/page/build/unit?x=1'", "hanweb_jpaas"),
        ('<a href="InfoPublic.aspx?cid=1&page=2">2</a>', "query_paging"),
        ('<a href="2.html">2</a>', "path_paging"),
        ("<p>nothing</p>", "generic"),
    ],
)
def test_families_are_detected(html: str, family: str) -> None:
    assert detect.detect_family("http://x/zfxxgknb/", html) == family


def test_report_pages_are_recognised_by_meta_title_and_date() -> None:
    html = (
        '<meta name="ArticleTitle" content="樟树市财政局2023年政府信息公开工作年度报告">'
        "<title>樟树市人民政府</title><td>发布日期：</td><td>2024年01月05日</td>"
    )
    assert detect.is_report_page(html)
    assert detect.page_date(html) == "2024-01-05"
    assert detect.page_date('<meta name="PubDate" content="2022-04-17 14:46:00">') == "2022-04-17"
    assert not detect.is_report_title("关于印发某某办法的通知")


def test_titles_are_stored_as_text_not_as_html_source() -> None:
    """Portals write titles with character references; the ledger keeps what a reader sees."""
    assert (
        detect.page_title("<title>某县&ldquo;政务公开&rdquo;2023年度报告&nbsp;&amp;附件</title>")
        == "某县\u201c政务公开\u201d2023年度报告 &附件"
    )
    meta = '<meta name="ArticleTitle" content="某局2023年政府信息公开工作年度报告&#xFF08;更正&#xFF09;">'
    assert detect.page_title(meta) == "某局2023年政府信息公开工作年度报告（更正）"


def test_a_failure_without_a_message_is_described() -> None:
    from scrapy.exceptions import DownloadCancelledError
    from twisted.internet.defer import CancelledError

    from crawler.failures import describe

    assert describe(CancelledError(), 1024) == (
        "CancelledError: download cancelled (usually: the body passed DOWNLOAD_MAXSIZE, 1,024 bytes)"
    )
    assert (
        describe(TimeoutError("took longer than 20 s"), 1024)
        == "TimeoutError: took longer than 20 s"
    )
    assert "DOWNLOAD_MAXSIZE" in describe(DownloadCancelledError(), 1024)
    assert describe(ConnectionResetError(), 1024) == "ConnectionResetError"


def test_retry_after_values() -> None:
    assert retry_after_seconds("120") == 120
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None


# -- the ledger ----------------------------------------------------------------------------


def test_versions_gone_and_counts(tmp_path: Path) -> None:
    ledger = Ledger.open(tmp_path)
    ledger.start_run("r1", spider="generic", sources=["s"])
    url = "http://a/t20240101_1.html"

    def fetch(run: str, status: int, sha: str | None, error: str | None = None) -> str:
        capture = Capture(
            run_id=run,
            url=url,
            source_id="s",
            kind="report",
            status=status,
            sha256=sha,
            fingerprint="f",
            headers={"ETag": ['"1"']},
            error=error,
        )
        return ledger.record_capture(capture)[1]

    assert fetch("r1", 200, "a" * 64) == "new"
    ledger.start_run("r2", spider="generic", sources=["s"])
    assert fetch("r2", 500, None, "HTTP 500") == "failed"
    assert fetch("r2", 304, None) == "not_modified"
    assert fetch("r2", 200, "b" * 64) == "changed"
    assert ledger.source_counts("r2", "s")["changed"] == 1  # the last fetch decides
    assert ledger.source_counts("r2", "s")["errors"] == 0
    state = ledger.url_state(url)
    assert state is not None and state["versions"] == 2 and state["sha256"] == "b" * 64
    assert state["etag"] == '"1"'
    ledger.start_run("r3", spider="generic", sources=["s"])
    assert fetch("r3", 404, None) == "gone"
    state = ledger.url_state(url)
    assert state is not None and state["gone_since"] and state["sha256"] == "b" * 64
    assert ledger.known_urls("s", before_run="r4") == {url}
    ledger.close()
