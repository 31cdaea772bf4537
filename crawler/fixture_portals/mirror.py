"""An off-domain spam mirror of a portal (portals.md F12).

Real gambling-SEO domains copy government pages (``lahohwa.com/llxxgk/…``), and a
portal's pages can end up linking to such copies. The mirror serves the copied
portal's pages under a prefix on its own loopback address; report pages of the
copied portal link to their mirrored copy. A crawler must never follow the link:
the network's request log shows any request the mirror receives.
"""

from __future__ import annotations

from dataclasses import replace

from crawler.fixture_portals.exchange import Request, Response
from crawler.fixture_portals.families.base import Portal
from crawler.fixture_portals.switches import Switches


class SpamMirror(Portal):
    """Serves ``original``'s pages under ``prefix`` on ``host`` (not a source)."""

    def __init__(self, mirror_id: str, host: str, prefix: str, original: Portal) -> None:
        # Deliberately not Portal.__init__: the mirror has no items of its own.
        self.id = mirror_id
        self.spec = replace(original.spec, id=mirror_id, host=host, name="澳门新葡京官方网站")
        self.switches = Switches()
        self.port = 0
        self.items = []
        self.prefix = prefix
        self.original = original
        original.mirrored_at = (host, prefix)

    def handle(self, request: Request) -> Response:
        if request.path == "/robots.txt":
            return Response(200, b"User-agent: *\nAllow: /\n", "text/plain")
        if not request.path.startswith(self.prefix + "/"):
            return Response(302, b"", headers=[("Location", f"{self.prefix}/")])
        inner = replace(request, path=request.path[len(self.prefix) :], headers={})
        return self.original.handle(inner)

    def documents(self) -> list[dict[str, object]]:
        return []
