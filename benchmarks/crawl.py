"""Crawl benchmark: pages per second against the fixture portal network, and memory.

Three measurements, each a real ``xxgk crawl`` subprocess into a fresh data dir
against the fixture network on loopback (its request log is the clock):

1. **politeness off** (engine ceiling): no delay, no AutoThrottle, 8 requests at a
   time per host; pages/s over the whole crawl.
2. **politeness on**: the shipped settings with the delay scaled down
   (``--delay``, default 0.25 s; jitter and AutoThrottle as shipped), one request
   at a time per host. Per host, the achieved rate between its first and last
   request divided by the limit 1/delay: the share of the politeness limit reached.
   Then the same crawl again (nothing changed): requests per archived body, and
   documents downloaded again.
3. **1,000 sources**: 1,000 source YAMLs in a temp dir, cycling over the network's
   portals (each with its own start URL, ``?bench=N``), politeness off; the
   crawl process's peak RSS and its duration.

Benchmarks measure; they never assert. Usage::

    .venv/bin/python benchmarks/crawl.py                 # all three, Markdown rows
    .venv/bin/python benchmarks/crawl.py --only off --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.fixture_portals.server import FixtureNetwork  # noqa: E402
from crawler.run import crawl_command  # noqa: E402

OFF = [
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=false",
    "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    "CONCURRENT_REQUESTS=64",
]


def run(data: Path, sources: Path, settings: list[str]) -> dict[str, Any]:
    """One crawl subprocess: its wall time, exit code and peak RSS (MiB)."""
    command = crawl_command("--data-dir", str(data), "--sources-dir", str(sources), "--quiet")
    for setting in settings:
        command += ["-s", setting]
    started = time.monotonic()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:  # a pipe could fill up
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        out.seek(0)
        stdout = out.read()
    return {
        "exit": os.waitstatus_to_exitcode(status),
        "wall_s": round(wall, 2),
        "max_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "summary": stdout.strip().splitlines()[-1] if stdout.strip() else "",
    }


def rate(log: list[dict[str, Any]]) -> tuple[int, float]:
    """Requests served and the span from the first request's start to the last one's end."""
    if not log:
        return 0, 0.0
    first = min(e["time_start"] for e in log)
    last = max(e["time_end"] for e in log)
    return len(log), last - first


def politeness_share(log: list[dict[str, Any]], delay: float) -> dict[str, float]:
    """Per host: achieved requests/s between its first and last request ÷ (1/delay)."""
    shares = {}
    hosts: dict[str, list[float]] = {}
    for entry in log:
        hosts.setdefault(entry["host"], []).append(entry["time_start"])
    for host, starts in hosts.items():
        starts.sort()
        if len(starts) > 2:
            achieved = (len(starts) - 1) / (starts[-1] - starts[0])
            shares[host] = achieved * delay
    return shares


def thousand_sources(net: FixtureNetwork, directory: Path, count: int) -> None:
    texts = net.sources()
    portals = sorted(texts)
    for n in range(count):
        pid = portals[n % len(portals)]
        start = net.start_url(pid)
        base, sep, fragment = start.partition("#")
        joined = f"{base}{'&' if '?' in base else '?'}bench={n}{sep}{fragment}"
        text = texts[pid].replace(f"start_url: {start}", f"start_url: {joined}")
        if joined not in text:  # the YAML may quote the URL
            text = "\n".join(
                f"start_url: '{joined}'" if line.startswith("start_url:") else line
                for line in text.splitlines()
            )
        (directory / f"bench_{n:04d}_{pid}.yml").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--delay", type=float, default=0.25)
    parser.add_argument("--sources", type=int, default=1000)
    parser.add_argument("--only", choices=["off", "on", "many"], action="append")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    wanted = set(args.only or ["off", "on", "many"])
    results: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, load avg {os.getloadavg()[0]:.1f}"
    }
    with tempfile.TemporaryDirectory() as tmp, FixtureNetwork(port=0) as net:
        work = Path(tmp)
        net.prerender()
        sources = work / "sources"
        net.write_sources(sources)
        if "off" in wanted:
            net.clear_log()
            outcome = run(work / "off", sources, OFF)
            served, span = rate(net.log)
            results["politeness_off"] = {
                **outcome,
                "requests": served,
                "span_s": round(span, 2),
                "pages_per_s": round(served / span, 1) if span else None,
            }
        if "on" in wanted:
            net.clear_log()
            delay = args.delay
            outcome = run(
                work / "on",
                sources,
                [f"DOWNLOAD_DELAY={delay}", f"AUTOTHROTTLE_START_DELAY={delay}"],
            )
            served, span = rate(net.log)
            shares = politeness_share(net.log, delay)
            results["politeness_on"] = {
                **outcome,
                "delay_s": delay,
                "requests": served,
                "span_s": round(span, 2),
                "pages_per_s": round(served / span, 1) if span else None,
                "limit_pages_per_s": round(len(shares) / delay, 1),
                "share_of_limit_mean": round(statistics.mean(shares.values()), 3),
                "share_of_limit_min": round(min(shares.values()), 3),
            }
            # The next night with nothing changed: requests per archived body.
            net.clear_log()
            again = run(
                work / "on",
                sources,
                [f"DOWNLOAD_DELAY={delay}", f"AUTOTHROTTLE_START_DELAY={delay}"],
            )
            with sqlite3.connect(work / "on" / "crawl.db") as db:
                bodies = db.execute("SELECT COUNT(DISTINCT sha256) FROM captures").fetchone()[0]
                documents = db.execute(
                    "SELECT COUNT(*) FROM captures WHERE run_id=(SELECT id FROM runs"
                    " ORDER BY started_at DESC LIMIT 1) AND status=200"
                    " AND kind IN ('report', 'attachment', 'other')"
                ).fetchone()[0]
            results["second_night"] = {
                **again,
                "requests": len(net.log),
                "bodies_archived": bodies,
                "requests_per_body": round(len(net.log) / bodies, 3),
                "documents_downloaded_again": documents,
            }
        if "many" in wanted:
            many = work / "many_sources"
            many.mkdir()
            thousand_sources(net, many, args.sources)
            net.clear_log()
            outcome = run(work / "many", many, OFF)
            served, span = rate(net.log)
            results["many_sources"] = {
                **outcome,
                "sources": args.sources,
                "requests": served,
                "span_s": round(span, 2),
            }
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return
    print(f"machine: {results['machine']}")
    for name, values in results.items():
        if name != "machine":
            print(f"{name}: " + ", ".join(f"{k}={v}" for k, v in values.items()))


if __name__ == "__main__":
    main()
