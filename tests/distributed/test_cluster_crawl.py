"""Three workers and one Redis crawl the fixture portal network, as the operator runs it.

Real pieces only: a redis-server on loopback, the fixture portals on loopback,
three ``xxgk crawl-cluster worker`` processes, the merge into ``crawl.db``.
Assertions compare the archive with the network's ground truth and read the
portals' own request log. Delays are small (0.2 s, no jitter) to keep the
module within a couple of minutes. The complete crawl covers every portal;
the kill -9 run covers three of them (one TRS, one Hanweb, one gkmlpt) to stay
short.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.distributed.cluster import finish_run, start_run, status, worker_command
from crawler.fixture_portals import politeness

pytestmark = pytest.mark.slow

DELAY = 0.2
CLOCK_NOISE = 0.005  # Redis expires keys with millisecond precision
SETTINGS = {
    "DOWNLOAD_DELAY": DELAY,
    "DOWNLOAD_DELAY_JITTER": 0,
    "AUTOTHROTTLE_START_DELAY": DELAY,
    "DOWNLOAD_TIMEOUT": 4,
    "RETRY_TIMES": 2,
    "XXGK_CLUSTER_HEARTBEAT_TTL": 2.0,
    "XXGK_CLUSTER_LEASE_TTL": 2.0,
}
ROOT = Path(__file__).resolve().parents[2]
KILL_PORTALS = ["zhangshu_shi", "ningbo_shi_jiangbei_qu", "guangdong_sheng"]


def start_workers(url: str, data: Path, run_id: str, n: int = 3) -> list[subprocess.Popen[bytes]]:
    return [
        subprocess.Popen(
            worker_command(url, f"w{i + 1}", data, "--run", run_id),
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(n)
    ]


def wait_all(workers: list[subprocess.Popen[bytes]], timeout: float = 400) -> None:
    deadline = time.monotonic() + timeout
    for worker in workers:
        worker.wait(timeout=max(1.0, deadline - time.monotonic()))


def ledger(data: Path) -> sqlite3.Connection:
    db = sqlite3.connect(data / "crawl.db")
    db.row_factory = sqlite3.Row
    return db


def assert_archived_exactly_once(data: Path, run_id: str, expected: list[dict[str, Any]]) -> None:
    """Every expected document's bytes archived; one successful capture per request."""
    with ledger(data) as db:
        got = {r[0] for r in db.execute("SELECT sha256 FROM captures WHERE sha256 IS NOT NULL")}
        twice = db.execute(
            "SELECT fingerprint, url, COUNT(*) AS n FROM captures WHERE run_id=?"
            " AND kind<>'robots' AND change NOT IN ('failed', 'blocked')"
            " GROUP BY fingerprint HAVING n > 1",
            (run_id,),
        ).fetchall()
        new_per_url = Counter(
            r["url"]
            for r in db.execute(
                "SELECT url FROM captures WHERE run_id=? AND change='new'", (run_id,)
            )
        )
        run = db.execute("SELECT * FROM runs WHERE id=?", (run_id,)).fetchone()
        sources = db.execute("SELECT * FROM run_sources WHERE run_id=?", (run_id,)).fetchall()
    missing = [f"{e['portal']} {e['url']}" for e in expected if e["sha256"] not in got]
    assert not missing, f"{len(missing)} of {len(expected)} not archived: {missing[:10]}"
    for e in expected:
        assert (data / "raw" / e["sha256"][:2] / e["sha256"]).stat().st_size == e["size"]
    assert not twice, [dict(r) for r in twice]
    assert {e["url"] for e in expected} <= set(new_per_url)
    assert max(new_per_url.values()) == 1
    assert run["status"] == "finished" and run["exit_code"] == 0, dict(run)
    assert {s["status"] for s in sources} == {"ok"}, [dict(s) for s in sources]


def assert_polite(log: list[dict[str, Any]], hosts: int) -> None:
    """From the portals' log: never two requests at once to a host, the delay held."""
    assert len(politeness.by_host(log)) == hosts
    assert politeness.overlaps(log) == []
    gaps = politeness.smallest_gaps(log)
    assert len(gaps) == hosts
    for host, gap in gaps.items():
        assert gap >= DELAY - CLOCK_NOISE, f"{host}: {gap:.3f}s between two requests"
    assert politeness.robots_not_first(log) == []


@pytest.fixture(scope="module")
def three_workers(
    network: Any, redis_server: Any, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    data = tmp_path_factory.mktemp("data")
    network.reset_switches()
    expected = network.expected_documents()
    network.clear_log()
    run_id = start_run(
        redis_server.url, data_dir=data, sources_dir=network.sources_dir, overrides=SETTINGS
    )
    workers = start_workers(redis_server.url, data, run_id)
    wait_all(workers)
    frontier = status(redis_server.url, run_id)
    merged = finish_run(redis_server.url, run_id, data_dir=data, timeout=30)
    import redis as redis_py

    client = redis_py.Redis.from_url(redis_server.url)
    remaining = {k.decode() for k in client.scan_iter(match=f"xxgk:run:{run_id}:*")}
    return {
        "remaining_keys": remaining,
        "data": data,
        "run_id": run_id,
        "expected": expected,
        "log": list(network.log),
        "workers": workers,
        "status": frontier,
        "merged": merged,
        "portals": len(network.portals),
    }


def test_three_workers_archive_every_document_exactly_once(three_workers: dict[str, Any]) -> None:
    for worker in three_workers["workers"]:
        assert worker.returncode == 0, (
            worker.stderr.read().decode()[-3000:] if worker.stderr else ""
        )
    assert three_workers["status"]["queued"] == 0
    assert three_workers["status"]["orphans"] == 0  # every request acknowledged by its callback
    assert not any(three_workers["status"]["in_flight"].values())
    assert_archived_exactly_once(
        three_workers["data"], three_workers["run_id"], three_workers["expected"]
    )


def test_the_merge_frees_the_runs_frontier_in_redis(three_workers: dict[str, Any]) -> None:
    from crawler.distributed.keys import RunKeys

    keys = RunKeys(three_workers["run_id"])
    remaining = three_workers["remaining_keys"]
    assert keys.config in remaining  # what the run was, and that it is merged
    for gone in (keys.journal, keys.dupefilter, keys.requests):
        assert gone not in remaining
    assert not [k for k in remaining if ":host-seq:" in k or ":inflight:" in k]


def test_every_worker_did_part_of_the_work(three_workers: dict[str, Any]) -> None:
    with ledger(three_workers["data"]) as db:
        counts = db.execute(
            "SELECT worker, COUNT(*) FROM cluster_capture_ids WHERE run_id=? GROUP BY worker",
            (three_workers["run_id"],),
        ).fetchall()
    per_worker = dict(counts)
    assert set(per_worker) == {"w1", "w2", "w3"}, per_worker
    assert min(per_worker.values()) >= 3, per_worker


def test_politeness_held_across_workers_seen_from_the_servers_log(
    three_workers: dict[str, Any],
) -> None:
    assert_polite(three_workers["log"], hosts=three_workers["portals"])
    # The User-Agent is the crawler's, whichever worker sent it.
    assert all("xxgk-archive" in e["headers"].get("User-Agent", "") for e in three_workers["log"])


def test_a_worker_killed_mid_run_loses_nothing(
    network: Any, redis_server: Any, tmp_path: Path
) -> None:
    import redis as redis_py

    from crawler.distributed.keys import RunKeys

    network.reset_switches()
    expected = network.expected_documents(KILL_PORTALS)
    network.clear_log()
    run_id = start_run(
        redis_server.url,
        KILL_PORTALS,
        data_dir=tmp_path,
        sources_dir=network.sources_dir,
        overrides=SETTINGS,
    )
    keys = RunKeys(run_id)
    client = redis_py.Redis.from_url(redis_server.url)
    workers = start_workers(redis_server.url, tmp_path, run_id)
    names = [f"w{i + 1}" for i in range(len(workers))]
    deadline = time.monotonic() + 120
    # Kill the first worker seen with work done and requests in flight. Which one
    # that is depends on how the hosts fell to the workers on this run; waiting
    # for one named worker made the test depend on its share of the frontier.
    victim, in_flight_at_kill = None, 0
    while victim is None and time.monotonic() < deadline:
        journal = client.lrange(keys.journal, 0, -1)
        for name, worker in zip(names, workers, strict=True):
            fetched = sum(f'"worker": "{name}"'.encode() in e for e in journal)
            if fetched >= 15 and client.hlen(keys.inflight(name)) > 0:
                victim = name
                in_flight_at_kill = client.hlen(keys.inflight(name))
                os.kill(worker.pid, signal.SIGKILL)
                break
        if victim is None and all(w.poll() is not None for w in workers):
            pytest.fail("the run finished before any worker was seen with requests in flight")
        time.sleep(0.02)
    if victim is None:
        pytest.fail("no worker had requests in flight within 120 s")
    wait_all(workers)
    for name, worker in zip(names, workers, strict=True):
        assert worker.returncode == (-signal.SIGKILL if name == victim else 0), name
    frontier = status(redis_server.url, run_id)
    assert frontier["requeued"] >= in_flight_at_kill >= 1
    assert frontier["queued"] == 0 and not any(frontier["in_flight"].values())
    assert frontier["orphans"] == 0
    merged = finish_run(redis_server.url, run_id, data_dir=tmp_path, timeout=30)
    assert merged.applied > 0
    assert_archived_exactly_once(tmp_path, run_id, expected)
    log = list(network.log)
    assert politeness.overlaps(log) == []


def test_a_run_whose_workers_all_died_resumes_where_it_stopped(
    network: Any, redis_server: Any, tmp_path: Path
) -> None:
    import redis as redis_py

    from crawler.distributed.keys import RunKeys

    portals = KILL_PORTALS[:2]
    network.reset_switches()
    expected = network.expected_documents(portals)
    run_id = start_run(
        redis_server.url, portals, data_dir=tmp_path, sources_dir=network.sources_dir,
        overrides=SETTINGS,
    )  # fmt: skip
    keys = RunKeys(run_id)
    client = redis_py.Redis.from_url(redis_server.url)
    first = start_workers(redis_server.url, tmp_path, run_id, n=2)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # until a dozen bodies are fetched
        journal = client.lrange(keys.journal, 0, -1)
        if sum(b'"op": "capture"' in e and b'"status": 200' in e for e in journal) >= 12:
            break
        time.sleep(0.02)
    for worker in first:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
    fetched_before = set()
    for raw in client.lrange(keys.journal, 0, -1):
        entry = json.loads(raw)
        if entry["op"] == "capture" and entry["capture"]["status"] == 200:
            url = urlsplit(entry["capture"]["final_url"] or entry["capture"]["url"])
            fetched_before.add((url.path, url.query))
    assert len(fetched_before) >= 6  # robots.txt is fetched by both workers
    in_flight = set()  # what the dead workers held: the only requests that may go out twice
    for worker in ("w1", "w2"):
        for value in client.hvals(keys.inflight(worker)):
            url = urlsplit(pickle.loads(value.split(b"|", 1)[1])["url"])
            in_flight.add((url.path, url.query))
    left = status(redis_server.url, run_id)
    assert left["queued"] + sum(left["in_flight"].values()) > 0  # stopped mid-run
    with pytest.raises(Exception, match="not complete"):
        finish_run(redis_server.url, run_id, data_dir=tmp_path, timeout=30)
    network.clear_log()
    again = start_workers(redis_server.url, tmp_path, run_id, n=2)  # same names: w1, w2
    wait_all(again)
    assert [w.returncode for w in again] == [0, 0]
    finish_run(redis_server.url, run_id, data_dir=tmp_path, timeout=30)
    assert_archived_exactly_once(tmp_path, run_id, expected)
    # Only requests that were in flight at the kill may have been sent twice.
    repeated = fetched_before & {
        (e["path"], e["query"] or "") for e in network.log if e["path"] != "/robots.txt"
    }
    assert repeated <= in_flight, sorted(repeated - in_flight)
    assert status(redis_server.url, run_id)["requeued"] >= len(in_flight)


def test_a_host_challenged_at_one_worker_is_blocked_for_all(
    network: Any, redis_server: Any, tmp_path: Path
) -> None:
    network.reset_switches()
    network.set_switch("zhangshu_shi", "waf", "jsl521")
    network.set_switch("zhangshu_shi", "waf_after", 4)
    network.clear_log()
    try:
        run_id = start_run(
            redis_server.url, ["zhangshu_shi", "shaoyang_shi"], data_dir=tmp_path,
            sources_dir=network.sources_dir, overrides=SETTINGS,
        )  # fmt: skip
        wait_all(start_workers(redis_server.url, tmp_path, run_id))
        finish_run(redis_server.url, run_id, data_dir=tmp_path, timeout=30)
    finally:
        network.reset_switches()
    log = list(network.log)
    assert any(str(e.get("failure") or "").startswith("waf") for e in log)
    assert politeness.after_block(log) == []  # no worker sent anything after the challenge
    with ledger(tmp_path) as db:
        blocks = db.execute("SELECT host, status FROM blocks").fetchall()
        statuses = dict(db.execute("SELECT source_id, status FROM run_sources").fetchall())
    assert [tuple(b) for b in blocks] == [("127.0.0.2", 521)]
    assert statuses == {"zhangshu_shi": "blocked", "shaoyang_shi": "ok"}


def test_xxgk_crawl_workers_runs_the_cluster_on_one_machine(network: Any, tmp_path: Path) -> None:
    from crawler.run import crawl_command

    command = crawl_command(
        "zhangshu_shi",
        "--workers",
        "2",
        "--data-dir",
        str(tmp_path),
        "--sources-dir",
        str(network.sources_dir),
    )
    for name, value in SETTINGS.items():
        command += ["-s", f"{name}={value}"]
    network.reset_switches()
    expected = network.expected_documents(["zhangshu_shi"])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "zhangshu_shi" in done.stdout and "finished" in done.stdout
    with ledger(tmp_path) as db:
        run_id = db.execute("SELECT id FROM runs").fetchone()[0]
    assert_archived_exactly_once(tmp_path, run_id, expected)
