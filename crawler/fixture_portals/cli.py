"""``xxgk portals``: run the fixture portal network, flip its switches, print its ground truth."""

from __future__ import annotations

import json
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import click

from crawler.fixture_portals.server import CONTROL, PORT_ENV


@click.group()
def portals() -> None:
    """The fixture portal network: government portals imitated on loopback."""


@portals.command()
@click.option(
    "--port",
    type=int,
    envvar=PORT_ENV,
    default=18080,
    show_default=True,
    help=f"Port every portal listens on (also ${PORT_ENV}).",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False),
    help="Append every request served as a JSON line to this file.",
)
@click.option(
    "--prerender/--no-prerender",
    default=True,
    show_default=True,
    help="Render all attachments in the background after start-up.",
)
def serve(port: int, log_path: str | None, prerender: bool) -> None:
    """Serve every portal (127.0.0.2, .3, … on one port) until interrupted.

    Example:

        xxgk portals serve --port 18080 --log /tmp/portals.jsonl
    """
    from crawler.fixture_portals.server import FixtureNetwork

    network = FixtureNetwork(port, log_path=log_path)
    network.start()
    for pid, portal in network.portals.items():
        click.echo(f"{portal.spec.family:13} {network.start_url(pid)}  {pid}")
    click.echo(f"serving {len(network.portals)} portals on port {network.port}; Ctrl-C stops")
    if prerender:
        threading.Thread(target=network.prerender, daemon=True, name="prerender").start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        network.stop()


@portals.command()
@click.argument("portal")
@click.argument("settings", nargs=-1, required=True)
@click.option("--port", type=int, envvar=PORT_ENV, default=18080, show_default=True)
def switch(portal: str, settings: tuple[str, ...], port: int) -> None:
    """Set switches of PORTAL on a running network: NAME=VALUE (JSON values).

    Example:

        xxgk portals switch zhangshu_shi waf='"jsl521"' chaos=0.1
    """
    from crawler.fixture_portals.network import load_specs

    hosts = {s.id: s.host for s in load_specs()}
    if portal not in hosts:
        raise click.ClickException(f"unknown portal {portal!r}; known: {', '.join(hosts)}")
    values: dict[str, Any] = {}
    for setting in settings:
        name, sep, raw = setting.partition("=")
        if not sep:
            raise click.ClickException(f"expected NAME=VALUE, got {setting!r}")
        try:
            values[name] = json.loads(raw)
        except json.JSONDecodeError:
            values[name] = raw  # a bare word: a string value
    request = urllib.request.Request(
        f"http://{hosts[portal]}:{port}{CONTROL}",
        data=json.dumps(values).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            click.echo(response.read().decode())
    except urllib.error.HTTPError as exc:
        raise click.ClickException(exc.read().decode()) from None
    except urllib.error.URLError as exc:
        raise click.ClickException(f"no network on port {port}: {exc.reason}") from None


@portals.command()
@click.option("--port", type=int, envvar=PORT_ENV, default=18080, show_default=True)
@click.option("--live", is_flag=True, help="Ask the running network (its switches count).")
@click.option("--summary", is_flag=True, help="Counts per portal instead of the JSON list.")
def expected(port: int, live: bool, summary: bool) -> None:
    """Print the ground truth: every document a complete crawl must archive (JSON).

    Without --live it is computed here for a network with all switches off
    (renders attachments that are not cached yet: slow the first time).

    Example:

        xxgk portals expected --summary
    """
    if live:
        from crawler.fixture_portals.network import load_specs

        documents: list[dict[str, Any]] = []
        for spec in load_specs():
            url = f"http://{spec.host}:{port}{CONTROL}/expected"
            try:
                with urllib.request.urlopen(url, timeout=600) as response:
                    documents.extend(json.loads(response.read()))
            except urllib.error.URLError as exc:
                raise click.ClickException(f"no network on port {port}: {exc}") from None
    else:
        from crawler.fixture_portals.server import FixtureNetwork

        network = FixtureNetwork(port)
        for portal in network.portals.values():
            portal.port = port
        documents = network.expected_documents()
    if summary:
        counts: dict[str, dict[str, int]] = {}
        for doc in documents:
            row = counts.setdefault(doc["portal"], {})
            row[doc["format"]] = row.get(doc["format"], 0) + 1
        for pid, row in counts.items():
            click.echo(
                f"{pid}: {sum(row.values())} documents ({', '.join(f'{k} {v}' for k, v in sorted(row.items()))})"
            )
        click.echo(f"total: {len(documents)} documents")
        return
    json.dump(documents, sys.stdout, ensure_ascii=False, indent=1)
    click.echo()


@portals.command()
@click.option("--port", type=int, default=18080, show_default=True)
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Where to write (default: crawler/sources).",
)
def sources(port: int, directory: str | None) -> None:
    """(Re)write the crawler/sources/<id>.yml of every fixture portal."""
    from crawler.fixture_portals.network import SOURCES_DIR, write_sources

    for path in write_sources(Path(directory) if directory else SOURCES_DIR, port):
        click.echo(path)
