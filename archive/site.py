"""The published site: Datasette over ``<data>/archive.db`` with the ``datasette/`` config.

One function builds the Datasette instance (``make_datasette``) so that the CLI,
the tests and the demo serve exactly the same site: the database opened
immutable with an inspect file (counts and hash computed once per build),
``datasette/metadata.yaml``, ``settings.json``, templates, plugins and static
files, and CORS on for API users.

Commands registered on the ``xxgk`` group:

- ``xxgk serve [--data-dir] [--host] [--port]``: serve the published archive;
  restarts itself when ``xxgk build`` publishes a new one (an open immutable
  file would keep showing the old data).
- ``xxgk demo [--data-dir] [--port] [--portal ID]``: the main job end to end on
  the fixture portal network: start it, crawl it, build the archive, serve it on
  127.0.0.1 (the portals stay up, so links to the originals work).
"""

from __future__ import annotations

import gc
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import yaml

from archive.paths import data_dir as resolve_data_dir

REPO_ROOT = Path(__file__).resolve().parent.parent
SITE_DIR = REPO_ROOT / "datasette"
DATABASE_FILE = "archive.db"
DEFAULT_PORT = 8001


class SiteError(click.ClickException):
    """The site cannot be served (no archive built yet, broken config, ...)."""


def site_dir() -> Path:
    """The ``datasette/`` configuration directory (metadata, settings, templates, plugins)."""
    if not (SITE_DIR / "metadata.yaml").exists():
        raise SiteError(f"site configuration not found in {SITE_DIR} (run from a checkout)")
    return SITE_DIR


def load_metadata() -> dict[str, Any]:
    """``datasette/metadata.yaml`` as a dict."""
    path = site_dir() / "metadata.yaml"
    try:
        metadata = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise SiteError(f"{path} is not valid YAML: {exc}") from exc
    if not isinstance(metadata, dict):
        raise SiteError("datasette/metadata.yaml is not a mapping")
    return metadata


def load_settings() -> dict[str, Any]:
    """``datasette/settings.json``: time limits, row limits, facet suggestions off, ..."""
    path = site_dir() / "settings.json"
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise SiteError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(settings, dict):
        raise SiteError("datasette/settings.json is not an object")
    return settings


def schema_descriptions(db: Path) -> dict[str, dict[str, Any]]:
    """Per table and view: a Chinese · English description and one per column.

    Tables describe themselves in ``archive/schema.py``; a view's columns take
    the description of the table column of the same name (or the template's
    labels for the long forms of 表三 and 表四), read from the built database.
    """
    from archive import schema

    known: dict[str, str] = {}
    out: dict[str, dict[str, Any]] = {}
    for table in schema.TABLES:
        columns = {c.name: f"{c.zh} · {c.en}" for c in table.columns}
        for name, text in columns.items():
            known.setdefault(name, text)
        out[table.name] = {"description": f"{table.zh} · {table.en}", "columns": columns}
    long_forms = {
        "requests_long": {
            "row_key": "表三的行 · Table 3 row key",
            **{
                c: f"表三 · {label} · applicant column {c}"
                for c, label in schema.COLUMN_LABELS.items()
            },
        },
        "review_litigation_long": {
            "group_key": "表四的类别 · Table 4 group (review, suit_direct, suit_after_review)",
            **{o: f"表四 · {label} · outcome {o}" for o, label in schema.OUTCOME_LABELS.items()},
        },
    }
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as conn:
        for view in schema.VIEWS:
            names = [c.name for c in view.columns] or [
                row[1] for row in conn.execute(f"PRAGMA table_info([{view.name}])")
            ]
            declared = {c.name: f"{c.zh} · {c.en}" for c in view.columns}
            own = long_forms.get(view.name, {})
            out[view.name] = {
                "description": f"{view.zh} · {view.en}",
                "columns": {n: declared.get(n) or own.get(n) or known.get(n, n) for n in names},
            }
    for fts in schema.FTS:
        out[fts.name] = {"description": f"{fts.zh} · {fts.en}"}
    return out


def site_metadata(db: Path) -> dict[str, Any]:
    """``metadata.yaml`` with the schema's descriptions filled in (the YAML wins)."""
    from archive.publish import DATABASE_NAME

    metadata = load_metadata()
    databases = metadata.setdefault("databases", {})
    tables = databases.setdefault(DATABASE_NAME, {}).setdefault("tables", {})
    for name, generated in schema_descriptions(db).items():
        entry = tables.setdefault(name, {})
        entry.setdefault("description", generated["description"])
        if "columns" in generated:
            entry["columns"] = {**generated["columns"], **(entry.get("columns") or {})}
    return metadata


def database_path(data: Path) -> Path:
    """``<data>/archive.db``, which must exist (``xxgk build`` writes it)."""
    db = data / DATABASE_FILE
    if not db.is_file():
        raise SiteError(f"no archive database at {db}: run `xxgk build --data-dir {data}` first")
    return db


def inspect_data(db: Path) -> dict[str, Any]:
    """Datasette's inspect data for ``db`` (hash, size, table counts).

    ``xxgk build`` writes it beside the database when it publishes
    (``archive/publish.py``), so an immutable server never counts rows per
    request. It is used only if it describes this very file (path and size);
    otherwise it is computed here, in memory (never written: a concurrent build
    may be publishing its own).
    """
    from datasette.cli import inspect_, run_sync

    from archive.publish import DATABASE_NAME, INSPECT_NAME

    cached_path = db.with_name(INSPECT_NAME)
    if cached_path.exists():
        try:
            cached = json.loads(cached_path.read_text(encoding="utf-8"))
        except ValueError:
            cached = {}
        entry = cached.get(DATABASE_NAME) if isinstance(cached, dict) else None
        if (
            isinstance(entry, dict)
            and Path(str(entry.get("file"))).resolve() == db.resolve()
            and entry.get("size") == db.stat().st_size
        ):
            return {DATABASE_NAME: entry}
    computed: dict[str, Any] = run_sync(lambda: inspect_([str(db)], []))
    return computed


def make_datasette(db: Path) -> Any:
    """The site's Datasette instance for ``db``, configured from ``datasette/``."""
    from datasette.app import Datasette

    config = site_dir()
    return Datasette(
        immutables=[str(db)],
        inspect_data=inspect_data(db),
        metadata=site_metadata(db),
        settings=load_settings(),
        template_dir=str(config / "templates"),
        plugins_dir=str(config / "plugins"),
        static_mounts=[("static", str(config / "static"))],
        cors=True,
    )


def watch_for_publish(db: Path, interval: float = 2.0) -> None:
    """Restart this process, same command line, once a build publishes a new ``db``.

    ``xxgk build`` renames a new file into place; an open immutable database
    keeps serving the old inode, so the site would never see the new data.
    Polls the inode in a daemon thread; ``os.execv`` then replaces the process
    (the listening socket closes on exec and the new process binds it again).
    """
    served = db.stat().st_ino

    def watch() -> None:
        while True:
            time.sleep(interval)
            try:
                current = db.stat().st_ino
            except FileNotFoundError:
                continue
            if current != served:
                click.echo("a new archive was published: restarting", err=True)
                sys.stdout.flush()
                sys.stderr.flush()
                os.execv(sys.executable, sys.orig_argv)

    threading.Thread(target=watch, daemon=True, name="publish-watch").start()


def freeze_startup_objects() -> None:
    """Keep what startup made (Datasette, plugins, metadata, templates) out of full collections.

    It all lives as long as the process, yet each of Python's full (oldest
    generation) collections walked it again: 35-90 ms, about every 30 page
    views of the reports search, enough to be a page's p95 (benchmarks/README.md,
    page latency run 7). ``gc.freeze`` moves it to a generation that is never
    collected; what requests make is collected as before.
    """
    gc.collect()
    gc.freeze()


def serve_archive(data: Path, host: str, port: int, *, restart: bool = False) -> None:
    """Serve ``<data>/archive.db`` until interrupted (restarting on a new build if asked)."""
    import uvicorn
    from datasette.cli import run_sync

    db = database_path(data)
    ds = make_datasette(db)
    run_sync(ds.invoke_startup)
    freeze_startup_objects()
    if restart:
        watch_for_publish(db)
    click.echo(f"serving the archive at http://{host}:{port}/ (Ctrl-C to stop)")
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning", lifespan="on")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers(url: str) -> bool:
    """True once the site at ``url`` answers ``/-/versions.json`` with 200."""
    try:
        with urllib.request.urlopen(url + "/-/versions.json", timeout=2) as response:
            return int(response.status) == 200
    except OSError:
        return False


@dataclass(frozen=True)
class RunningSite:
    """A site started by ``running_site``: its base URL and the child process."""

    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def running_site(
    command: Sequence[str],
    *,
    port: int | None = None,
    log: Path | None = None,
    timeout: float = 60.0,
) -> Iterator[RunningSite]:
    """Run ``xxgk <command> --port PORT`` in a child process; yield it once it answers.

    The one way tests and benchmarks start the site (``serve`` or ``demo``):
    the child runs in a session of its own, with its output in ``log`` (or
    discarded), and when the block ends it and every process it started (the
    demo's fixture portals and crawl) are stopped. ``RuntimeError`` (with the
    log) if it exits or does not answer within ``timeout`` seconds.
    """
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log or os.devnull, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "archive.cli", *command, "--port", str(port)],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while not answers(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    said = log.read_text(errors="replace")[-5000:] if log else ""
                    raise RuntimeError(f"xxgk {' '.join(command)} did not serve {url}:\n{said}")
                time.sleep(0.2)
            yield RunningSite(url, process)
        finally:
            _stop_group(process)


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the process group ``process`` leads; SIGKILL it if still there after 20 s."""
    for sig, wait in ((signal.SIGTERM, 20.0), (signal.SIGKILL, 10.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="The data directory (default: $XXGK_DATA_DIR or ~/.local/share/xxgk-archive).",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Port.")
@click.option(
    "--restart-on-publish/--no-restart-on-publish",
    default=True,
    show_default=True,
    help="Restart (a second or two) when `xxgk build` publishes a new archive.",
)
def serve(data_dir: str | None, host: str, port: int, restart_on_publish: bool) -> None:
    """Serve the published archive (<data>/archive.db) with Datasette.

    The database is opened immutable, with the table counts and hash that
    `xxgk build` wrote to <data>/inspect.json when it published it. When a
    build publishes a new database the server restarts on it by itself.

    Example:

        xxgk serve --data-dir ./data --port 8001
    """
    serve_archive(resolve_data_dir(data_dir), host, port, restart=restart_on_publish)


DEMO_CRAWL_SETTINGS = (
    # The fixture portals are our own loopback servers: no need to wait between requests.
    "DOWNLOAD_DELAY=0.05",
    "AUTOTHROTTLE_ENABLED=False",
)


def run_demo(data: Path, port: int, portals_port: int, portals: tuple[str, ...]) -> None:
    """Fixture portals → crawl → build → serve, in one process (the crawl in a child).

    The portal network keeps running while the site is served, so the report
    pages' links to the original documents work too.
    """
    from archive.build import build, cpu_jobs
    from crawler.fixture_portals.server import FixtureNetwork
    from crawler.run import crawl_command

    data.mkdir(parents=True, exist_ok=True)
    click.echo(f"demo data directory: {data}")
    try:
        network = FixtureNetwork(port=portals_port)
        network.start()
    except OSError as exc:
        raise SiteError(f"cannot start the fixture portals: {exc} (try --portals-port 0)") from exc
    try:
        sources_dir = data / "demo-sources"
        network.write_sources(sources_dir)
        chosen = portals or tuple(network.portals)
        click.echo(
            f"1/3 crawling {len(chosen)} fixture portals on 127.0.0.x:{network.port} "
            "(the first run renders every attachment: a few minutes)"
        )
        settings = [arg for value in DEMO_CRAWL_SETTINGS for arg in ("-s", value)]
        crawl = subprocess.run(
            crawl_command(
                *portals,
                "--data-dir",
                str(data),
                "--sources-dir",
                str(sources_dir),
                "--quiet",
                *settings,
            ),
            check=False,
        )
        if crawl.returncode not in (0, 1):  # 1: a source failed or was blocked (summarised)
            raise SiteError(f"the crawl failed (exit {crawl.returncode})")
        click.echo("2/3 building the archive")
        stats = build(data, jobs=cpu_jobs(), progress=lambda line: click.echo(f"    {line}"))
        if not stats.reports:
            raise SiteError("the build produced no report: nothing to serve")
        click.echo(f"3/3 serving {stats.reports} reports from {stats.documents} documents")
        serve_archive(data, "127.0.0.1", port)
    finally:
        network.stop()


@click.command()
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False),
    help="Where to keep the demo's data (default: <data dir>/demo, reused: a rerun is incremental).",
)
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=int, help="Site port.")
@click.option(
    "--portals-port",
    default=18080,
    show_default=True,
    type=int,
    envvar="XXGK_PORTALS_PORT",
    help="Port of the fixture portals (0: any free port).",
)
@click.option(
    "--portal",
    "portals",
    multiple=True,
    help="Crawl only this fixture portal (repeatable; default: all of them).",
)
def demo(data_dir: str | None, port: int, portals_port: int, portals: tuple[str, ...]) -> None:
    """Run the main job end to end on the bundled fixture portal network.

    Starts the fixture portals on loopback (127.0.0.2, .3, …), crawls them,
    builds the archive and serves it on http://127.0.0.1:PORT/ until
    interrupted.

    Example:

        xxgk demo --port 8001
    """
    data = Path(data_dir) if data_dir else resolve_data_dir(None) / "demo"
    run_demo(data.resolve(), port, portals_port, portals)
