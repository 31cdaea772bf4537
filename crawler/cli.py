"""The crawler's commands: ``xxgk crawl`` and ``xxgk sources list|check``."""

from __future__ import annotations

import sys

import click

from crawler.registry import FAMILIES, check_sources


@click.command()
@click.argument("sources", nargs=-1)
@click.option("--url", help="Crawl a 年报 column known only by its URL (family detected).")
@click.option("--family", type=click.Choice(FAMILIES), help="The family of --url, when known.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="The archive's data directory (default: $XXGK_DATA_DIR or ~/.local/share/xxgk-archive).",
)
@click.option(
    "--sources-dir",
    type=click.Path(exists=True, file_okay=False),
    help="Read sources from this directory instead of crawler/sources/.",
)
@click.option(
    "--resume",
    is_flag=False,
    flag_value="last",
    default=None,
    metavar="[RUN_ID]",
    help="Resume a stopped or crashed run (the last one when no RUN_ID is given).",
)
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="Override a Scrapy setting (e.g. -s DOWNLOAD_DELAY=0.1).",
)
@click.option("--quiet", is_flag=True, help="No progress lines, only the summary.")
@click.option(
    "--workers",
    type=int,
    default=1,
    show_default=True,
    help="Worker processes on one shared Redis frontier (crawler/distributed/; a private"
    " redis-server on loopback). See README, Several machines.",
)
def crawl(
    sources: tuple[str, ...],
    url: str | None,
    family: str | None,
    data_dir: str | None,
    sources_dir: str | None,
    resume: str | None,
    settings: tuple[str, ...],
    quiet: bool,
    workers: int,
) -> None:
    """Crawl SOURCE… (default: every source) and archive every report and attachment.

    Every fetched body goes into the raw store, every fetch into crawl.db.
    Exits 1 when a source failed or was blocked (the summary names why).

    Examples:

        xxgk crawl                          # every source, politely
        xxgk crawl zhangshu_shi --data-dir /srv/xxgk
        xxgk crawl --url http://www.example.gov.cn/zwgk/zfxxgknb/
        xxgk crawl --resume                 # after a crash or Ctrl-C
    """
    from crawler.run import CrawlError, parse_overrides, run_crawl, summary_table

    if resume and (sources or url):
        raise click.UsageError("--resume takes the run's own sources; name none")
    if workers > 1:
        if resume or url:
            raise click.UsageError("--workers takes sources only (resume: xxgk crawl-cluster)")
        from crawler.distributed.cli import run_local

        click.echo(run_local(sources, workers, data_dir, sources_dir, None, settings))
        return
    try:
        result = run_crawl(
            sources,
            url=url,
            family=family,
            data_dir=data_dir,
            sources_dir=sources_dir,
            resume=resume,
            overrides=parse_overrides(settings),
            progress=not quiet,
        )
    except CrawlError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(summary_table(result))
    sys.exit(result.exit_code)


@click.group()
def sources() -> None:
    """The portals the crawler knows (crawler/sources/*.yml)."""


@sources.command("list")
@click.option("--sources-dir", type=click.Path(exists=True, file_okay=False))
def list_sources(sources_dir: str | None) -> None:
    """One line per source: id, family, level, name, start URL."""
    good, errors = check_sources(sources_dir)
    for source in good:
        click.echo(
            f"{source.id}\t{source.family or '(detect)'}\t{source.level}\t{source.name}"
            f"\t{source.start_url}"
        )
    for error in errors:
        click.echo(f"error: {error}", err=True)
    if errors:
        sys.exit(1)


@sources.command("check")
@click.option("--sources-dir", type=click.Path(exists=True, file_okay=False))
def check(sources_dir: str | None) -> None:
    """Validate every source file; exit 1 naming each bad file and field."""
    good, errors = check_sources(sources_dir)
    for error in errors:
        click.echo(f"error: {error}", err=True)
    click.echo(f"{len(good)} sources valid, {len(errors)} invalid")
    if errors:
        sys.exit(1)
