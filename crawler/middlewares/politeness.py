"""Per-host politeness beyond Scrapy's settings.

``FixedDelayMiddleware``: a host whose source sets ``politeness.delay`` keeps
exactly that delay; AutoThrottle may raise a delay but would otherwise lower it
towards the global ``DOWNLOAD_DELAY`` (for every request, robots.txt included).

``RetryAfterMiddleware``: ``Retry-After`` honoured, the host's download slot is
held for that long.

Scrapy retries 429/503 but ignores ``Retry-After``. This middleware runs before
``RetryMiddleware`` sees the response: it pushes the slot's next allowed
download past the requested wait, so the retry (and every other request to that
host) waits. A wait longer than ``XXGK_RETRY_AFTER_MAX`` is not waited for: the
request is given up for the night (no retry).
"""

from __future__ import annotations

import time
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached


def retry_after_seconds(value: str, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta seconds or an HTTP date)."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


class FixedDelayMiddleware:
    """Marks requests to hosts with a configured delay so AutoThrottle leaves it alone."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> FixedDelayMiddleware:
        return cls(crawler)

    def process_request(self, request: Request, spider: Any = None) -> None:
        hosts = getattr(self.crawler.spider, "fixed_delay_hosts", ())
        if urlparse_cached(request).hostname in hosts:
            request.meta["autothrottle_dont_adjust_delay"] = True


class RetryAfterMiddleware:
    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.maximum = crawler.settings.getfloat("XXGK_RETRY_AFTER_MAX", 300.0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RetryAfterMiddleware:
        return cls(crawler)

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        if response.status not in (429, 503) or b"Retry-After" not in response.headers:
            return response
        raw = response.headers.get(b"Retry-After") or b""
        seconds = retry_after_seconds(raw.decode("latin-1"))
        if seconds is None:
            return response
        if seconds > self.maximum:
            request.meta["dont_retry"] = True
            return response
        downloader = self.crawler.engine.downloader
        slot = downloader.slots.get(downloader.get_slot_key(request))
        if slot is not None:
            # Scrapy keeps slot times on the monotonic clock.
            slot.lastseen = max(slot.lastseen, time.monotonic() + seconds)
        self.crawler.stats.inc_value("xxgk/retry_after_honoured")
        return response
