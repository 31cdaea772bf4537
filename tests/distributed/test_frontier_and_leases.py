"""The Redis pieces on their own, against a real redis-server: leases, in-flight, journal."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from scrapy.http import Request

from archive.ledger import Capture, Ledger
from crawler.distributed import frontier
from crawler.distributed.journal import JournalLedger, merge_journal
from crawler.distributed.keys import RunKeys, lease_key
from crawler.distributed.lease import HostLeases


def test_a_host_lease_is_exclusive_then_becomes_the_delay(redis: Any) -> None:
    first, second = HostLeases(redis, ttl=5.0), HostLeases(redis, ttl=5.0)
    token, wait = first.try_take("127.0.0.2")
    assert token is not None and wait == 0
    other, wait = second.try_take("127.0.0.2")
    assert other is None and 4.0 < wait <= 5.0  # held: wait for the lease's TTL
    assert second.try_take("127.0.0.3")[0] is not None  # another host is free
    first.release("127.0.0.2", token, delay=0.3)
    other, wait = second.try_take("127.0.0.2")
    assert other is None and 0 < wait <= 0.3  # the host's delay, whoever asks
    time.sleep(0.35)
    assert second.try_take("127.0.0.2")[0] is not None


def test_a_stale_release_does_not_free_someone_elses_lease(redis: Any) -> None:
    first, second = HostLeases(redis, ttl=0.1), HostLeases(redis, ttl=5.0)
    stale, _ = first.try_take("h")
    time.sleep(0.15)  # first's lease expired (its worker stalled)
    token, _ = second.try_take("h")
    assert stale is not None and token is not None
    first.release("h", stale, delay=0)
    first.renew_all()
    assert redis.get(lease_key("h")).decode() == token


def queue_for(redis: Any, keys: RunKeys, worker: str) -> frontier.InflightPriorityQueue:
    return frontier.InflightPriorityQueue(redis, SimpleNamespace(name="cluster"), keys, worker)


def test_requests_in_flight_at_a_dead_worker_go_back_to_the_queue(redis: Any) -> None:
    keys = RunKeys("r1")
    redis.sadd(keys.workers, "w1", "w2")
    redis.set(keys.alive("w1"), "1", px=60_000)  # w1 alive; w2 has no heartbeat
    q1, q2 = queue_for(redis, keys, "w1"), queue_for(redis, keys, "w2")
    for n, priority in ((1, 0), (2, 20), (3, 10)):
        q1.push(Request(f"http://127.0.0.2/{n}", priority=priority))
    popped = q2.pop()
    assert popped is not None and popped.url.endswith("/2")  # best priority first
    assert q1.pop() is not None and len(q1) == 1
    assert redis.hlen(keys.inflight("w2")) == 1 and redis.hlen(keys.inflight("w1")) == 1
    assert not frontier.drained(redis, keys)
    assert frontier.requeue_dead(redis, keys) == 1  # w2's request, not live w1's
    assert len(q1) == 2 and redis.hlen(keys.inflight("w2")) == 0
    back = q1.pop()
    assert back is not None and back.url.endswith("/2") and back.priority == 20


def test_within_a_priority_the_queue_takes_hosts_in_turn(redis: Any) -> None:
    keys = RunKeys("r2")
    queue = queue_for(redis, keys, "w1")
    for n in range(3):
        queue.push(Request(f"http://127.0.0.2/{n}", priority=10))
    for n in range(3):
        queue.push(Request(f"http://127.0.0.3/{n}", priority=10))
    queue.push(Request("http://127.0.0.3/list", priority=20))
    order = []
    while (request := queue.pop()) is not None:
        order.append(request.url.removeprefix("http://127.0.0."))
    assert order[0] == "3/list"  # priority first
    assert [u.split("/")[0] for u in order[1:]] == ["2", "3", "2", "3", "2", "3"]


def test_seen_and_queued_are_one_step(redis: Any) -> None:
    keys = RunKeys("r3")
    queue = queue_for(redis, keys, "w1")
    assert queue.push(Request("http://127.0.0.2/a"), "fp-a") is True
    assert queue.push(Request("http://127.0.0.2/a"), "fp-a") is False  # seen: not queued again
    assert len(queue) == 1 and redis.sismember(keys.dupefilter, "fp-a")


def test_a_new_run_never_inherits_the_last_runs_keys() -> None:
    yesterday, tonight = RunKeys("20261121T010000Z-aaaaaa"), RunKeys("20261122T010000Z-bbbbbb")
    for name in ("requests", "dupefilter", "journal", "blocked", "workers"):
        assert getattr(yesterday, name) != getattr(tonight, name)
        assert tonight.run_id in getattr(tonight, name)


def test_journal_replays_into_the_ledger_once_and_keeps_one_capture_per_request(
    redis: Any, tmp_path: Path
) -> None:
    keys = RunKeys("run-j")
    main = Ledger.open(tmp_path / "main")
    main.start_run("run-j", spider="cluster", sources=["s"])
    workers = [
        JournalLedger(tmp_path / f"{w}.db", server=redis, keys=keys, worker=w) for w in ("a", "b")
    ]
    for ledger in workers:  # both fetched the same request (a worker died after fetching)
        capture_id, change = ledger.record_capture(
            Capture(run_id="run-j", url="http://h/r.html", source_id="s", fingerprint="fp1",
                    status=200, sha256="0" * 64, size=3, kind="report")
        )  # fmt: skip
        assert change == "new"
        ledger.set_capture_details(
            capture_id, title="某某2024年报告", kind="report", url="http://h/r.html"
        )
    workers[0].discover("http://h/a.pdf", run_id="run-j", source_id="s", kind="attachment")
    first = merge_journal(redis, keys, main)
    # per worker: the URL discovered, its capture, its title; then one more URL
    assert (first.applied, first.captures, first.duplicates) == (7, 1, 1)
    again = merge_journal(redis, keys, main)
    assert again.applied == 0  # already merged: nothing twice
    rows = main.db.execute("SELECT change, title FROM captures").fetchall()
    assert [tuple(r) for r in rows] == [("new", "某某2024年报告")]
    assert main.url_state("http://h/a.pdf") is not None
    assert main.url_state("http://h/r.html")["versions"] == 1
