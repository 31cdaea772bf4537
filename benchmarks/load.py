"""Load test of the served site on loopback: rising concurrency until it breaks, then recovery.

Serves an archive with the real ``xxgk serve`` on 127.0.0.1 (a given data
directory, or one built here from synthetic reports), then runs steps of
rising concurrency (1, 2, 4, … clients), each for ``--step-seconds`` and at most
``--max-requests``, over a mix of endpoints: table pages (HTML), facets,
search, canned queries (HTML and JSON), table JSON and CSV. A step records
requests/s, p50/p95/max latency, the error rate and the server's RSS. The run
stops at the first step whose p95 is over ``--p95-ms`` or whose error rate is
over 1 % (one step past it is kept, to show the break), then waits and runs one
client again to show whether the server recovered without a restart.

Only loopback addresses are ever requested; the run is bounded in time and count.

    .venv/bin/python benchmarks/load.py                          # builds 300 reports
    .venv/bin/python benchmarks/load.py --data-dir DATA --json   # an archive you built
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS: list[tuple[str, str]] = [
    ("table", "/archive/reports"),
    ("table", "/archive/requests?year=2021"),
    ("facet", "/archive/reports?_facet=province&_facet=year"),
    ("facet", "/archive/reports?_facet=level&template=2021"),
    ("search", "/archive/reports?_search=人民政府"),
    ("search", "/archive/sections?_search=依申请公开"),
    ("canned", "/archive/province_totals"),
    ("canned", "/archive/yearly_trend.json"),
    ("json", "/archive/reports.json?_shape=array&_size=50"),
    ("json", "/archive/requests.json?_size=100"),
    ("csv", "/archive/reports.csv?_size=100"),
    ("csv", "/archive/province_totals.csv"),
]


def build_archive(data: Path, reports: int) -> None:
    """A data directory the way a crawl leaves one, built by the real ``xxgk build``."""
    from archive.build import build
    from archive.ledger import Capture, Ledger
    from archive.store import RawStore
    from crawler.fixture_portals.render_html import render_report_html
    from crawler.fixture_portals.reports import seed_reports, synthetic_reports

    store, ledger = RawStore(data), Ledger.open(data)
    ledger.start_run("load", spider="fixture", sources=["zhangshu_shi"])
    specs = seed_reports() + synthetic_reports(max(0, reports - 5), seed=3)
    for i, spec in enumerate(specs):
        body = render_report_html(spec, style=("trs", "hanweb", "gkmlpt")[i % 3])
        url = f"http://127.0.0.2/art/{spec.get('year') or 2020}/{i}/art_{i}.html"
        ledger.record_capture(
            Capture(
                run_id="load",
                url=url,
                source_id="zhangshu_shi",
                final_url=url,
                status=200,
                headers={"Content-Type": ["text/html; charset=utf-8"]},
                sha256=store.put(body),
                size=len(body),
                content_type="text/html; charset=utf-8",
                kind="report",
                title=spec.get("title"),
            )
        )
    ledger.finish_run("load", status="finished", exit_code=0, summary={})
    ledger.close()
    build(data, jobs=2)


def rss_mib(pid: int) -> float:
    """Resident memory of the server and its children (``xxgk serve`` may exec)."""
    total = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            total += int(line.split()[1])
    return round(total / 1024, 1)


async def step(
    base: str, clients: int, seconds: float, max_requests: int, seed: int
) -> dict[str, Any]:
    latencies: list[float] = []
    errors = 0
    by_kind: dict[str, int] = {}
    deadline = time.monotonic() + seconds
    sent = 0
    rng = random.Random(seed)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:

        async def one_client() -> None:
            nonlocal errors, sent
            while time.monotonic() < deadline and sent < max_requests:
                sent += 1
                kind, path = rng.choice(ENDPOINTS)
                started = time.perf_counter()
                try:
                    answer = await http.get(path)
                    ok = answer.status_code == 200
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - started)
                by_kind[kind] = by_kind.get(kind, 0) + 1
                if not ok:
                    errors += 1

        started = time.monotonic()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        elapsed = time.monotonic() - started
    latencies.sort()
    n = len(latencies)
    return {
        "clients": clients,
        "requests": n,
        "seconds": round(elapsed, 1),
        "requests_per_s": round(n / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(latencies[n // 2] * 1000, 1) if n else None,
        "p95_ms": round(latencies[min(n - 1, int(n * 0.95))] * 1000, 1) if n else None,
        "max_ms": round(latencies[-1] * 1000, 1) if n else None,
        "error_rate": round(errors / n, 4) if n else 0.0,
        "mix": by_kind,
    }


async def run(base: str, pid: int, args: argparse.Namespace) -> dict[str, Any]:
    steps = []
    broke_at = None
    clients = 1
    while clients <= args.max_clients:
        result = await step(base, clients, args.step_seconds, args.max_requests, seed=clients)
        result["server_rss_mib"] = rss_mib(pid)
        steps.append(result)
        print(json.dumps(result, ensure_ascii=False), file=sys.stderr, flush=True)
        over = (result["p95_ms"] or 0) > args.p95_ms or result["error_rate"] > 0.01
        if over and broke_at is None:
            broke_at = clients
        elif broke_at is not None:
            break  # one step past the break is enough
        clients *= 2
    await asyncio.sleep(args.cooldown)
    recovery = await step(base, 1, args.step_seconds, args.max_requests, seed=0)
    recovery["server_rss_mib"] = rss_mib(pid)
    within = [s for s in steps if (s["p95_ms"] or 0) <= args.p95_ms and s["error_rate"] <= 0.01]
    best = max(within, key=lambda s: s["requests_per_s"]) if within else None
    return {
        "steps": steps,
        "broke_at_clients": broke_at,
        "best_within_p95": best and {k: best[k] for k in ("clients", "requests_per_s", "p95_ms")},
        "recovery": recovery,
        "recovered": recovery["error_rate"] == 0
        and (recovery["p95_ms"] or 0) <= max(args.p95_ms, 2 * (steps[0]["p95_ms"] or 0)),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a built archive (default: build one)")
    parser.add_argument("--reports", type=int, default=300, help="reports when building one")
    parser.add_argument("--step-seconds", type=float, default=15.0)
    parser.add_argument("--max-requests", type=int, default=5000, help="per step")
    parser.add_argument("--max-clients", type=int, default=128)
    parser.add_argument("--p95-ms", type=float, default=500.0)
    parser.add_argument("--cooldown", type=float, default=5.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    scratch = None
    data = args.data_dir
    if data is None:
        scratch = tempfile.TemporaryDirectory(prefix="xxgk-load-")
        data = Path(scratch.name)
        started = time.monotonic()
        build_archive(data, args.reports)
        print(
            f"built {args.reports} reports in {time.monotonic() - started:.0f} s", file=sys.stderr
        )
    from archive.site import running_site

    try:
        # loopback only
        with running_site(("serve", "--data-dir", str(data))) as site:
            result = asyncio.run(run(site.url, site.process.pid, args))
            result["server_restarted"] = site.process.poll() is not None
            result["server_pid_alive"] = site.process.poll() is None
    finally:
        if scratch:
            scratch.cleanup()
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    else:
        print("clients  req/s   p50 ms   p95 ms   max ms  errors  RSS MiB")
        for s in [*result["steps"], result["recovery"]]:
            print(
                f"{s['clients']:>7} {s['requests_per_s']:>6} {s['p50_ms']:>8} {s['p95_ms']:>8}"
                f" {s['max_ms']:>8} {s['error_rate']:>7.2%} {s['server_rss_mib']:>8}"
            )
        print(f"broke at {result['broke_at_clients']} clients; recovered: {result['recovered']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
