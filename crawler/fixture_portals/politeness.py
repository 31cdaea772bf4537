"""Reading the fixture network's request log: was the crawler polite?

Functions over a list of log entries (``FixtureNetwork.log``, or the JSON lines
of ``log_path`` read back with ``read_log``), each answering one question a test
asserts from the server's side:

- ``overlaps``: pairs of requests to one host that were in flight at once;
- ``smallest_gaps``: per host, the shortest pause between one answer and the next request;
- ``robots_not_first``: hosts whose first request was not ``/robots.txt``;
- ``after_block``: requests a host received after it had answered with a WAF challenge;
- ``conditional_share``: per host, the share of GETs that sent ``If-None-Match``
  or ``If-Modified-Since``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

Entry = dict[str, Any]


def read_log(path: str | Path) -> list[Entry]:
    """The entries of a JSON-lines request log."""
    # split("\n"), not splitlines(): values may hold U+2028 or U+0085.
    lines = Path(path).read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line.strip()]


def by_host(log: Iterable[Entry]) -> dict[str, list[Entry]]:
    """Entries per host, in the order the requests started."""
    hosts: dict[str, list[Entry]] = defaultdict(list)
    for entry in sorted(log, key=lambda e: e["time_start"]):
        hosts[entry["host"]].append(entry)
    return dict(hosts)


def overlaps(log: Iterable[Entry]) -> list[tuple[Entry, Entry]]:
    """Pairs of requests to the same host that were served at the same time."""
    pairs = []
    for entries in by_host(log).values():
        busy_until: Entry | None = None
        for entry in entries:
            if busy_until is not None and entry["time_start"] < busy_until["time_end"]:
                pairs.append((busy_until, entry))
            if busy_until is None or entry["time_end"] > busy_until["time_end"]:
                busy_until = entry
    return pairs


def smallest_gaps(log: Iterable[Entry]) -> dict[str, float]:
    """Per host with ≥ 2 requests: the shortest time from an answer to the next request."""
    gaps = {}
    for host, entries in by_host(log).items():
        between = [
            b["time_start"] - a["time_end"] for a, b in zip(entries, entries[1:], strict=False)
        ]
        if between:
            gaps[host] = min(between)
    return gaps


def robots_not_first(log: Iterable[Entry]) -> list[str]:
    """Hosts whose first request was not for /robots.txt."""
    return [host for host, entries in by_host(log).items() if entries[0]["path"] != "/robots.txt"]


def after_block(log: Iterable[Entry]) -> list[Entry]:
    """Requests a host got after answering one with a WAF challenge."""
    late: list[Entry] = []
    for entries in by_host(log).values():
        blocked_at = next(
            (e["time_end"] for e in entries if str(e.get("failure") or "").startswith("waf:")),
            None,
        )
        if blocked_at is not None:
            late.extend(e for e in entries if e["time_start"] > blocked_at)
    return late


def conditional_share(log: Iterable[Entry]) -> dict[str, float]:
    """Per host: the share of GET requests that were conditional."""
    shares = {}
    for host, entries in by_host(log).items():
        gets = [e for e in entries if e["method"] == "GET" and e["path"] != "/robots.txt"]
        if gets:
            conditional = [
                e
                for e in gets
                if {k.lower() for k in e["headers"]} & {"if-none-match", "if-modified-since"}
            ]
            shares[host] = len(conditional) / len(gets)
    return shares
