"""A tiny TRS-style portal on loopback for the crawler's own quick tests.

The full fixture portal network (``crawler.fixture_portals``) imitates every CMS
family and failure mode; this one is a few pages served by ``http.server`` so the
crawler's mechanics (archive, incremental runs, politeness, robots, WAF) can be
tested in seconds. Static pages carry an ``ETag`` and answer ``If-None-Match``
with 304; every request is logged with its start and end time.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PAGE_SIZE = 4


@dataclass
class MiniPortal:
    host: str = "127.0.0.1"
    reports: int = 10
    robots: str = "allow"  # allow | disallow | 5xx
    waf_after: int | None = None  # serve this many requests, then a 521 challenge
    attachment_version: int = 0
    retry_after: int = 0  # the list's first page answers 503 + Retry-After once
    log: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.lock = threading.Lock()
        self.served = 0
        self.server = ThreadingHTTPServer((self.host, 0), self.handler())
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def start_url(self) -> str:
        return self.base + "/zwgk/zfxxgknb/index.html"

    def __enter__(self) -> MiniPortal:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- content ---------------------------------------------------------------

    def article_path(self, n: int) -> str:
        return f"/zwgk/zfxxgknb/2024{n:02d}/t2024{n:02d}01_{1000 + n}.html"

    def attachment_path(self, n: int) -> str:
        return f"/module/download/downfile.jsp?classid=0&filename={n:032x}.pdf"

    def list_page(self, index: int) -> str:
        newest_first = list(range(self.reports, 0, -1))
        pages = max(1, -(-len(newest_first) // PAGE_SIZE))
        chunk = newest_first[index * PAGE_SIZE : (index + 1) * PAGE_SIZE]
        items = "".join(
            f'<li><a href="{self.article_path(n)}" title="某某县第{n}局2023年政府信息公开工作年度报告">'
            f"某某县第{n}局2023年政府信息公开工作年度报告</a><span>2024-01-{n:02d}</span></li>"
            for n in chunk
        )
        return (
            '<html><head><meta charset="utf-8"><title>政府信息公开年报</title></head><body>'
            '<a href="/">首页</a><a href="/zwgk/zfxxgknb/">政府信息公开年报</a>'
            f"<ul>{items}</ul>"
            f'<script>createPageHTML({pages}, {index}, "index", "html");</script></body></html>'
        )

    def article(self, n: int) -> str:
        title = f"某某县第{n}局2023年政府信息公开工作年度报告"
        return (
            f'<html><head><meta charset="utf-8"><meta name="ArticleTitle" content="{title}">'
            f'<meta name="PubDate" content="2024-01-{n:02d} 09:00"><title>{title}</title></head>'
            f'<body><div class="TRS_Editor"><p>一、总体情况</p><p>正文{n}</p>'
            f'<a href="{self.attachment_path(n)}">附件：{title}.pdf</a></div></body></html>'
        )

    def pdf(self, n: int) -> bytes:
        version = self.attachment_version if n == self.reports else 0
        return f"%PDF-1.4\n% report {n} version {version}\n%%EOF\n".encode()

    def route(self, path: str) -> tuple[int, str, bytes, dict[str, str]]:
        if path == "/robots.txt":
            if self.robots == "5xx":
                return 503, "text/html", b"<h1>503</h1>", {}
            rules = "Disallow: /" if self.robots == "disallow" else "Disallow: /private/"
            return 200, "text/plain", f"User-agent: *\n{rules}\n".encode(), {}
        if path in ("/zwgk/zfxxgknb/index.html", "/zwgk/zfxxgknb/"):
            if self.retry_after:
                seconds, self.retry_after = self.retry_after, 0
                return 503, "text/html", b"<h1>503</h1>", {"Retry-After": str(seconds)}
            return 200, "text/html; charset=utf-8", self.list_page(0).encode(), {}
        if path.startswith("/zwgk/zfxxgknb/index_"):
            index = int(path.rsplit("_", 1)[1].split(".")[0])
            return 200, "text/html; charset=utf-8", self.list_page(index).encode(), {}
        for n in range(1, self.reports + 1):
            if path == self.article_path(n):
                return 200, "text/html; charset=utf-8", self.article(n).encode(), {}
            if path == self.attachment_path(n):
                return 302, "text/html", b"", {"Location": f"/attach/0/{n:032x}.pdf"}
            if path == f"/attach/0/{n:032x}.pdf":
                return 200, "application/pdf", self.pdf(n), {}
        return 404, "text/html", b"<h1>404 Not Found</h1>", {}

    def handler(self) -> type[BaseHTTPRequestHandler]:
        portal = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                started = time.time()
                with portal.lock:
                    portal.served += 1
                    served = portal.served
                if portal.waf_after is not None and served > portal.waf_after:
                    status, ctype, body, extra = (
                        521,
                        "text/html",
                        b"<script>document.cookie='__jsl_clearance=1';location.href=location.pathname</script>",
                        {},
                    )
                else:
                    status, ctype, body, extra = portal.route(self.path)
                etag = '"' + hashlib.md5(body).hexdigest()[:12] + '"'
                if status == 200 and self.headers.get("If-None-Match") == etag:
                    status, body = 304, b""
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if status in (200, 304):
                    self.send_header("ETag", etag)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                portal.log.append(
                    {
                        "time_start": started,
                        "time_end": time.time(),
                        "host": portal.host,
                        "path": self.path,
                        "status": status,
                        "headers": dict(self.headers),
                    }
                )

        return Handler
