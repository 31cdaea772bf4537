"""The request-log readers see impolite behaviour when there is some, and none otherwise."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from crawler.fixture_portals import politeness
from crawler.fixture_portals.server import FixtureNetwork
from tests.fixture_portals.fetching import fetch


def settle(network: FixtureNetwork, count: int) -> list[dict[str, object]]:
    deadline = time.monotonic() + 5
    while len(network.log) < count and time.monotonic() < deadline:
        time.sleep(0.01)
    return list(network.log)


def test_a_polite_walk_passes_every_check(tmp_path: Path) -> None:
    log_path = tmp_path / "log.jsonl"
    with FixtureNetwork(port=0, log_path=log_path) as net:
        base = net.base_url("zhangshu_shi")
        fetch(base + "/robots.txt")
        time.sleep(0.2)
        first = fetch(net.start_url("zhangshu_shi"))
        time.sleep(0.2)
        fetch(net.start_url("zhangshu_shi"), headers={"If-None-Match": first.headers["ETag"]})
        log = settle(net, 3)
    assert politeness.read_log(log_path) == log
    assert politeness.overlaps(log) == []
    assert politeness.smallest_gaps(log)["127.0.0.2"] >= 0.15
    assert politeness.robots_not_first(log) == []
    assert politeness.after_block(log) == []
    assert politeness.conditional_share(log) == {"127.0.0.2": 0.5}


def test_impolite_behaviour_is_seen(network: FixtureNetwork) -> None:
    network.clear_log()
    pid = "shaoyang_shi"
    network.set_switch(pid, "delay", 0.3)
    url = network.start_url(pid)
    threads = [threading.Thread(target=fetch, args=(url,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    network.set_switch(pid, "delay", 0)
    network.set_switch(pid, "waf", "rs412")
    fetch(url)
    fetch(url)
    log = settle(network, 4)
    assert len(politeness.overlaps(log)) == 1
    assert politeness.robots_not_first(log) == ["127.0.0.3"]
    assert len(politeness.after_block(log)) == 1
    assert politeness.conditional_share(log) == {"127.0.0.3": 0.0}
