"""``xxgk crawl-cluster``: the nightly crawl on several workers sharing one Redis.

On several machines (see README, "Several machines"):

    xxgk crawl-cluster start  --redis redis://HOST:6379/0 --data-dir /srv/xxgk   # builder
    xxgk crawl-cluster worker --redis redis://HOST:6379/0 --data-dir /srv/xxgk   # each node
    xxgk crawl-cluster merge  --redis redis://HOST:6379/0 --data-dir /srv/xxgk   # builder
    xxgk build --data-dir /srv/xxgk                                              # builder

On one machine, with a private Redis: ``xxgk crawl-cluster local -n 3``.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

import click

REDIS_HELP = "The run's Redis (default: $XXGK_REDIS_URL or redis://127.0.0.1:6379/0)."
DATA_HELP = "The data directory shared by the workers (raw store; default: $XXGK_DATA_DIR)."


def default_redis() -> str:
    return os.environ.get("XXGK_REDIS_URL", "redis://127.0.0.1:6379/0")


def settings_option(function: Any) -> Any:
    return click.option(
        "-s",
        "--set",
        "settings",
        multiple=True,
        metavar="NAME=VALUE",
        help="Override a Scrapy setting for the run (e.g. -s DOWNLOAD_DELAY=0.5).",
    )(function)


@click.group("crawl-cluster")
def crawl_cluster() -> None:
    """The crawl on several workers: one Redis frontier, N workers, one merge."""


@crawl_cluster.command("start")
@click.argument("sources", nargs=-1)
@click.option("--redis", "redis_url", default=default_redis, help=REDIS_HELP)
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_HELP)
@click.option("--sources-dir", type=click.Path(exists=True, file_okay=False))
@settings_option
def start(
    sources: tuple[str, ...],
    redis_url: str,
    data_dir: str | None,
    sources_dir: str | None,
    settings: tuple[str, ...],
) -> None:
    """Open a new run over SOURCE… (default: every source); print its id."""
    from crawler.distributed.cluster import ClusterError, start_run
    from crawler.run import CrawlError, parse_overrides

    try:
        run_id = start_run(
            redis_url,
            sources,
            data_dir=data_dir,
            sources_dir=sources_dir,
            overrides=parse_overrides(settings),
        )
    except (ClusterError, CrawlError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(run_id)


@crawl_cluster.command("worker")
@click.option("--redis", "redis_url", default=default_redis, help=REDIS_HELP)
@click.option("--run", "run_id", help="The run to join (default: Redis's current run).")
@click.option("--name", help="This worker's name, unique in the run (default: host-pid).")
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_HELP)
@click.option(
    "--work-dir",
    type=click.Path(file_okay=False),
    help="Local directory for this worker's ledger copy and log"
    " (default: DATA/cluster/RUN/workers/NAME).",
)
@settings_option
@click.option("--progress", is_flag=True, help="Progress lines on stderr.")
def worker(
    redis_url: str,
    run_id: str | None,
    name: str | None,
    data_dir: str | None,
    work_dir: str | None,
    settings: tuple[str, ...],
    progress: bool,
) -> None:
    """Join a run and crawl until its frontier is drained.

    Restarting a worker with the same --name resumes it: what it had fetched is
    replayed from its ledger copy, what it had in flight goes back to the queue.
    """
    from archive.paths import data_dir as resolve_data_dir
    from crawler.distributed.cluster import ClusterError
    from crawler.distributed.worker import run_worker
    from crawler.run import parse_overrides

    try:
        done = run_worker(
            redis_url,
            worker=name or f"{socket.gethostname()}-{os.getpid()}",
            data_dir=resolve_data_dir(data_dir),
            run_id=run_id,
            local_dir=Path(work_dir) if work_dir else None,
            overrides=parse_overrides(settings),
            progress=progress,
        )
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"worker done with run {done}")


@crawl_cluster.command("merge")
@click.option("--redis", "redis_url", default=default_redis, help=REDIS_HELP)
@click.option("--run", "run_id", help="The run (default: Redis's current run).")
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_HELP)
@click.option("--no-wait", is_flag=True, help="Do not wait for the workers to finish.")
@click.option("--force", is_flag=True, help="Merge and close even if the frontier is not drained.")
def merge(
    redis_url: str, run_id: str | None, data_dir: str | None, no_wait: bool, force: bool
) -> None:
    """Wait for the workers, merge every capture into crawl.db, close the run."""
    from archive.paths import data_dir as resolve_data_dir
    from crawler.distributed.cluster import ClusterError, finish_run, run_config
    from crawler.distributed.worker import redis_client
    from crawler.run import read_result, summary_table

    try:
        run = run_config(redis_client(redis_url), run_id)["run_id"]
        merged = finish_run(redis_url, run, data_dir=data_dir, wait=not no_wait, force=force)
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc
    result = read_result(resolve_data_dir(data_dir), run)
    click.echo(summary_table(result))
    click.echo(
        f"merged {merged.applied} journal entries: {merged.captures} captures,"
        f" {merged.duplicates} duplicate fetches dropped"
    )
    sys.exit(result.exit_code)


@crawl_cluster.command("status")
@click.option("--redis", "redis_url", default=default_redis, help=REDIS_HELP)
@click.option("--run", "run_id", help="The run (default: Redis's current run).")
def status_command(redis_url: str, run_id: str | None) -> None:
    """The run's frontier as JSON: queued, in flight per worker, alive workers."""
    from crawler.distributed.cluster import ClusterError, status

    try:
        click.echo(json.dumps(status(redis_url, run_id), indent=2))
    except ClusterError as exc:
        raise click.ClickException(str(exc)) from exc


@crawl_cluster.command("local")
@click.argument("sources", nargs=-1)
@click.option("-n", "--workers", default=3, show_default=True, help="Worker processes.")
@click.option("--data-dir", type=click.Path(file_okay=False), help=DATA_HELP)
@click.option("--sources-dir", type=click.Path(exists=True, file_okay=False))
@click.option("--redis", "redis_url", help="Use this Redis (default: a private redis-server).")
@settings_option
def local(
    sources: tuple[str, ...],
    workers: int,
    data_dir: str | None,
    sources_dir: str | None,
    redis_url: str | None,
    settings: tuple[str, ...],
) -> None:
    """Start a run, N workers on this machine, wait, merge (a private Redis on loopback)."""
    click.echo(run_local(sources, workers, data_dir, sources_dir, redis_url, settings))


def run_local(
    sources: tuple[str, ...],
    workers: int,
    data_dir: str | None,
    sources_dir: str | None,
    redis_url: str | None,
    settings: tuple[str, ...],
) -> str:
    """``local`` and ``xxgk crawl --workers N``: the summary table; exits 1 on failure."""
    from archive.paths import data_dir as resolve_data_dir
    from crawler.distributed.cluster import ClusterError, local_cluster
    from crawler.distributed.redis_server import RedisServerError
    from crawler.run import CrawlError, parse_overrides, read_result, summary_table

    if workers < 1:
        raise click.UsageError("--workers must be at least 1")
    try:
        run_id = local_cluster(
            workers,
            sources,
            data_dir=data_dir,
            sources_dir=sources_dir,
            overrides=parse_overrides(settings),
            redis_url=redis_url,
        )
    except (ClusterError, CrawlError, RedisServerError) as exc:
        raise click.ClickException(str(exc)) from exc
    result = read_result(resolve_data_dir(data_dir), run_id)
    if result.exit_code:
        click.echo(summary_table(result))
        sys.exit(result.exit_code)
    return summary_table(result)
