"""The ``xxgk`` command line: one click group, each area adds its commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

REPO_ROOT = Path(__file__).resolve().parent.parent


@click.group()
@click.version_option(package_name="xxgk-archive")
def cli() -> None:
    """xxgk-archive: collect, parse, archive and publish 政府信息公开工作年度报告."""


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object per document.")
@click.option("--url", help="The URL the document was found at (context for metadata).")
@click.option("--page-title", help="The title of the page it was found on (context).")
@click.option("--organization", help="The publishing body, when the document omits it.")
def parse(
    paths: tuple[str, ...],
    as_json: bool,
    url: str | None,
    page_title: str | None,
    organization: str | None,
) -> None:
    """Parse annual reports (text, Markdown, HTML, ...) into the report record.

    Each document is parsed on its own: one that fails prints an error naming
    the file and the reason, the others are still parsed, and the exit code is
    1 if any failed.

    Example:

        xxgk parse report.html --json
    """
    from parsers import DocumentMeta, ParseError, parse_document

    failed = 0
    for path in paths:
        meta = DocumentMeta(
            name=Path(path).name, url=url, page_title=page_title, organization=organization
        )
        try:
            report = parse_document(Path(path).read_bytes(), meta)
        except ParseError as exc:
            failed += 1
            click.echo(f"error: {path}: {exc}", err=True)
            continue
        if as_json:
            click.echo(json.dumps(report.to_json(), ensure_ascii=False))
        else:
            click.echo(summary_line(path, report))
    if failed:
        sys.exit(1)


def summary_line(path: str, report: object) -> str:
    """One human line per parsed document."""
    from parsers import Report

    assert isinstance(report, Report)
    total = report.requests.get("new_received")
    received = total[-1].value if total else None
    failing = ",".join(report.checks_failing) or "none"
    return (
        f"{path}: {report.organization or '?'} {report.year or '?'} "
        f"template={report.template or '?'} sections={len(report.sections)}/6 "
        f"new_requests={received if received is not None else '-'} "
        f"failing_checks={failing} warnings={len(report.warnings)}"
    )


from archive.build_cli import build  # noqa: E402 - commands register after the group

cli.add_command(build)

from archive.site import demo, serve  # noqa: E402

cli.add_command(serve)
cli.add_command(demo)

from crawler.cli import crawl, sources  # noqa: E402

cli.add_command(crawl)
cli.add_command(sources)

from crawler.fixture_portals.cli import portals  # noqa: E402

cli.add_command(portals)

from crawler.distributed.cli import crawl_cluster  # noqa: E402

cli.add_command(crawl_cluster)

if __name__ == "__main__":  # pragma: no cover
    cli()
