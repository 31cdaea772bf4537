"""Benchmark: the distributed crawl with 1, 2 and 3 workers against the fixture network.

For each worker count: a fresh data directory, a private redis-server, one run
over every fixture portal (``crawler.distributed.cluster.local_cluster``), and
from the portals' own request log and the workers' CPU time:

- wall time, requests, requests/s;
- per request: the workers' CPU time (user + system of the worker processes),
  and the server's time to answer (``time_end - time_start``);
- per host: requests and the busiest host's share of the wall time (how much of
  the run is politeness-bound).

Then the estimate for the country (``--portals``, default 3,000) in one night
(``--night-hours``): politeness bounds each host to one request per
(delay + answer time); a worker keeps ``--concurrency`` hosts busy at once; CPU
bounds a worker to one request per measured CPU cost. Results go to stdout (and
``--json``); copy the table into benchmarks/README.md.

    .venv/bin/python benchmarks/distributed.py                 # delay 0.2 s, 1-3 workers
    .venv/bin/python benchmarks/distributed.py --delay 0 --workers 1 3
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any


def cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_run(net: Any, sources: Path, workers: int, delay: float) -> dict[str, Any]:
    from crawler.distributed.cluster import local_cluster
    from crawler.fixture_portals import politeness

    data = Path(tempfile.mkdtemp(prefix=f"xxgk-bench-{workers}w-"))
    net.reset_switches()
    net.clear_log()
    overrides = {
        "DOWNLOAD_DELAY": delay,
        "DOWNLOAD_DELAY_JITTER": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "DOWNLOAD_TIMEOUT": 10,
        "XXGK_CLUSTER_HEARTBEAT_TTL": 5.0,
        "XXGK_CLUSTER_LEASE_TTL": 5.0,
    }
    cpu_before = cpu_of_children()
    started = time.monotonic()
    run_id = local_cluster(
        workers, data_dir=data, sources_dir=sources, overrides=overrides, timeout=900
    )
    wall = time.monotonic() - started
    cpu = cpu_of_children() - cpu_before
    log = list(net.log)
    hosts = politeness.by_host(log)
    busiest = max(hosts.values(), key=len)
    busy_span = busiest[-1]["time_end"] - busiest[0]["time_start"]
    with sqlite3.connect(data / "crawl.db") as db:
        status = db.execute("SELECT status FROM runs WHERE id=?", (run_id,)).fetchone()[0]
        captures = db.execute("SELECT COUNT(*) FROM captures WHERE run_id=?", (run_id,)).fetchone()[
            0
        ]
    answer = sorted(e["time_end"] - e["time_start"] for e in log)
    return {
        "workers": workers,
        "delay": delay,
        "status": status,
        "wall_s": round(wall, 1),
        "requests": len(log),
        "captures": captures,
        "requests_per_s": round(len(log) / wall, 2),
        # first request to last answer: the crawl itself, without process start-up and merge
        "crawl_span_s": round(
            max(e["time_end"] for e in log) - min(e["time_start"] for e in log), 1
        ),
        "cpu_s": round(cpu, 1),
        "cpu_ms_per_request": round(1000 * cpu / max(1, len(log)), 1),
        "answer_ms_median": round(1000 * answer[len(answer) // 2], 1),
        "hosts": len(hosts),
        "busiest_host_requests": len(busiest),
        "busiest_host_share_of_wall": round(busy_span / wall, 2),
        "overlaps": len(politeness.overlaps(log)),
    }


def estimate(
    rows: list[dict[str, Any]],
    *,
    portals: int,
    requests_per_portal: float,
    delay: float,
    latency: float,
    concurrency: int,
    night_hours: float,
) -> dict[str, Any]:
    """Workers for the country in one night, from the measured CPU cost per request."""
    cpu = max(r["cpu_ms_per_request"] for r in rows) / 1000
    night = night_hours * 3600
    per_host = requests_per_portal * (delay + latency)
    requests = portals * requests_per_portal
    by_politeness = math.ceil(portals * per_host / (night * concurrency))
    by_cpu = math.ceil(requests * cpu / night)
    return {
        "portals": portals,
        "requests": round(requests),
        "seconds_per_portal": round(per_host),
        "cpu_s_per_request": cpu,
        "workers_by_politeness": by_politeness,
        "workers_by_cpu": by_cpu,
        "workers": max(1, by_politeness, by_cpu),
        "assumptions": {
            "requests_per_portal": requests_per_portal,
            "delay_s": delay,
            "latency_s": latency,
            "hosts_per_worker": concurrency,
            "night_hours": night_hours,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--portals", type=int, default=3000)
    parser.add_argument(
        "--requests-per-portal",
        type=float,
        default=None,
        help="default: measured on the fixture network (a first, full crawl)",
    )
    parser.add_argument(
        "--real-delay", type=float, default=3.0, help="the production DOWNLOAD_DELAY"
    )
    parser.add_argument(
        "--real-latency", type=float, default=1.0, help="a real portal's answer time, s"
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=16,
        help="hosts one worker keeps busy (CONCURRENT_REQUESTS)",
    )
    parser.add_argument("--night-hours", type=float, default=6.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()  # fmt: skip

    from crawler.fixture_portals.server import FixtureNetwork

    rows = []
    with FixtureNetwork(port=0) as net:
        net.prerender()
        sources = Path(tempfile.mkdtemp(prefix="xxgk-bench-sources-"))
        net.write_sources(sources)
        for workers in args.workers:
            row = one_run(net, sources, workers, args.delay)
            rows.append(row)
            print(json.dumps(row), flush=True)
        per_portal = args.requests_per_portal or rows[0]["requests"] / len(net.portals)
    guess = estimate(
        rows,
        portals=args.portals,
        requests_per_portal=per_portal,
        delay=args.real_delay,
        latency=args.real_latency,
        concurrency=args.concurrency,
        night_hours=args.night_hours,
    )
    if args.json:
        print(json.dumps({"runs": rows, "estimate": guess}, indent=2))
        return
    print(
        "| workers | delay s | wall s | crawl span s | requests | req/s | CPU ms/req"
        " | answer ms | busiest host share | overlaps |"
    )
    for r in rows:
        print(
            f"| {r['workers']} | {r['delay']} | {r['wall_s']} | {r['crawl_span_s']} | {r['requests']} |"
            f" {r['requests_per_s']} | {r['cpu_ms_per_request']} | {r['answer_ms_median']} |"
            f" {r['busiest_host_share_of_wall']} | {r['overlaps']} |"
        )
    print(json.dumps(guess, indent=2))


if __name__ == "__main__":
    main()
