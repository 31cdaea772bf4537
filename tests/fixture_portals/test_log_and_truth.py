"""The request log, the ground truth, the sources files and the network's data."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from crawler.fixture_portals.network import SOURCES_DIR, build_portals, load_specs, source_yaml
from crawler.fixture_portals.server import FixtureNetwork
from tests.fixture_portals.fetching import fetch


def logged(network: FixtureNetwork, pid: str, count: int) -> list[dict[str, Any]]:
    """The portal's log entries once ``count`` are there (a request is logged after its answer)."""
    deadline = time.monotonic() + 5
    while len(network.requests_to(pid)) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return network.requests_to(pid)


def test_every_request_is_logged_with_its_details(network: FixtureNetwork) -> None:
    pid = "shaoyang_shi"
    network.clear_log()
    url = network.start_url(pid)
    page = fetch(url)
    fetch(url, headers={"If-None-Match": page.headers["ETag"]})
    entries = logged(network, pid, 2)
    assert [e["status"] for e in entries] == [200, 304]
    first, second = entries
    assert first["host"] == network.portal(pid).spec.host
    assert first["method"] == "GET" and first["path"] == "/xxgk/zfxxgknb/fg.shtml"
    assert first["bytes"] == len(page.body) and second["bytes"] == 0
    assert second["headers"]["If-None-Match"] == page.headers["ETag"]
    assert first["time_start"] <= first["time_end"] <= second["time_start"] <= second["time_end"]


def test_concurrent_requests_to_one_host_show_as_overlaps(network: FixtureNetwork) -> None:
    pid = "guangdong_sheng"
    network.set_switch(pid, "delay", 0.3)
    network.clear_log()
    url = network.base_url(pid) + "/robots.txt"
    threads = [threading.Thread(target=fetch, args=(url,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    a, b = logged(network, pid, 2)
    assert a["time_start"] < b["time_end"] and b["time_start"] < a["time_end"]


def test_log_file_gets_json_lines(tmp_path: Path) -> None:
    log = tmp_path / "requests.jsonl"
    with FixtureNetwork(port=0, log_path=log) as net:
        fetch(net.base_url("zhangshu_shi") + "/robots.txt")
    lines = log.read_text().splitlines()
    assert len(lines) == 1 and '"/robots.txt"' in lines[0]


def test_start_up_is_fast() -> None:
    started = time.monotonic()
    with FixtureNetwork(port=0) as net:
        assert fetch(net.start_url("zhangshu_shi")).status == 200
    assert time.monotonic() - started < 5  # generous: machines are shared


def test_scale_and_variety() -> None:
    portals = build_portals()
    items = [i for p in portals for i in p.items if not i.reserve]
    assert len(items) >= 150
    assert len({i.organization for i in items}) >= 50
    formats = {i.attachment_format for i in items}
    assert {"pdf", "docx", "doc", "wps", "xlsx", "scan_pdf", "png"} <= formats
    assert {"utf-8", "gbk"} == {p.spec.encoding for p in portals}
    assert any(p.spec.encoding == "gbk" and p.spec.header_charset == "utf-8" for p in portals)
    assert len({p.spec.host for p in portals}) == len(portals)
    # Deterministic: the same network every time.
    again = [i for p in build_portals() for i in p.items if not i.reserve]
    assert [(i.key, i.title, i.path) for i in items] == [(i.key, i.title, i.path) for i in again]


def test_sources_files_match_the_network() -> None:
    for portal in build_portals():
        path = SOURCES_DIR / f"{portal.id}.yml"
        assert path.read_text(encoding="utf-8") == source_yaml(portal), (
            f"{path} is stale: run `xxgk portals sources`"
        )
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert data["family"] == portal.spec.family
        assert data["start_url"].startswith(f"http://{portal.spec.host}:18080/")


def test_sources_files_pass_the_registry() -> None:
    registry = pytest.importorskip("crawler.registry")
    sources = registry.load_sources()
    for spec in load_specs():
        assert sources[spec.id].family == spec.family


@pytest.mark.slow
def test_ground_truth_matches_what_is_served(network: FixtureNetwork) -> None:
    """Render everything (slow the first time), then fetch every document and compare."""
    pytest.importorskip("crawler.fixture_portals.render_office")
    network.prerender()
    documents = network.expected_documents()
    reports = [d for d in documents if d["kind"] == "report"]
    assert len(reports) >= 150
    assert {d["format"] for d in documents} >= {
        "html",
        "pdf",
        "docx",
        "doc",
        "wps",
        "xlsx",
        "xls",
        "scan_pdf",
        "png",
    }
    assert len({d["url"] for d in documents}) == len(documents)
    for doc in documents:
        answer = fetch(doc["url"], timeout=120)
        assert answer.status == 200, doc["url"]
        assert answer.url == doc["final_url"]
        assert hashlib.sha256(answer.body).hexdigest() == doc["sha256"], doc["url"]
    # Switches change the truth: a new report, a replaced attachment.
    pid = "zhangshu_shi"
    network.set_switch(pid, "add_report", 1)
    network.set_switch(pid, "replace_attachment", 1)
    after = network.expected_documents([pid])
    before = {d["url"]: d["sha256"] for d in documents if d["portal"] == pid}
    changed = [d for d in after if before.get(d["url"]) != d["sha256"]]
    new = [d for d in changed if d["url"] not in before]
    replaced = [d for d in changed if d["url"] in before]
    assert [d["kind"] for d in new] == ["report"]  # one new report: one new document
    assert [d["kind"] for d in replaced] == ["attachment"]


def test_copies_for_scale_benchmarks(tmp_path: Path) -> None:
    with FixtureNetwork(port=0, copies=2) as net:
        assert len(net.portals) == 3 * len(load_specs())
        copy = net.portal("shaoyang_shi_2")
        assert copy.spec.host.startswith("127.1.")
        original = net.portal("shaoyang_shi")
        assert fetch(net.start_url("shaoyang_shi_2")).status == 200
        # Switches stay per portal even though copies share their items.
        net.set_switch("shaoyang_shi", "add_report", 1)
        assert len(original.listed_items()) == len(copy.listed_items()) + 1
        assert original.replaceable() is not None
        written = net.write_sources(tmp_path)
        assert len(written) == len(net.portals)
        assert f":{net.port}/" in (tmp_path / "shaoyang_shi_2.yml").read_text(encoding="utf-8")


def test_spam_mirror_is_linked_but_not_a_source(network: FixtureNetwork) -> None:
    portal = network.portal("zhangshu_shi")
    mirror = network.mirrors["lahohwa_mirror"]
    item = portal.listed_items()[0]
    page = fetch(portal.base_url() + item.path).text()
    copy_url = f"http://{mirror.spec.host}:{network.port}/llxxgk{item.path}"
    assert copy_url in page
    assert fetch(copy_url).status == 200
    assert "lahohwa_mirror" not in network.sources()
    assert logged(network, "lahohwa_mirror", 1)[-1]["path"] == f"/llxxgk{item.path}"


def test_raw_utf8_in_the_request_line_is_logged_as_text(network: FixtureNetwork) -> None:
    import socket

    pid = "ningbo_shi_jiangbei_qu"
    with socket.create_connection((network.portal(pid).spec.host, network.port), timeout=10) as s:
        s.sendall(
            "GET /col/col1229214366/index.html?webname=宁波 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode()
        )
        assert s.recv(64).startswith(b"HTTP/1.1 200")
    deadline = time.monotonic() + 5
    while not [e for e in network.requests_to(pid) if "webname" in e["query"]]:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert [e["query"] for e in network.requests_to(pid) if "webname" in e["query"]] == [
        "webname=宁波"
    ]
