"""The fixture portal network: real HTTP servers on loopback, one address per portal.

``FixtureNetwork`` (a context manager) serves every portal of ``network.yml`` on
its own loopback address (127.0.0.2, .3, …), all on one port (default 18080,
``$XXGK_PORTALS_PORT``; ``port=0`` picks a port free on every address). Tests and
the demo start it in-process; ``xxgk portals serve`` runs it standalone.

Every request is recorded in ``FixtureNetwork.log`` (and, with ``log_path``, as
JSON lines): ``time_start``, ``time_end``, ``host``, ``portal``, ``method``,
``path``, ``query``, ``headers``, ``status``, ``bytes`` sent, and ``failure``
when a switch made it fail. Status 0 means no HTTP answer (reset or hang).
``politeness.py`` reads it: overlaps per host, gaps, robots.txt first, requests
after a block, conditional requests.

Besides the portals, ``mirrors`` are off-domain spam copies (F12, ``mirror.py``)
that report pages link to: any request in the log for a mirror is a crawler
following an off-domain link.

Switches (``switches.py``) are set with ``set_switch(portal, name, value)`` or
over HTTP on the portal's own host, which is not logged::

    GET  /__control__            the portal's switches
    POST /__control__            {"name": value, ...} sets switches
    POST /__control__/reset      all switches back to their defaults
    GET  /__control__/expected   the portal's ground truth (expected_documents)

Transport failures act here: WAF challenges, 5xx, resets, delays, truncated
bodies and the seeded ``chaos`` switch (never applied to robots.txt, so a
chaotic night still lets a crawler in).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import selectors
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from crawler.fixture_portals.exchange import Request, Response
from crawler.fixture_portals.families.base import Portal
from crawler.fixture_portals.families.hostile import HostilePortal, StreamResponse, load_hostile
from crawler.fixture_portals.mirror import SpamMirror
from crawler.fixture_portals.network import DEFAULT_PORT, build_portals, load_mirrors, source_yaml
from crawler.fixture_portals.switches import CHAOS_KINDS, Switches
from crawler.fixture_portals.waf import challenge

PORT_ENV = "XXGK_PORTALS_PORT"
CONTROL = "/__control__"


class PortalServer(ThreadingHTTPServer):
    """One portal's HTTP server, bound to the portal's loopback address."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, network: FixtureNetwork, portal: Portal, port: int) -> None:
        self.network = network
        self.portal = portal
        self.connections: set[socket.socket] = set()
        super().__init__((portal.spec.host, port), PortalHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host up in DNS (getfqdn): slow, and useless here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.portal.spec.host, self.server_address[1]


class PortalHandler(BaseHTTPRequestHandler):
    """Answers one connection's requests for the portal its server belongs to."""

    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    timeout = 30  # idle keep-alive connections close after this
    server: PortalServer

    def setup(self) -> None:
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # the network keeps its own log

    def do_GET(self) -> None:
        self.serve()

    def do_HEAD(self) -> None:
        self.serve()

    def do_POST(self) -> None:
        self.serve()

    # ------------------------------------------------------------------ serving

    def serve(self) -> None:
        started = time.time()
        network, portal = self.server.network, self.server.portal
        # http.server reads the request line as latin-1; raw UTF-8 in it becomes text again.
        split = urlsplit(self.path.encode("latin-1", "replace").decode("utf-8", "replace"))
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        request = Request(
            method=self.command,
            path=split.path or "/",
            query=dict(parse_qsl(split.query, keep_blank_values=True)),
            headers={k: v for k, v in self.headers.items()},
            body=body,
            query_string=split.query,
        )
        if request.path == CONTROL or request.path.startswith(CONTROL + "/"):
            self.send(self.control(request), head=False)
            return
        entry: dict[str, Any] = {
            "time_start": started,
            "host": portal.spec.host,
            "portal": portal.id,
            "method": request.method,
            "path": request.path,
            "query": request.query_string,
            "headers": request.headers,
        }
        self.answered_at: float | None = None
        status, sent, failure = self.answer(network, portal, request)
        # The end is taken just before the last bytes go out: a client cannot start
        # its next request before it has them, so a polite client never overlaps.
        ended = self.answered_at or time.time()
        entry.update(time_end=ended, status=status, bytes=sent, failure=failure)
        network.record(entry)

    def answer(
        self, network: FixtureNetwork, portal: Portal, request: Request
    ) -> tuple[int, int, str | None]:
        """Serve one request under the portal's switches: (status, bytes sent, failure)."""
        switches = portal.switches
        robots = request.path == "/robots.txt"
        served, chaos = network.next_request(portal, chaos_allowed=not robots)
        if switches.delay:
            network.stopping.wait(switches.delay)
        if switches.reset or chaos == "reset":
            self.reset()
            return 0, 0, "reset"
        if chaos == "timeout":
            network.stopping.wait(switches.chaos_timeout)
            self.close_connection = True
            return 0, 0, "timeout"
        failure: str | None = chaos
        if switches.waf and served > switches.waf_after:
            response = challenge(switches.waf, portal.spec.host, portal.port)
            failure = f"waf:{switches.waf}"
        elif switches.status_5xx:
            response = error_page(switches.status_5xx, switches.retry_after)
            failure = f"status:{switches.status_5xx}"
        elif chaos == "5xx":
            response = error_page(503, 0)
        else:
            try:
                response = portal.handle(request)
            except Exception:  # a bug in a fixture must show, not hang the crawler
                traceback.print_exc(file=sys.stderr)
                response = error_page(500, 0)
                failure = "exception"
        truncate = (switches.truncate or chaos == "truncate") and len(response.body) > 1
        if truncate and failure is None:
            failure = "truncate"
        sent = self.send(response, head=request.method == "HEAD", truncate=truncate)
        return response.status, sent, failure

    def send(self, response: Response, *, head: bool, truncate: bool = False) -> int:
        """Write the response; a truncated one promises more bytes than it sends."""
        if isinstance(response, StreamResponse) and not head:  # hostile: endless, slow, huge
            return response.write_to(self, self.server.network.stopping)
        body = b"" if head else response.body
        if truncate:
            body = body[: len(body) // 2]
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if truncate:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.answered_at = time.time()  # before any byte of the answer leaves
        self.end_headers()
        try:
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
        return len(body)

    def reset(self) -> None:
        """Drop the connection with a TCP RST (SO_LINGER 0, then close)."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def control(self, request: Request) -> Response:
        network, portal = self.server.network, self.server.portal
        try:
            if request.path == CONTROL + "/reset" and request.method == "POST":
                network.reset_switches(portal.id)
            elif request.path == CONTROL + "/expected":
                return json_response(network.expected_documents([portal.id]))
            elif request.path == CONTROL and request.method == "POST":
                values = json.loads(request.body or b"{}")
                if not isinstance(values, dict):
                    raise ValueError("expected a JSON object of switch names and values")
                for name, value in values.items():
                    network.set_switch(portal.id, name, value)
            elif request.path != CONTROL:
                return json_response({"error": f"unknown control path {request.path}"}, 404)
        except (KeyError, ValueError) as exc:
            return json_response({"error": str(exc)}, 400)
        switches = portal.switches
        return json_response(
            {"portal": portal.id, "switches": switches.as_dict(), "served": switches.served}
        )


def error_page(status: int, retry_after: int) -> Response:
    reason = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Temporarily Unavailable",
        504: "Gateway Time-out",
    }
    text = f"{status} {reason.get(status, 'Server Error')}"
    body = f"<html><head><title>{text}</title></head><body><center><h1>{text}</h1></center><hr><center>nginx</center></body></html>"
    headers = [("Retry-After", str(retry_after))] if retry_after else []
    return Response(status, body.encode(), headers=headers)


def json_response(payload: object, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, indent=1).encode("utf-8")
    return Response(status, body, "application/json; charset=utf-8")


def configured_port(port: int | None) -> int:
    """The explicit port, else $XXGK_PORTALS_PORT, else 18080."""
    if port is not None:
        return port
    return int(os.environ.get(PORT_ENV) or DEFAULT_PORT)


class FixtureNetwork:
    """Every fixture portal, served on loopback. Use as a context manager."""

    def __init__(
        self,
        port: int | None = None,
        *,
        log_path: str | os.PathLike[str] | None = None,
        copies: int = 0,
    ) -> None:
        """``copies``: also serve that many copies of every portal (for scale benchmarks)."""
        self.requested_port = configured_port(port)
        self.port = 0
        self.log_path = Path(log_path) if log_path else None
        self.portals: dict[str, Portal] = {p.id: p for p in build_portals(copies=copies)}
        self.mirrors: dict[str, Portal] = {
            m.id: SpamMirror(m.id, m.host, m.prefix, self.portals[m.copies]) for m in load_mirrors()
        }
        hostile = load_hostile()  # not sources either: the hostile portal (issue 7)
        self.mirrors.update({h.id: HostilePortal(h, hostile) for h in hostile})
        self.log: list[dict[str, Any]] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._chaos: dict[str, random.Random] = {}
        self._servers: list[PortalServer] = []
        self._acceptor: threading.Thread | None = None
        self._log_file: Any = None

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> FixtureNetwork:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        """Bind every portal's address and start serving (no rendering happens here)."""
        self.stopping.clear()
        self.port = self._bind(self.requested_port)
        if self.log_path:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_file = self.log_path.open("a", encoding="utf-8")
        for server in self._servers:
            server.portal.port = self.port
        self._acceptor = threading.Thread(target=self._accept, daemon=True, name="portals")
        self._acceptor.start()

    def _accept(self) -> None:
        """One thread accepts for every portal; each connection gets its own thread."""
        with selectors.DefaultSelector() as selector:
            for server in self._servers:
                selector.register(server, selectors.EVENT_READ, server)
            while not self.stopping.is_set():
                for key, _ in selector.select(timeout=0.1):
                    # What serve_forever does when its socket is readable.
                    key.data._handle_request_noblock()

    def _bind(self, port: int) -> int:
        """Bind all portals on one port; port 0 means any port free on every address."""
        attempts = 50 if port == 0 else 1
        rng = random.Random()
        last_error: OSError | None = None
        for _ in range(attempts):
            candidate = port or rng.randrange(20000, 60000)
            servers: list[PortalServer] = []
            try:
                for site in [*self.portals.values(), *self.mirrors.values()]:
                    servers.append(PortalServer(self, site, candidate))
            except OSError as exc:
                last_error = exc
                for server in servers:
                    server.server_close()
                continue
            self._servers = servers
            return candidate
        raise OSError(f"cannot bind the fixture network on port {port or 'any'}: {last_error}")

    def stop(self) -> None:
        self.stopping.set()
        if self._acceptor:
            self._acceptor.join(timeout=5)
            self._acceptor = None
        for server in self._servers:
            for conn in list(server.connections):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
            server.server_close()
        self._servers = []
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    # ------------------------------------------------------------------ switches

    def portal(self, portal_id: str) -> Portal:
        try:
            return self.portals.get(portal_id) or self.mirrors[portal_id]
        except KeyError:
            raise KeyError(
                f"unknown portal {portal_id!r}; known: {', '.join(self.portals)}"
            ) from None

    def set_switch(self, portal_id: str, name: str, value: Any) -> None:
        """Set one switch of one portal (see ``switches.SWITCHES``)."""
        portal = self.portal(portal_id)
        with self._lock:
            portal.switches.set(name, value)
            if name in ("chaos", "chaos_seed"):
                self._chaos.pop(portal_id, None)

    def reset_switches(self, portal_id: str | None = None) -> None:
        """All switches (of one portal, or of all) back to their defaults."""
        with self._lock:
            for pid in [portal_id] if portal_id else [*self.portals, *self.mirrors]:
                self.portal(pid).switches = Switches()
                self._chaos.pop(pid, None)

    def next_request(self, portal: Portal, *, chaos_allowed: bool) -> tuple[int, str | None]:
        """Count a request; decide (seeded) whether chaos fails it, and how."""
        with self._lock:
            switches = portal.switches
            switches.served += 1
            if not switches.chaos or not chaos_allowed:
                return switches.served, None
            rng = self._chaos.setdefault(
                portal.id, random.Random(f"chaos-{switches.chaos_seed}-{portal.id}")
            )
            if rng.random() < switches.chaos:
                return switches.served, rng.choice(CHAOS_KINDS)
            return switches.served, None

    # ------------------------------------------------------------------ the log

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            self.log.append(entry)
            if self._log_file:
                self._log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
                self._log_file.flush()

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def requests_to(self, portal_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self.log if e["portal"] == portal_id]

    # ------------------------------------------------------------------ addresses

    def base_url(self, portal_id: str) -> str:
        return self.portal(portal_id).base_url()

    def start_url(self, portal_id: str) -> str:
        portal = self.portal(portal_id)
        return portal.start_url() + portal.start_fragment()

    def sources(self) -> dict[str, str]:
        """Each portal's ``crawler/sources`` YAML text, for the port actually bound."""
        return {pid: source_yaml(p, self.port) for pid, p in self.portals.items()}

    def write_sources(self, directory: str | os.PathLike[str]) -> list[Path]:
        """Write the sources YAML for this network's port (for a crawl in a subprocess)."""
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        paths = []
        for pid, text in self.sources().items():
            path = target / f"{pid}.yml"
            path.write_text(text, encoding="utf-8")
            paths.append(path)
        return paths

    # ------------------------------------------------------------------ ground truth

    def expected_documents(self, portal_ids: list[str] | None = None) -> list[dict[str, Any]]:
        """Every report page and attachment a complete crawl must archive right now.

        One dict per document: ``portal``, ``item``, ``kind`` ("report" for the
        page, or the file when the list links a file; "attachment" otherwise),
        ``format``, ``url`` (as linked), ``final_url`` (after redirects),
        ``sha256``, ``size``, ``content_type``, ``organization``, ``year``,
        ``title``, ``published`` and ``listed`` (False once the item dropped out
        of the list). Renders what is not cached yet, so the first call is slow.
        """
        out: list[dict[str, Any]] = []
        for pid in portal_ids or list(self.portals):
            out.extend(self.portal(pid).documents())
        return out

    def prerender(self, workers: int = 2) -> int:
        """Render (and cache) every attachment now, so no request waits on LibreOffice."""
        jobs = list(self._render_jobs())
        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(lambda job: job(), jobs))
        return len(jobs)

    def _render_jobs(self) -> Iterator[Any]:
        for portal in self.portals.values():
            for item in portal.items:
                yield lambda portal=portal, item=item: portal.documents_of(item)
