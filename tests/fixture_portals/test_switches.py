"""Failure switches flip what the portals serve, and the HTTP behaviour of healthy pages."""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import time
import urllib.error

import pytest

from crawler.fixture_portals.families.hanweb_jcms import HanwebJcms
from crawler.fixture_portals.server import FixtureNetwork
from tests.fixture_portals.fetching import fetch

TRS = "zhangshu_shi"


def test_static_pages_answer_conditional_requests_with_304(network: FixtureNetwork) -> None:
    url = network.start_url(TRS)
    first = fetch(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag and modified
    assert fetch(url, headers={"If-None-Match": etag}).status == 304
    assert fetch(url, headers={"If-Modified-Since": modified}).status == 304
    assert fetch(url, headers={"If-None-Match": '"other"'}).status == 200
    item = network.portal(TRS).listed_items()[0]
    page = fetch(network.base_url(TRS) + item.path)
    assert fetch(page.url, headers={"If-None-Match": page.headers["ETag"]}).status == 304


def test_dynamic_endpoints_send_no_validators(network: FixtureNetwork) -> None:
    url = network.base_url("guangdong_sheng") + "/gkmlpt/api/all/368?page=1&sid=2"
    answer = fetch(url, headers={"If-None-Match": "*"})
    assert answer.status == 200 and "ETag" not in answer.headers
    assert json.loads(answer.body)["total"] >= 18


@pytest.mark.parametrize(
    ("kind", "status", "marker"),
    [
        ("rs412", 412, b"$_ts"),
        ("jsl521", 521, b"document.cookie="),
        ("acw", 200, b"acw_sc__v2"),
        ("enable_js", 200, b"Please enable JavaScript"),
        ("cloudwaf", 403, "创宇盾".encode()),
    ],
)
def test_waf_challenges(network: FixtureNetwork, kind: str, status: int, marker: bytes) -> None:
    network.set_switch(TRS, "waf", kind)
    answer = fetch(network.start_url(TRS))
    assert answer.status == status
    assert marker in answer.body
    if kind == "rs412":
        assert f"FSSBBIl1UgzbN7N{network.port}S=" in answer.headers["Set-Cookie"]


def test_waf_after_lets_the_first_requests_through(network: FixtureNetwork) -> None:
    network.set_switch(TRS, "waf", "jsl521")
    network.set_switch(TRS, "waf_after", network.portal(TRS).switches.served + 2)
    url = network.start_url(TRS)
    assert [fetch(url).status for _ in range(4)] == [200, 200, 521, 521]


def test_5xx_with_retry_after(network: FixtureNetwork) -> None:
    network.set_switch(TRS, "status_5xx", 503)
    network.set_switch(TRS, "retry_after", 120)
    answer = fetch(network.start_url(TRS))
    assert answer.status == 503 and answer.headers["Retry-After"] == "120"


def test_reset_drops_the_connection(network: FixtureNetwork) -> None:
    network.set_switch(TRS, "reset", True)
    with pytest.raises((ConnectionError, urllib.error.URLError, http.client.RemoteDisconnected)):
        fetch(network.start_url(TRS))
    deadline = time.monotonic() + 5
    while network.requests_to(TRS)[-1]["failure"] != "reset" and time.monotonic() < deadline:
        time.sleep(0.01)
    assert network.requests_to(TRS)[-1]["failure"] == "reset"


def test_truncated_body_promises_more_than_it_sends(network: FixtureNetwork) -> None:
    network.set_switch(TRS, "truncate", True)
    host, port = network.portal(TRS).spec.host, network.port
    conn = http.client.HTTPConnection(host, port, timeout=10)
    conn.request("GET", "/zwgk/zfxxgknb/")
    response = conn.getresponse()
    declared = int(response.headers["Content-Length"])
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert len(caught.value.partial) < declared
    conn.close()


def test_delay_and_timeout(network: FixtureNetwork) -> None:
    network.set_switch(TRS, "delay", 1.5)
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        fetch(network.start_url(TRS), timeout=0.5)


def test_path_drift_redirects_home(network: FixtureNetwork) -> None:
    network.set_switch(TRS, "path_drift", "redirect_home")
    answer = fetch(network.start_url(TRS), follow=False)
    assert answer.status == 302 and answer.headers["Location"] == network.base_url(TRS) + "/"
    network.set_switch(TRS, "path_drift", "404")
    assert fetch(network.start_url(TRS)).status == 404


def test_soft_404(network: FixtureNetwork) -> None:
    item = network.portal(TRS).listed_items()[0]
    url = network.base_url(TRS) + item.path
    network.set_switch(TRS, "soft404", "error_text")
    answer = fetch(url)
    assert answer.status == 200 and "页面不存在" in answer.text()
    network.set_switch(TRS, "soft404", "empty")
    answer = fetch(url)
    assert answer.status == 200 and answer.body == b""


def test_layout_change_hides_the_items(network: FixtureNetwork) -> None:
    network.set_switch(TRS, "layout_change", True)
    text = fetch(network.start_url(TRS)).text()
    assert "createPageHTML" not in text and "/t20" not in text


@pytest.mark.parametrize(
    ("kind", "status", "check"),
    [
        ("allow", 200, "Disallow: /search/"),
        ("disallow_all", 200, "Disallow: /\n"),
        ("404", 404, "Not Found"),
        ("html", 200, "<html"),
        ("5xx", 503, "503"),
        ("challenge", 521, "document.cookie="),
    ],
)
def test_robots_txt(network: FixtureNetwork, kind: str, status: int, check: str) -> None:
    network.set_switch(TRS, "robots", kind)
    answer = fetch(network.base_url(TRS) + "/robots.txt")
    assert answer.status == status
    assert check in answer.text()


def test_add_and_drop_items(network: FixtureNetwork) -> None:
    portal = network.portal(TRS)
    before = [i.key for i in portal.listed_items()]
    network.set_switch(TRS, "add_report", 1)
    after = portal.listed_items()
    assert len(after) == len(before) + 1 and after[0].key not in before
    assert after[0].title in fetch(network.start_url(TRS)).text()
    network.set_switch(TRS, "add_report", 0)
    network.set_switch(TRS, "drop_items", 3)
    kept = portal.listed_items()
    assert [i.key for i in kept] == before[:-3]
    dropped = portal.visible_items()[-1]
    assert dropped not in kept
    assert fetch(network.base_url(TRS) + dropped.path).status == 200  # the page still resolves


def test_reserve_items_do_not_resolve_until_published(network: FixtureNetwork) -> None:
    portal = network.portal(TRS)
    reserve = next(i for i in portal.items if i.reserve)
    assert fetch(network.base_url(TRS) + reserve.path).status == 404
    network.set_switch(TRS, "add_report", 1)
    assert fetch(network.base_url(TRS) + reserve.path).status == 200


def test_edit_report_changes_the_page_in_place(network: FixtureNetwork) -> None:
    portal = network.portal(TRS)
    item = portal.editable()
    assert item is not None
    url = network.base_url(TRS) + item.path
    first = fetch(url)
    network.set_switch(TRS, "edit_report", 1)
    second = fetch(url, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status == 200 and second.body != first.body
    assert "更新1次" in second.text()


def test_replace_attachment_changes_bytes_at_the_same_url(network: FixtureNetwork) -> None:
    pytest.importorskip("crawler.fixture_portals.render_office")  # the formats engineer's renderer
    portal = network.portal("shaoyang_shi")
    found = portal.replaceable()
    assert found is not None
    item, attachment = found
    url = network.base_url("shaoyang_shi") + attachment.path
    first = fetch(url)
    assert first.status == 200 and first.body
    network.set_switch("shaoyang_shi", "replace_attachment", 1)
    second = fetch(url)
    assert second.status == 200 and second.body != first.body
    assert second.headers["ETag"] != first.headers["ETag"]


def test_jcms_total_changes_mid_crawl(network: FixtureNetwork) -> None:
    pid = "ningbo_shi_jiangbei_qu"
    portal = network.portal(pid)
    assert isinstance(portal, HanwebJcms)
    network.set_switch(pid, "total_change", True)
    total = len(portal.listed_items())
    form = "&".join(f"{k}={v}" for k, v in portal.params().items()).encode()
    url = (
        network.base_url(pid)
        + "/module/web/jpage/dataproxy.jsp?startrecord=10&endrecord=18&perpage=3"
    )
    first = fetch(url, data=form).text()
    second = fetch(url, data=form).text()
    assert f"<totalrecord>{total}</totalrecord>" in first
    assert f"<totalrecord>{total + 1}</totalrecord>" in second
    assert fetch(url).status == 405  # dataproxy wants a POST


def test_jcms_download_redirects_with_a_gbk_file_name(network: FixtureNetwork) -> None:
    pytest.importorskip("crawler.fixture_portals.render_office")  # the formats engineer's renderer
    pid = "ningbo_shi_jiangbei_qu"
    portal = network.portal(pid)
    item = next(i for i in portal.listed_items() if i.attachments and i.mode != "images")
    attachment = item.attachments[0]
    assert attachment.link.startswith("/module/download/downfile.jsp?classid=0&filename=")
    redirect = fetch(network.base_url(pid) + attachment.link, follow=False)
    assert redirect.status == 302 and redirect.headers["Location"] == attachment.path
    conn = http.client.HTTPConnection(portal.spec.host, network.port, timeout=60)
    conn.request("HEAD", attachment.path)
    raw = conn.getresponse().headers["Content-Disposition"]
    conn.close()
    assert raw.encode("latin-1").decode("gb18030").endswith(attachment.filename)


def test_chaos_fails_about_the_given_share_reproducibly(network: FixtureNetwork) -> None:
    pid = "guangdong_sheng"
    network.set_switch(pid, "chaos", 0.3)
    network.set_switch(pid, "chaos_timeout", 0.2)
    network.set_switch(pid, "chaos_seed", 7)
    url = network.base_url(pid) + "/gkmlpt/api/all/368?page=1&sid=2"
    start = len(network.requests_to(pid))
    for _ in range(40):
        with contextlib.suppress(OSError, http.client.HTTPException):
            fetch(url, timeout=5)
    deadline = time.monotonic() + 5
    while len(network.requests_to(pid)) < start + 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    failures = [e["failure"] for e in network.requests_to(pid)[start:]]
    assert len(failures) == 40
    failed = [f for f in failures if f]
    assert 4 <= len(failed) <= 22
    assert set(failed) <= {"5xx", "reset", "timeout", "truncate"}
    robots = fetch(network.base_url(pid) + "/robots.txt")
    assert robots.status == 200  # robots.txt is never chaos' victim


def test_control_api_over_http(network: FixtureNetwork) -> None:
    base = network.base_url(TRS)
    before = len(network.log)
    answer = fetch(base + "/__control__", data=json.dumps({"waf": "acw"}).encode())
    assert json.loads(answer.body)["switches"]["waf"] == "acw"
    assert network.portal(TRS).switches.waf == "acw"
    bad = fetch(base + "/__control__", data=json.dumps({"no_such": 1}).encode())
    assert bad.status == 400 and "unknown switch" in json.loads(bad.body)["error"]
    bad = fetch(base + "/__control__", data=json.dumps({"chaos": 2}).encode())
    assert bad.status == 400
    fetch(base + "/__control__/reset", data=b"")
    assert network.portal(TRS).switches.waf == ""
    # Control requests are not in the request log.
    assert not [e for e in network.log[before:] if e["path"].startswith("/__control__")]


def test_ground_truth_ignores_failure_switches(network: FixtureNetwork) -> None:
    portal = network.portal(TRS)
    item = next(i for i in portal.listed_items() if i.mode == "html")
    before = portal.documents_of(item)
    network.set_switch(TRS, "soft404", "error_text")
    network.set_switch(TRS, "waf", "rs412")
    assert portal.documents_of(item) == before
    assert fetch(network.base_url(TRS) + item.path).status == 412


def test_oversize_attachment(network: FixtureNetwork) -> None:
    pytest.importorskip("crawler.fixture_portals.render_office")
    portal = network.portal("shaoyang_shi")
    found = portal.replaceable()
    assert found is not None
    url = network.base_url("shaoyang_shi") + found[1].path
    normal = len(fetch(url).body)
    network.set_switch("shaoyang_shi", "oversize", 30)
    big = fetch(url, timeout=60)
    assert len(big.body) > normal + 30 * 1024 * 1024
    assert int(big.headers["Content-Length"]) == len(big.body)
