"""The ``xxgk build`` command: build and publish ``<data>/archive.db``."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Data directory (default: $XXGK_DATA_DIR or ~/.local/share/xxgk-archive).",
)
@click.option(
    "--from-dir",
    "from_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Also archive every file in this folder as a document (repeatable).",
)
@click.option("--jobs", type=int, default=None, help="Parser processes (default: CPUs, ≤ 4).")
@click.option("--no-ledger", is_flag=True, help="Ignore the crawler's ledger (crawl.db).")
def build(
    data_dir: Path | None, from_dirs: tuple[Path, ...], jobs: int | None, no_ledger: bool
) -> None:
    """Parse every archived document and publish the SQLite archive.

    Reads the crawler's ledger and raw store (and any --from-dir folders),
    parses only documents whose bytes or parser version are new, writes
    <data>/archive.db.new, checks it, writes <data>/inspect.json and swaps it
    into <data>/archive.db. A failed build leaves the published file as it was.

    Example:

        xxgk build --data-dir ./data --from-dir ./reports
    """
    from archive.build import BuildError, cpu_jobs
    from archive.build import build as run_build
    from archive.paths import data_dir as resolve_data_dir
    from archive.publish import PublishError

    directory = resolve_data_dir(data_dir)
    try:
        stats = run_build(
            directory,
            from_dirs=from_dirs,
            jobs=jobs or cpu_jobs(),
            use_ledger=not no_ledger,
            progress=lambda message: click.echo(message, err=True),
        )
    except (BuildError, PublishError) as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"archive: {stats.reports} reports from {stats.documents} documents "
        f"({stats.failed_documents} failed to parse, {stats.parsed_now} parsed this run), "
        f"{stats.bodies} bodies; write {stats.reports_per_second:.0f} reports/s"
    )
