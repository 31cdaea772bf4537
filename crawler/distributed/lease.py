"""Politeness across workers: a Redis-held lease per host.

scrapy-redis shares the queue, but Scrapy enforces ``DOWNLOAD_DELAY`` and
``CONCURRENT_REQUESTS_PER_DOMAIN`` per process: N workers would put N times the
load on a portal. ``HostLeaseMiddleware`` (a downloader middleware, last before
the download handler) makes a host's politeness global:

1. before a request is sent, the worker takes the host's lease:
   ``SET xxgk:lease:<host> <token> NX PX <ttl>``; while another worker (or
   another request of this one) holds it, the request waits;
2. while the download runs, the worker's heartbeat renews the lease (a worker
   killed mid-download loses it after ``XXGK_CLUSTER_LEASE_TTL``);
3. when the answer is in (or the download failed), the lease becomes the host's
   delay: the key is kept, without an owner, for the host's download delay
   (``DOWNLOAD_SLOTS`` / AutoThrottle's current delay for the host, or a longer
   ``Retry-After``), so no worker sends the next request sooner.

So a host never sees two requests at once, and between one answer and the next
request there is always at least its delay, whichever workers send them.
Answers replayed from the archive never reach this middleware.
"""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from scrapy.http import Request, Response
from scrapy.utils.httpobj import urlparse_cached

from crawler.distributed.keys import lease_key
from crawler.middlewares.politeness import retry_after_seconds

LEASE_META = "xxgk_lease"

# Turn the lease into the host's delay, only if we still hold it.
RELEASE = """
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
if tonumber(ARGV[2]) > 0 then
  redis.call('SET', KEYS[1], 'delay', 'PX', ARGV[2])
else
  redis.call('DEL', KEYS[1])
end
return 1
"""

RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


class HostLeases:
    """Taking, renewing and releasing host leases on one Redis connection."""

    def __init__(self, server: Any, ttl: float) -> None:
        self.server = server
        self.ttl_ms = max(1, int(ttl * 1000))
        self.held: dict[str, str] = {}  # token → key
        self._release = server.register_script(RELEASE)
        self._renew = server.register_script(RENEW)

    def try_take(self, host: str) -> tuple[str | None, float]:
        """(token, 0) when taken; (None, seconds to wait) when someone holds it."""
        key = lease_key(host)
        token = secrets.token_hex(8)
        if self.server.set(key, token, nx=True, px=self.ttl_ms):
            self.held[token] = key
            return token, 0.0
        left = self.server.pttl(key)
        return None, (left / 1000 if left and left > 0 else 0.01)

    def release(self, host: str, token: str, delay: float) -> None:
        self.held.pop(token, None)
        self._release(keys=[lease_key(host)], args=[token, max(0, int(delay * 1000))])

    def renew_all(self) -> None:
        for token, key in list(self.held.items()):
            self._renew(keys=[key], args=[token, self.ttl_ms])


class HostLeaseMiddleware:
    """Downloader middleware: one request per host at a time, the delay held, across workers."""

    POLL_MIN = 0.005
    POLL_MAX = 0.25

    def __init__(self, crawler: Any, leases: HostLeases) -> None:
        self.crawler = crawler
        self.leases = leases
        self.default_delay = crawler.settings.getfloat("DOWNLOAD_DELAY")
        self.retry_after_max = crawler.settings.getfloat("XXGK_RETRY_AFTER_MAX", 300.0)

    @classmethod
    def from_crawler(cls, crawler: Any) -> HostLeaseMiddleware:
        from scrapy_redis.connection import from_settings

        leases = HostLeases(
            from_settings(crawler.settings),
            crawler.settings.getfloat("XXGK_CLUSTER_LEASE_TTL", 15.0),
        )
        crawler.xxgk_host_leases = leases  # the worker's heartbeat renews them
        return cls(crawler, leases)

    async def process_request(self, request: Request, spider: Any = None) -> None:
        host = urlparse_cached(request).hostname or ""
        while True:
            token, wait = self.leases.try_take(host)
            if token is not None:
                request.meta[LEASE_META] = (host, token)
                return None
            await asyncio.sleep(min(self.POLL_MAX, max(self.POLL_MIN, wait)))

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Response:
        self.release(request, response)
        return response

    def process_exception(
        self, request: Request, exception: BaseException, spider: Any = None
    ) -> None:
        self.release(request, None)
        return None

    def release(self, request: Request, response: Response | None) -> None:
        held = request.meta.pop(LEASE_META, None)
        if held is None:
            return
        host, token = held
        self.leases.release(host, token, self.delay_for(request, response))

    def delay_for(self, request: Request, response: Response | None) -> float:
        """The host's delay now: its slot's (source politeness, AutoThrottle), or Retry-After."""
        delay = self.default_delay
        downloader = getattr(self.crawler.engine, "downloader", None)
        if downloader is not None:
            slot = downloader.slots.get(downloader.get_slot_key(request))
            if slot is not None:
                delay = float(slot.delay)
        if response is not None and response.status in (429, 503):
            raw = response.headers.get(b"Retry-After")
            wait = retry_after_seconds(raw.decode("latin-1")) if raw else None
            if wait is not None and wait <= self.retry_after_max:
                delay = max(delay, wait)
        return delay
