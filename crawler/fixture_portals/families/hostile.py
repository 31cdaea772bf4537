"""A hostile portal: every trick a compromised or spoofed government site can play.

Served on loopback only, like every fixture portal (``network.yml`` → ``hostile``;
the declared host must be a loopback address). It is not a source of the normal
network: tests crawl it next to a normal portal and check, from the network's
request log, the ledger and the archive, that the crawler stayed within its
limits, recorded every refusal and kept crawling the other source.

Its 年报 column (``/nb/index.html``, read by the generic spider) lists:

==================================  ==============================================
``/art/2023/art_offsite.html``      302 to another loopback host (off the allow-list)
``/art/2023/art_loop_a.html``       302 ↔ ``art_loop_b.html``: a redirect loop
``/art/2023/art_file.html``         302 to ``file:///etc/passwd``
``/art/2023/art_refresh.html``      ``<meta http-equiv=refresh>`` to the other host
``/art/2023/art_js.html``           ``location.href=`` to the other host (never run)
``file:`` ``ftp:`` ``data:`` links  listed as reports
``/art/2023/art_gzip.html``         ``Content-Encoding: gzip``, 2 GiB inflated
``/art/2023/art_docx.html``         a report page linking ``bomb.docx`` (1 GiB inside)
``/art/2023/art_endless.html``      chunked, never ends (until the client hangs up)
``/art/2023/art_slow.html``         one byte a second (slow loris)
``/art/2023/art_huge.pdf``          ``Content-Length: 2147483648``
``/art/2023/art_xss.html``          a real report whose title and text carry
                                    ``<script>``, ``javascript:`` and ``{{ }}``/``{% %}``
==================================  ==============================================

and its 下一页 leads to ``/nb/index_1.html`` (10,000 report links) and then into a
calendar (``/nb/cal/2024-01.html`` → ``2023-12`` → … forever, one new report each).

The second host (``role: elsewhere``) is where the redirects point: any request
it receives is the crawler leaving its allow-list.
"""

from __future__ import annotations

import gzip
import struct
import threading
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from crawler.fixture_portals.exchange import Request, Response, not_found, redirect
from crawler.fixture_portals.families.base import Portal
from crawler.fixture_portals.network import NETWORK_FILE, PortalSpec
from crawler.fixture_portals.switches import Switches

TRAP_LINKS = 10_000
GZIP_INFLATED = 2 * 1024**3
DOCX_INFLATED = 1024**3
HUGE_LENGTH = 2 * 1024**3
ENDLESS_CAP = 4 * 1024**3  # the server's own bound on the "endless" response
SLOW_SECONDS = 300  # the slow-loris response's own bound

# Scraped text that must stay text everywhere we show it.
HOSTILE_TITLE = (
    "<script>document.title='PWNED'</script>{{ 7*7 }}{% debug %}"
    "恶意县人民政府2023年政府信息公开工作年度报告"
)
HOSTILE_ORG = "恶意县<img src=x onerror=alert(1)>人民政府{{ config }}"
HOSTILE_TEXT = (
    "<script>window.PWNED=1;document.title='PWNED'</script>"
    "<a href=\"javascript:alert('PWNED')\">点击查看{{ request }}{% raw %}</a>"
)


@dataclass(frozen=True)
class HostileSpec:
    id: str
    host: str
    role: str  # "portal" (the hostile site) or "elsewhere" (where it redirects)


def load_hostile(path: Path = NETWORK_FILE) -> list[HostileSpec]:
    """The hostile hosts declared in ``network.yml`` (loopback addresses only)."""
    import ipaddress

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    specs = [HostileSpec(**entry) for entry in data.get("hostile") or []]
    for spec in specs:
        if not ipaddress.ip_address(spec.host).is_loopback:
            raise ValueError(f"hostile {spec.id}: host {spec.host} is not a loopback address")
    return specs


class StreamResponse(Response):
    """A response the server writes itself: chunked without end, slow, or lying about length."""

    def __init__(self, mode: str, content_type: str = "text/html; charset=utf-8") -> None:
        super().__init__(200, b"", content_type)
        self.mode = mode

    def write_to(self, handler: Any, stopping: threading.Event) -> int:
        """Write the answer on the handler's connection; returns the body bytes sent."""
        handler.close_connection = True
        handler.send_response(200)
        handler.send_header("Content-Type", self.content_type)
        if self.mode == "endless":
            handler.send_header("Transfer-Encoding", "chunked")
        elif self.mode == "slow":
            handler.send_header("Content-Length", "100000")
        elif self.mode == "huge":
            handler.send_header("Content-Length", str(HUGE_LENGTH))
        handler.answered_at = time.time()
        handler.end_headers()
        sent = 0
        chunk = b"<p>" + "政府信息公开".encode() * 3000 + b"</p>\n"
        try:
            if self.mode == "endless":
                while sent < ENDLESS_CAP and not stopping.is_set():
                    handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent += len(chunk)
                    stopping.wait(0.004)  # ~13 MB/s: endless, without starving the other portals
            elif self.mode == "slow":
                for _ in range(SLOW_SECONDS):
                    handler.wfile.write(b"<")
                    handler.wfile.flush()
                    sent += 1
                    if stopping.wait(1.0):
                        break
            else:  # huge: a little, then nothing more for a while, then hang up
                handler.wfile.write(b"%PDF-1.4\n" + chunk)
                handler.wfile.flush()
                sent = len(chunk) + 9
                stopping.wait(30)
        except OSError:
            pass  # the client hung up: what a well-limited client does
        return sent


_CACHE: dict[str, bytes] = {}
_CACHE_LOCK = threading.Lock()


def gzip_bomb() -> bytes:
    """A gzip body of concatenated members, ~2 MiB on the wire, 2 GiB inflated."""
    with _CACHE_LOCK:
        if "gzip" not in _CACHE:
            member = gzip.compress(b"\0" * (64 * 1024**2), compresslevel=9, mtime=0)
            _CACHE["gzip"] = member * (GZIP_INFLATED // (64 * 1024**2))
        return _CACHE["gzip"]


def docx_bomb() -> bytes:
    """A DOCX whose ``word/document.xml`` inflates to 1 GiB of spaces (about 1 MiB packed).

    Made without deflating a gigabyte: after a full flush a deflate stream
    forgets its history, so one compressed block repeats as often as needed.
    """
    with _CACHE_LOCK:
        if "docx" not in _CACHE:
            block = b" " * (16 * 1024**2)
            count = DOCX_INFLATED // len(block)
            deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
            first = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
            again = deflate.compress(block) + deflate.flush(zlib.Z_FULL_FLUSH)
            stream = first + again * (count - 1) + deflate.flush()
            crc = 0
            for _ in range(count):
                crc = zlib.crc32(block, crc)
            types = (
                b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                b'package/2006/content-types"/>'
            )
            _CACHE["docx"] = _zip(
                [
                    (
                        "[Content_Types].xml",
                        zlib.compress(types)[2:-4],
                        zlib.crc32(types),
                        len(types),
                    ),
                    ("word/document.xml", stream, crc, count * len(block)),
                ]
            )
        return _CACHE["docx"]


def _zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A ZIP file of already-deflated members: (name, raw deflate data, CRC-32, inflated size)."""
    out = bytearray()
    central = bytearray()
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0
        )
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII",
            0x02014B50,
            20,
            20,
            0,
            8,
            0,
            0x21,
            crc,
            len(data),
            size,
            len(encoded),
            0,
            0,
            0,
            0,
            0,
            offset,
        )
        central += encoded
    start = len(out)
    out += central
    out += struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), start, 0
    )
    return bytes(out)


def xss_report_page() -> bytes:
    """A real annual report page whose title, body name and text carry markup and templates."""
    with _CACHE_LOCK:
        if "xss" not in _CACHE:
            from crawler.fixture_portals.render_html import render_report_html
            from crawler.fixture_portals.reports import seed_reports

            spec = dict(seed_reports()[0])
            spec["title"] = HOSTILE_TITLE
            spec["organization"] = HOSTILE_ORG
            texts = dict(spec.get("section_texts") or {})
            for key in list(texts)[:2]:
                texts[key] = HOSTILE_TEXT + str(texts[key])
            spec["section_texts"] = texts
            page = render_report_html(spec, style="trs", encoding="utf-8")
            # The raw page also carries what the renderer would escape.
            page = page.replace(
                b"</body>",
                HOSTILE_TEXT.encode()
                + b"<script>fetch('/-/archived/steal?c='+document.cookie)</script></body>",
                1,
            )
            _CACHE["xss"] = page
        return _CACHE["xss"]


def _page(title: str, body: str, head: str = "") -> bytes:
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title>{head}'
        f"</head><body>{body}</body></html>"
    ).encode()


def _report_title(n: int | str) -> str:
    return f"恶意县第{n}部门2023年政府信息公开工作年度报告"


class HostilePortal(Portal):
    """The hostile site (``role: portal``) or the host it redirects to (``role: elsewhere``)."""

    family = "generic"

    def __init__(self, spec: HostileSpec, network_specs: list[HostileSpec] | None = None) -> None:
        # Deliberately not Portal.__init__: no items, no renderings.
        self.id = spec.id
        self.role = spec.role
        self.spec = PortalSpec(
            id=spec.id,
            name="恶意县人民政府" if spec.role == "portal" else "别处",
            level="county",
            host=spec.host,
            family="trs_legacy",
            site_code="0",
            encoding="utf-8",
            header_charset="utf-8",
            page_size=20,
            reports_per_body=0,
            bodies=(),
        )
        self.switches = Switches()
        self.port = 0
        self.items = []
        self.mirrored_at = None
        others = [s for s in network_specs or [] if s.role == "elsewhere"]
        self.elsewhere_host = others[0].host if others else "127.0.0.1"

    # -- addresses ---------------------------------------------------------------------

    def column_path(self) -> str:
        return "/nb/index.html"

    def start_fragment(self) -> str:
        return ""

    def elsewhere(self, path: str) -> str:
        return f"http://{self.elsewhere_host}:{self.port}{path}"

    def documents(self) -> list[dict[str, Any]]:
        return []

    def source_yaml(self, port: int) -> str:
        """A ``crawler/sources`` entry for the hostile site (tests write it; not shipped)."""
        entry = {
            "name": "恶意县人民政府",
            "level": "county",
            "start_url": f"http://{self.spec.host}:{port}{self.column_path()}",
            "family": "generic",
            "allowed_hosts": [self.spec.host],
            "notes": "The hostile fixture portal (families/hostile.py); loopback only.",
        }
        return yaml.safe_dump(entry, allow_unicode=True, sort_keys=False)

    # -- routes --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.path == "/robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if self.role != "portal":
            return Response(200, _page("偷来的页面", "<p>off the allow-list</p>"))
        path = request.path
        if path == "/nb/index.html":
            return self.first_list()
        if path == "/nb/index_1.html":
            return self.trap_list()
        if path.startswith("/nb/cal/") and path.endswith(".html"):
            return self.calendar(path.removeprefix("/nb/cal/").removesuffix(".html"))
        if path.startswith("/art/"):
            return self.hostile_article(path)
        return not_found()

    def first_list(self) -> Response:
        links = [
            ("/art/2023/art_offsite.html", _report_title("跳转外站")),
            ("/art/2023/art_loop_a.html", _report_title("循环跳转")),
            ("/art/2023/art_file.html", _report_title("本地文件跳转")),
            ("/art/2023/art_refresh.html", _report_title("刷新跳转")),
            ("/art/2023/art_js.html", _report_title("脚本跳转")),
            ("file:///etc/passwd", _report_title("文件链接")),
            (f"ftp://{self.elsewhere_host}/nb/art_ftp.pdf", _report_title("FTP链接")),
            ("data:text/html,<script>alert(1)</script>", _report_title("data链接")),
            ("/art/2023/art_gzip.html", _report_title("压缩炸弹")),
            ("/art/2023/art_docx.html", _report_title("DOCX炸弹")),
            ("/art/2023/art_endless.html", _report_title("无尽响应")),
            ("/art/2023/art_slow.html", _report_title("慢速响应")),
            ("/art/2023/art_huge.pdf", _report_title("超大文件")),
            ("/art/2023/art_xss.html", HOSTILE_TITLE),
        ]
        items = "".join(
            f'<li><a href="{href}" title="{title.replace(chr(34), "&quot;")}">{title}</a></li>'
            for href, title in links
        )
        body = f'<ul class="list">{items}</ul><a href="/nb/index_1.html">下一页</a>'
        return Response(200, _page("年报", body))

    def trap_list(self) -> Response:
        items = "".join(
            f'<li><a href="/art/trap/art_{n}.html">{_report_title(n)}</a></li>'
            for n in range(TRAP_LINKS)
        )
        body = f'<ul class="list">{items}</ul><a href="/nb/cal/2024-01.html">下一页</a>'
        return Response(200, _page("年报 第2页", body))

    def calendar(self, month: str) -> Response:
        try:
            year, mon = (int(part) for part in month.split("-"))
        except ValueError:
            return not_found()
        previous = f"{year - 1}-12" if mon == 1 else f"{year}-{mon - 1:02d}"
        body = (
            f'<ul class="list"><li><a href="/art/cal/{month}/art_1.html">'
            f"{_report_title(month)}</a></li></ul>"
            f'<a href="/nb/cal/{previous}.html">下一页</a>'
        )
        return Response(200, _page(f"年报 {month}", body))

    def hostile_article(self, path: str) -> Response:
        name = path.rsplit("/", 1)[-1]
        if name == "art_offsite.html":
            return redirect(self.elsewhere("/stolen/offsite.html"))
        if name == "art_loop_a.html":
            return redirect("/art/2023/art_loop_b.html")
        if name == "art_loop_b.html":
            return redirect("/art/2023/art_loop_a.html")
        if name == "art_file.html":
            return redirect("file:///etc/passwd")
        if name == "art_refresh.html":
            head = f'<meta http-equiv="refresh" content="0;url={self.elsewhere("/stolen/refresh.html")}">'
            return Response(200, _page(_report_title("刷新跳转"), "<p>跳转中</p>", head))
        if name == "art_js.html":
            script = f"<script>location.href='{self.elsewhere('/stolen/js.html')}';</script>"
            return Response(200, _page(_report_title("脚本跳转"), "<p>跳转中</p>" + script))
        if name == "art_gzip.html":
            return Response(200, gzip_bomb(), headers=[("Content-Encoding", "gzip")])
        if name == "art_docx.html":
            body = '<div class="TRS_Editor"><a href="/art/2023/bomb.docx">附件：年度报告.docx</a></div>'
            return Response(200, _page(_report_title("DOCX炸弹"), body))
        if name == "bomb.docx":
            return Response(
                200,
                docx_bomb(),
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            )
        if name == "art_endless.html":
            return StreamResponse("endless")
        if name == "art_slow.html":
            return StreamResponse("slow")
        if name == "art_huge.pdf":
            return StreamResponse("huge", "application/pdf")
        if name == "art_xss.html":
            return Response(200, xss_report_page())
        title = _report_title(name.removeprefix("art_").removesuffix(".html"))
        return Response(200, _page(title, f'<div class="TRS_Editor"><p>{title}</p></div>'))
