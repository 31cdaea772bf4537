"""Running a crawl: in this process (``xxgk crawl``) or as a subprocess (tests, cron).

``run_crawl`` opens (or resumes) a run in the ledger, runs the generic spider
over the chosen sources in a ``CrawlerProcess`` with ``JOBDIR`` =
``<data>/jobs/<run_id>``, and returns the per-source results from the ledger.
Scrapy's log goes to ``<data>/logs/<run_id>.log``; the terminal gets progress
lines (``ProgressReporter``) and the summary.

Resuming: a run stopped cleanly (Ctrl-C) keeps its ``JOBDIR`` and picks up its
queue; a run that crashed (``kill -9``: still marked ``running``) has its
``JOBDIR`` discarded, because Scrapy writes the queue state only on a clean
stop. Either way nothing is lost or fetched twice: every fetch the run already
made is replayed from the archive (see ``crawler.middlewares.archive``), and the
walk is rebuilt from the sources and the ledger.

Twisted's reactor cannot be restarted, so one process runs one crawl:
``crawl_command()`` builds the command line for a subprocess.
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings

from archive.ledger import Ledger
from archive.paths import data_dir as resolve_data_dir
from crawler.registry import SourceError, adhoc_source, select_sources


class CrawlError(RuntimeError):
    """A crawl that cannot start (unknown source, nothing to resume, …)."""


@dataclass
class CrawlResult:
    run_id: str
    status: str
    exit_code: int
    data_dir: Path
    sources: list[dict[str, Any]] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def crawl_settings(
    data_dir: Path,
    run_id: str,
    *,
    sources_dir: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
) -> Settings:
    """The project's settings for one run, with the run's paths and any overrides."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.set("XXGK_DATA_DIR", str(data_dir), priority="cmdline")
    settings.set("XXGK_RUN_ID", run_id, priority="cmdline")
    if sources_dir:
        settings.set("XXGK_SOURCES_DIR", str(sources_dir), priority="cmdline")
    settings.set("JOBDIR", str(data_dir / "jobs" / run_id), priority="cmdline")
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    settings.set("LOG_FILE", str(data_dir / "logs" / f"{run_id}.log"), priority="cmdline")
    settings.set("XXGK_PROGRESS", progress, priority="cmdline")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def parse_overrides(pairs: list[str] | tuple[str, ...]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs (values parsed as JSON when they are JSON)."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise CrawlError(f"setting {pair!r} is not NAME=VALUE")
        try:
            overrides[name] = json.loads(value)
        except json.JSONDecodeError:
            overrides[name] = value
    return overrides


def run_crawl(
    source_ids: list[str] | tuple[str, ...] = (),
    *,
    url: str | None = None,
    family: str | None = None,
    data_dir: str | Path | None = None,
    sources_dir: str | Path | None = None,
    resume: str | None = None,
    overrides: dict[str, Any] | None = None,
    progress: bool = True,
) -> CrawlResult:
    """Run (or resume) one crawl in this process and return its results."""
    from crawler.spiders.base import new_run_id
    from crawler.spiders.generic import GenericSpider

    data = resolve_data_dir(data_dir)
    ledger = Ledger.open(data)
    try:
        if resume:
            row = ledger.last_run() if resume == "last" else ledger.run(resume)
            if row is None:
                raise CrawlError(f"no run to resume ({resume})")
            run_id = row["id"]
            if row["status"] == "finished":
                return read_result(data, run_id)  # complete: nothing to resume
            saved = json.loads(row["settings"] or "{}")
            ids = list(saved.get("source_ids", []))
            url, family = saved.get("url"), saved.get("family")
            sources_dir = sources_dir or saved.get("sources_dir")
            jobdir = data / "jobs" / run_id
            if row["status"] == "running" and jobdir.exists():
                # A crash: Scrapy's queue state on disk is not trustworthy; the
                # ledger rebuilds the walk and replays what was fetched.
                shutil.rmtree(jobdir)
        else:
            try:
                chosen = select_sources(source_ids, sources_dir) if (source_ids or not url) else []
            except SourceError as exc:
                raise CrawlError(str(exc)) from exc
            if not chosen and not url:
                raise CrawlError("no sources to crawl")
            ids = [s.id for s in chosen]
            run_id = new_run_id()
        all_ids = ids + ([adhoc_source(url, family).id] if url else [])
        ledger.start_run(
            run_id,
            spider=GenericSpider.name,
            sources=all_ids,
            settings={
                "source_ids": ids,
                "url": url,
                "family": family,
                "sources_dir": str(sources_dir) if sources_dir else None,
                "overrides": overrides or {},
            },
            jobdir=str(data / "jobs" / run_id),
        )
    finally:
        ledger.close()

    from scrapy.crawler import CrawlerProcess

    settings = crawl_settings(
        data, run_id, sources_dir=sources_dir, overrides=overrides, progress=progress
    )
    process = CrawlerProcess(settings)
    process.crawl(GenericSpider, source=",".join(ids) or None, url=url, url_family=family)
    process.start()
    return read_result(data, run_id)


def read_result(data: Path, run_id: str) -> CrawlResult:
    ledger = Ledger.open(data)
    try:
        row = ledger.run(run_id)
        assert row is not None
        if row["status"] == "running":  # the spider never closed (failed to start)
            ledger.finish_run(run_id, status="failed", exit_code=2, summary={})
            row = ledger.run(run_id)
            assert row is not None
        return CrawlResult(
            run_id=run_id,
            status=row["status"],
            exit_code=int(row["exit_code"] if row["exit_code"] is not None else 1),
            data_dir=data,
            sources=[dict(r) for r in ledger.run_sources(run_id)],
            summary=json.loads(row["summary"] or "{}"),
        )
    finally:
        ledger.close()


def summary_table(result: CrawlResult) -> str:
    """The per-source counts as a plain-text table."""
    columns = ("lists_fetched", "new", "changed", "unchanged", "gone", "blocked", "errors")
    heads = (
        "source",
        "status",
        "lists",
        "new",
        "changed",
        "unchanged",
        "gone",
        "blocked",
        "errors",
    )
    rows = [(s["source_id"], s["status"], *(str(s[c]) for c in columns)) for s in result.sources]
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(heads)
    ]
    lines = ["  ".join(h.ljust(w) for h, w in zip(heads, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
    for s in result.sources:
        if s.get("note"):
            lines.append(f"  {s['source_id']}: {s['note']}")
    totals = {c: sum(int(s[c]) for s in result.sources) for c in columns}
    lines.append(
        f"run {result.run_id}: {result.status}; "
        + ", ".join(f"{k}={v}" for k, v in totals.items())
        + f"; data in {result.data_dir}"
    )
    return "\n".join(lines)


def crawl_command(*args: str) -> list[str]:
    """The command line that runs ``xxgk crawl ARGS`` in a fresh Python process."""
    return [sys.executable, "-m", "archive.cli", "crawl", *args]


class ProgressReporter:
    """A Scrapy extension: a progress line on stderr every ``XXGK_PROGRESS_INTERVAL`` s."""

    def __init__(self, crawler: Any) -> None:
        if not crawler.settings.getbool("XXGK_PROGRESS"):
            raise NotConfigured
        self.crawler = crawler
        self.interval = crawler.settings.getfloat("XXGK_PROGRESS_INTERVAL", 10.0)
        self.started = time.monotonic()
        self.task: Any = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ProgressReporter:
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        from twisted.internet import task

        self.task = task.LoopingCall(self.report)
        self.task.start(self.interval, now=False)

    def report(self) -> None:
        spider: Any = self.crawler.spider
        stats = self.crawler.stats
        pending = (stats.get_value("scheduler/enqueued") or 0) - (
            stats.get_value("scheduler/dequeued") or 0
        )
        tally = spider.tally
        print(
            f"[{time.monotonic() - self.started:6.0f}s] fetched {tally['fetched']}"
            f" · new {tally['new']} · changed {tally['changed']}"
            f" · unchanged {tally['unchanged'] + tally['not_modified']}"
            f" · failed {tally['failed']} · blocked hosts {len(spider.blocked_hosts)}"
            f" · replayed {tally['replayed']} · queued {pending}",
            file=sys.stderr,
            flush=True,
        )

    def closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
