"""A distributed run from start to finish: seed, run workers, wait, merge once.

1. ``start_run`` (the builder, once per night): a new run id in the ledger, a
   snapshot of ``crawl.db`` for the workers, and the run's config in Redis
   (sources, settings); the run becomes Redis's current run.
2. ``crawler.distributed.worker.run_worker`` on each node (N processes): the
   first to start seeds the frontier (every worker computes the same start
   requests; the shared dupefilter keeps one of each).
3. ``finish_run`` (the builder): waits until the frontier is drained and no
   worker is alive, merges the journal into ``crawl.db`` and closes the run the
   way a single-machine crawl does (per-source counts and statuses).

``local_cluster`` does all three on one machine with a private Redis: the
tests, the benchmark and ``xxgk crawl --workers N``.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from archive.ledger import Ledger
from archive.paths import data_dir as resolve_data_dir
from crawler.distributed import frontier
from crawler.distributed.journal import MergeResult, merge_journal
from crawler.distributed.keys import CURRENT_RUN, RunKeys
from crawler.distributed.worker import decode_config, redis_client, snapshot_path


class ClusterError(RuntimeError):
    """A distributed run that cannot start, join or finish."""


def run_config(server: Any, run_id: str | None) -> dict[str, Any]:
    """The run's config from Redis (the current run when ``run_id`` is None)."""
    if run_id is None:
        current = server.get(CURRENT_RUN)
        if current is None:
            raise ClusterError("no current run in Redis: start one (xxgk crawl-cluster start)")
        run_id = current.decode() if isinstance(current, bytes) else str(current)
    config = decode_config(server.hgetall(RunKeys(run_id).config))
    if not config:
        raise ClusterError(f"run {run_id} is not known to this Redis")
    config["run_id"] = run_id
    return config


def start_run(
    redis_url: str,
    source_ids: list[str] | tuple[str, ...] = (),
    *,
    data_dir: str | Path | None = None,
    sources_dir: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> str:
    """Open a new distributed run; its id."""
    from crawler.registry import SourceError, select_sources
    from crawler.spiders.base import new_run_id

    data = resolve_data_dir(data_dir)
    try:
        chosen = select_sources(list(source_ids), sources_dir)
    except SourceError as exc:
        raise ClusterError(str(exc)) from exc
    if not chosen:
        raise ClusterError("no sources to crawl")
    ids = [s.id for s in chosen]
    run_id = new_run_id()
    settings = {
        "source_ids": ids,
        "sources_dir": str(Path(sources_dir).resolve()) if sources_dir else None,
        "overrides": overrides or {},
    }
    ledger = Ledger.open(data)
    try:
        ledger.start_run(
            run_id, spider="cluster", sources=ids, settings={**settings, "distributed": True}
        )
    finally:
        ledger.close()
    snapshot = snapshot_path(data, run_id)
    snapshot.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(data / "crawl.db") as source, sqlite3.connect(snapshot) as target:
        source.backup(target)
    source.close()
    target.close()
    server = redis_client(redis_url)
    keys = RunKeys(run_id)
    server.hset(
        keys.config,
        mapping={name: json.dumps(value, ensure_ascii=False) for name, value in settings.items()},
    )
    server.set(CURRENT_RUN, run_id)
    return run_id


def alive_workers(server: Any, keys: RunKeys) -> list[str]:
    names = [w.decode() if isinstance(w, bytes) else w for w in server.smembers(keys.workers)]
    return sorted(w for w in names if server.exists(keys.alive(w)))


def status(redis_url: str, run_id: str | None = None) -> dict[str, Any]:
    """Where a run stands: queued, in flight per worker, alive workers, journal length."""
    server = redis_client(redis_url)
    config = run_config(server, run_id)
    keys = RunKeys(config["run_id"])
    workers = sorted(
        w.decode() if isinstance(w, bytes) else w for w in server.smembers(keys.workers)
    )
    return {
        "run_id": keys.run_id,
        "sources": len(config.get("source_ids", [])),
        "queued": int(server.zcard(keys.requests)),
        "seen": int(server.scard(keys.dupefilter)),
        "in_flight": {w: int(server.hlen(keys.inflight(w))) for w in workers},
        "alive": alive_workers(server, keys),
        "requeued": int(server.get(keys.requeued) or 0),
        "journal": int(server.llen(keys.journal)),
        "blocked_hosts": int(server.hlen(keys.blocked)),
        # in-flight entries a worker found without a request when idle (never expected)
        "orphans": int(server.hget(keys.config, "orphans") or 0),
    }


def wait_until_done(
    server: Any, keys: RunKeys, *, timeout: float | None, poll: float = 1.0
) -> bool:
    """Wait until no worker is alive; True when the frontier is drained too."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while alive_workers(server, keys):
        if deadline is not None and time.monotonic() > deadline:
            raise ClusterError(f"run {keys.run_id}: workers still running after {timeout} s")
        time.sleep(poll)
    frontier.requeue_dead(server, keys)
    return bool(frontier.drained(server, keys))


def finish_run(
    redis_url: str,
    run_id: str | None = None,
    *,
    data_dir: str | Path | None = None,
    wait: bool = True,
    timeout: float | None = None,
    force: bool = False,
) -> MergeResult:
    """Merge the run's journal into ``crawl.db`` and close the run (once, after the crawl).

    Refuses (``ClusterError``) while the frontier still holds requests and no worker
    is there to take them, unless ``force``: start workers again to resume instead.
    """
    from crawler.spiders.base import finish

    server = redis_client(redis_url)
    config = run_config(server, run_id)
    keys = RunKeys(config["run_id"])
    done = (
        wait_until_done(server, keys, timeout=timeout) if wait else frontier.drained(server, keys)
    )
    if not done and not force:
        raise ClusterError(
            f"run {keys.run_id} is not complete ({server.zcard(keys.requests)} requests queued):"
            " start workers to resume it, or merge with --force"
        )
    data = resolve_data_dir(data_dir)
    journal_bytes = int(server.memory_usage(keys.journal) or 0)
    ledger = Ledger.open(data)
    try:
        result = merge_journal(server, keys, ledger)
        result.tally["journal_entries"] = int(server.llen(keys.journal))
        result.tally["journal_bytes"] = journal_bytes
        stand_in = SimpleNamespace(
            ledger=ledger,
            run_id=keys.run_id,
            sources=config.get("source_ids", []),
            problems=result.problems,
            tally=result.tally,
            logger=SimpleNamespace(info=lambda *args: None),
        )
        result.tally["requeued_after_worker_loss"] = int(server.get(keys.requeued) or 0)
        result.tally["duplicate_fetches"] = result.duplicates
        finish(stand_in, "finished" if done else "shutdown")  # type: ignore[arg-type]
    finally:
        ledger.close()
    if done:
        server.hset(keys.config, "merged", "true")
        release_frontier(server, keys)
    return result


def release_frontier(server: Any, keys: RunKeys) -> None:
    """Free a merged run's bulky keys (journal, dupefilter, queue); its config and counts stay."""
    bulky = [keys.journal, keys.dupefilter, keys.requests, keys.inflight_ids]
    for pattern in (keys.inflight("*"), keys.alive("*"), keys.host_sequence("*")):
        bulky.extend(server.scan_iter(match=pattern, count=1000))
    if bulky:
        server.delete(*bulky)


def worker_command(redis_url: str, worker: str, data_dir: Path, *extra: str) -> list[str]:
    """The command line of one worker process."""
    return [
        sys.executable,
        "-m",
        "archive.cli",
        "crawl-cluster",
        "worker",
        "--redis",
        redis_url,
        "--name",
        worker,
        "--data-dir",
        str(data_dir),
        *extra,
    ]


def local_cluster(
    workers: int,
    source_ids: list[str] | tuple[str, ...] = (),
    *,
    data_dir: str | Path | None = None,
    sources_dir: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    redis_url: str | None = None,
    timeout: float | None = None,
) -> str:
    """Start a run, ``workers`` worker processes on this machine, wait, merge; the run id.

    Without ``redis_url`` a private redis-server runs for the duration.
    """
    from crawler.distributed.redis_server import RedisServer

    data = resolve_data_dir(data_dir)
    data.mkdir(parents=True, exist_ok=True)
    own = None if redis_url else RedisServer(data / "cluster" / "redis").start()
    url = redis_url or (own.url if own else "")
    try:
        run_id = start_run(
            url, source_ids, data_dir=data, sources_dir=sources_dir, overrides=overrides
        )
        processes = [
            subprocess.Popen(
                worker_command(url, f"w{i + 1}", data, "--run", run_id),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(workers)
        ]
        deadline = None if timeout is None else time.monotonic() + timeout
        for process in processes:
            left = None if deadline is None else max(1.0, deadline - time.monotonic())
            process.wait(timeout=left)
        finish_run(url, run_id, data_dir=data, timeout=timeout)
        return run_id
    finally:
        if own is not None:
            own.stop()
