"""A worker of a distributed run: the generic spider on the shared frontier.

``run_worker`` runs one Scrapy process that joins a run started by
``crawler.distributed.cluster.start_run``. It is the single-machine crawler
(same spiders, middlewares, settings) with these differences, all wired here:

- the scheduler and dupefilter are scrapy-redis's, on the run's keys, with
  in-flight tracking (``crawler.distributed.frontier``);
- ``HostLeaseMiddleware`` holds each host's politeness across workers;
- the ledger is the worker's own copy of ``crawl.db`` (from the run's
  snapshot), every write journaled to Redis; bodies go to the shared raw store;
- a host blocked by one worker (WAF challenge, robots.txt) is blocked for all;
- the worker stays up while other workers still have requests in flight
  (they may yield more), renews its heartbeat and leases, and puts back the
  in-flight requests of workers whose heartbeat lapsed. It closes when the
  frontier is drained; the run is finished by ``merge`` (once, after the crawl).
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.exceptions import DontCloseSpider
from scrapy.settings import Settings

from archive.store import RawStore
from crawler.distributed import frontier
from crawler.distributed.journal import JournalLedger
from crawler.distributed.keys import RunKeys
from crawler.spiders.generic import GenericSpider

logger = logging.getLogger(__name__)


def redis_client(url: str) -> Any:
    import redis

    return redis.Redis.from_url(url)


def work_dir(data_dir: Path, run_id: str, worker: str) -> Path:
    """Where a worker keeps its ledger copy and log (default: inside the data dir)."""
    return data_dir / "cluster" / run_id / "workers" / worker


def snapshot_path(data_dir: Path, run_id: str) -> Path:
    """The ledger snapshot taken when the run started (what every worker starts from)."""
    return data_dir / "cluster" / run_id / "base.db"


class SharedBlockedHosts(dict[str, str]):
    """The run's blocked hosts, in Redis: a host one worker found blocked is blocked for all."""

    def __init__(self, server: Any, keys: RunKeys) -> None:
        super().__init__()
        self.server = server
        self.run_keys = keys

    def get(self, host: str, default: Any = None) -> Any:
        if dict.__contains__(self, host):
            return dict.__getitem__(self, host)
        reason = self.server.hget(self.run_keys.blocked, host)
        if reason is None:
            return default
        text = reason.decode() if isinstance(reason, bytes) else str(reason)
        dict.__setitem__(self, host, text)
        return text

    def __contains__(self, host: object) -> bool:
        return isinstance(host, str) and self.get(host) is not None

    def __getitem__(self, host: str) -> str:
        reason = self.get(host)
        if reason is None:
            raise KeyError(host)
        return str(reason)

    def __setitem__(self, host: str, reason: str) -> None:
        dict.__setitem__(self, host, reason)
        self.server.hsetnx(self.run_keys.blocked, host, reason)

    def __len__(self) -> int:
        return int(self.server.hlen(self.run_keys.blocked))


class ClusterSpider(GenericSpider):
    """The generic spider as one worker of a distributed run."""

    name = "cluster"
    family = None  # type: ignore[assignment]  # not a family of its own: the generic spider stays registered

    def configure(self, settings: Any) -> None:
        self.server = redis_client(settings["REDIS_URL"])
        self.keys = RunKeys(settings["XXGK_RUN_ID"])
        self.worker = settings["XXGK_CLUSTER_WORKER"]
        self.blocked_hosts = SharedBlockedHosts(self.server, self.keys)
        super().configure(settings)  # the worker's own ledger copy (XXGK_DATA_DIR)
        local = self.ledger.path
        self.ledger.close()
        self.ledger = JournalLedger(local, server=self.server, keys=self.keys, worker=self.worker)
        self.store = RawStore(settings["XXGK_SHARED_DATA_DIR"])

    def problem(self, source_id: str | None, text: str) -> None:
        super().problem(source_id, text)
        if source_id:
            assert isinstance(self.ledger, JournalLedger)
            self.ledger.journal("problem", source_id=source_id, text=text)

    def on_closed(self, spider: Any, reason: str) -> None:
        """The run is finished by ``merge``, not by a worker: only this worker's tally."""
        assert isinstance(self.ledger, JournalLedger)
        self.ledger.journal("tally", tally=dict(self.tally), reason=reason)
        self.ledger.close()


class WorkerExtension:
    """Heartbeat, lease renewal, recovery of dead workers, and when to close."""

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.server = redis_client(settings["REDIS_URL"])
        self.keys = RunKeys(settings["XXGK_RUN_ID"])
        self.worker = settings["XXGK_CLUSTER_WORKER"]
        self.ttl = settings.getfloat("XXGK_CLUSTER_HEARTBEAT_TTL", 30.0)
        # Often enough to renew both the heartbeat and the host leases in time.
        self.interval = max(
            0.1, min(self.ttl, settings.getfloat("XXGK_CLUSTER_LEASE_TTL", 15.0)) / 4
        )
        self.task: Any = None
        crawler.signals.connect(self.opened, signal=signals.spider_opened)
        crawler.signals.connect(self.idle, signal=signals.spider_idle)
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> WorkerExtension:
        return cls(crawler)

    def opened(self, spider: Any) -> None:
        self.server.sadd(self.keys.workers, self.worker)
        self.beat()
        frontier.ack_when_done(self.crawler)
        # Left in flight by this worker's previous process (killed): back to the queue.
        back = frontier.requeue(self.server, self.keys, self.worker, only_if_dead=False)
        if back:
            logger.warning(
                "%d requests left in flight by a previous %s requeued", back, self.worker
            )
        from twisted.internet import task

        self.task = task.LoopingCall(self.tick)
        self.task.start(self.interval, now=False)

    def beat(self) -> None:
        self.server.set(self.keys.alive(self.worker), "1", px=int(self.ttl * 1000))

    def tick(self) -> None:
        self.beat()
        leases = getattr(self.crawler, "xxgk_host_leases", None)
        if leases is not None:
            leases.renew_all()
        frontier.requeue_dead(self.server, self.keys, but=self.worker)
        slot = getattr(self.crawler.engine, "_slot", None)
        if slot is not None:
            # Pull new requests (or find the run done) now, not at the engine's 5 s heartbeat.
            slot.nextcall.schedule()

    def idle(self, spider: Any) -> None:
        frontier.requeue_dead(self.server, self.keys, but=self.worker)
        orphans = self.server.hkeys(self.keys.inflight(self.worker))
        if orphans:
            # Nothing of ours is running: these were handled but never acknowledged.
            logger.warning("%d in-flight entries without a request; dropped", len(orphans))
            self.server.hdel(self.keys.inflight(self.worker), *orphans)
            self.server.hincrby(self.keys.config, "orphans", len(orphans))
        if self.server.zcard(self.keys.requests) or frontier.inflight_elsewhere(
            self.server, self.keys, self.worker
        ):
            raise DontCloseSpider("other workers may still add requests")

    def closed(self, spider: Any, reason: str) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if reason != "finished":  # stopped early: give our requests to the others
            frontier.requeue(self.server, self.keys, self.worker, only_if_dead=False)
        self.server.delete(self.keys.alive(self.worker))


def worker_settings(
    *,
    redis_url: str,
    run_id: str,
    worker: str,
    data_dir: Path,
    local_dir: Path,
    sources_dir: str | None,
    overrides: dict[str, Any],
    progress: bool,
) -> Settings:
    """The single-machine crawl's settings, wired to the shared frontier."""
    from crawler.run import crawl_settings

    settings = crawl_settings(
        local_dir, run_id, sources_dir=sources_dir, overrides=overrides, progress=progress
    )
    cluster = {
        "JOBDIR": None,  # the frontier is in Redis
        "REDIS_URL": redis_url,
        "SCHEDULER": "crawler.distributed.frontier.ClusterScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "XXGK_CLUSTER_WORKER": worker,
        "XXGK_SHARED_DATA_DIR": str(data_dir),
    }
    for name, value in cluster.items():
        settings.set(name, value, priority="cmdline")
    downloader = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    downloader["crawler.distributed.lease.HostLeaseMiddleware"] = 950
    settings.set("DOWNLOADER_MIDDLEWARES", downloader, priority="cmdline")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.distributed.worker.WorkerExtension"] = 100
    settings.set("EXTENSIONS", extensions, priority="cmdline")
    return settings


def run_worker(
    redis_url: str,
    *,
    worker: str,
    data_dir: Path,
    run_id: str | None = None,
    local_dir: Path | None = None,
    overrides: dict[str, Any] | None = None,
    progress: bool = False,
) -> str:
    """Run one worker until the run's frontier is drained; the run id."""
    from crawler.distributed.cluster import ClusterError, run_config

    server = redis_client(redis_url)
    config = run_config(server, run_id)
    run_id = config["run_id"]
    local = local_dir or work_dir(data_dir, run_id, worker)
    local.mkdir(parents=True, exist_ok=True)
    ledger = local / "crawl.db"
    if not ledger.exists():
        snapshot = snapshot_path(data_dir, run_id)
        if not snapshot.exists():
            raise ClusterError(f"no ledger snapshot for run {run_id} at {snapshot}")
        shutil.copyfile(snapshot, ledger)
    settings = worker_settings(
        redis_url=redis_url,
        run_id=run_id,
        worker=worker,
        data_dir=data_dir,
        local_dir=local,
        sources_dir=config.get("sources_dir"),
        overrides={**config.get("overrides", {}), **(overrides or {})},
        progress=progress,
    )
    from scrapy.crawler import CrawlerProcess

    process = CrawlerProcess(settings)
    process.crawl(ClusterSpider, source=",".join(config["source_ids"]) or None)
    process.start()
    return run_id


def decode_config(raw: dict[Any, Any]) -> dict[str, Any]:
    """The run's config hash as Python values."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.decode() if isinstance(key, bytes) else key
        text = value.decode() if isinstance(value, bytes) else value
        try:
            out[name] = json.loads(text)
        except json.JSONDecodeError:
            out[name] = text
    return out
