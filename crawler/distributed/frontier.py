"""The shared frontier: scrapy-redis's scheduler, with nothing lost when a worker dies.

scrapy-redis pops a request from the Redis priority queue and forgets it: a
worker killed with requests in flight loses them. Here the pop moves the
request, in one Lua script, from the queue into the worker's *in-flight* hash,
where it stays until the worker is done with it:

- the engine is done with it: its callback (or errback) has run and everything
  it yielded is in the frontier and the pipeline (``ack_when_done``), or
- it came back to the scheduler as its own retry or redirect.

Each worker renews a heartbeat key (``alive``, with a TTL); any worker finding a
worker whose heartbeat lapsed puts that worker's in-flight requests back in the
queue (``requeue_dead``). A request can so be processed twice (a worker that
fetched it and died before its callback finished), never lost; the ledger merge
keeps one capture per request and run.

Order: by priority, then host-fair (``PUSH``). Dupefilter: scrapy-redis's
``RFPDupeFilter`` under the run's own key.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.http import Request
from scrapy.utils.httpobj import urlparse_cached
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler

from crawler.distributed.keys import RunKeys

logger = logging.getLogger(__name__)

INFLIGHT_META = "xxgk_inflight"

# Queue a request: within one priority, the k-th request of a host ranks with the
# k-th of every other host, so a worker's next requests spread over hosts instead
# of waiting in line for one host's lease.
# With a fingerprint (ARGV[3]), the dupefilter's SADD is part of the same script: a
# worker killed between "seen" and "queued" would otherwise lose the request.
PUSH = """
if ARGV[3] ~= '' and redis.call('SADD', KEYS[3], ARGV[3]) == 0 then return 0 end
local k = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) * 1e9 + k, ARGV[2])
return 1
"""

# Pop the best request into the worker's in-flight hash, atomically.
POP = """
local top = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #top == 0 then return false end
redis.call('ZREM', KEYS[1], top[1])
local id = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, top[2] .. '|' .. top[1])
return {tostring(id), top[1]}
"""

# Put every in-flight request of a worker back in the queue, unless (ARGV[1] == '1')
# the worker is still alive.
REQUEUE = """
if ARGV[1] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
local all = redis.call('HGETALL', KEYS[1])
local n = 0
for i = 2, #all, 2 do
  local value = all[i]
  local sep = string.find(value, '|', 1, true)
  redis.call('ZADD', KEYS[2], string.sub(value, 1, sep - 1), string.sub(value, sep + 1))
  n = n + 1
end
redis.call('DEL', KEYS[1])
return n
"""


class InflightPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue whose pop keeps the request in flight for a worker."""

    def __init__(self, server: Any, spider: Any, keys: RunKeys, worker: str) -> None:
        super().__init__(server, spider, keys.requests)
        self.keys = keys
        self.worker = worker
        self._pop = server.register_script(POP)
        self._push = server.register_script(PUSH)

    def push(self, request: Request, fingerprint: str = "") -> bool:
        """Queue ``request``; with a fingerprint, only if the dupefilter has not seen it."""
        host = urlparse_cached(request).hostname or ""
        return bool(
            self._push(
                keys=[self.key, self.keys.host_sequence(host), self.keys.dupefilter],
                args=[-request.priority, self._encode_request(request), fingerprint],
            )
        )

    def pop(self, timeout: int = 0) -> Request | None:
        found = self._pop(keys=[self.key, self.keys.inflight(self.worker), self.keys.inflight_ids])
        if not found:
            return None
        inflight_id, data = found
        request: Request = self._decode_request(data)
        request.meta[INFLIGHT_META] = (
            inflight_id.decode() if isinstance(inflight_id, bytes) else str(inflight_id)
        )
        return request


class ClusterScheduler(Scheduler):
    """scrapy-redis's scheduler on the run's keys, acknowledging retries and redirects.

    Settings: ``XXGK_RUN_ID`` and ``XXGK_CLUSTER_WORKER`` (set by the worker),
    plus scrapy-redis's ``REDIS_URL``.
    """

    keys: RunKeys
    worker: str
    popped_urls: dict[str, str]
    df: Any

    @classmethod
    def from_crawler(cls, crawler: Any) -> ClusterScheduler:
        instance: ClusterScheduler = super().from_crawler(crawler)
        instance.keys = RunKeys(crawler.settings["XXGK_RUN_ID"])
        instance.worker = crawler.settings["XXGK_CLUSTER_WORKER"]
        instance.popped_urls = {}
        return instance

    def open(self, spider: Any) -> None:
        self.spider = spider
        self.queue = InflightPriorityQueue(self.server, spider, self.keys, self.worker)
        if not self.df:
            from scrapy_redis.dupefilter import RFPDupeFilter

            self.df = RFPDupeFilter(self.server, key=self.keys.dupefilter)
        waiting = len(self.queue)
        if waiting:
            logger.info("joining run %s: %d requests in the frontier", self.keys.run_id, waiting)

    def close(self, reason: str) -> None:
        """The frontier outlives a worker: nothing is flushed (SCHEDULER_PERSIST)."""

    def enqueue_request(self, request: Request) -> bool:
        continues = self._continuation_of(request)
        request.meta.pop(INFLIGHT_META, None)
        try:
            fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
            if not self.queue.push(request, fingerprint):
                self.df.log(request, self.spider)
                return False
            if self.stats:
                self.stats.inc_value("scheduler/enqueued/redis")
            return True
        finally:
            if continues is not None:
                self.ack(continues)

    def next_request(self) -> Request | None:
        request = self.queue.pop()
        if request is not None:
            self.popped_urls[request.meta[INFLIGHT_META]] = request.url
            if self.stats:
                self.stats.inc_value("scheduler/dequeued/redis")
        return request

    def _continuation_of(self, request: Request) -> str | None:
        """The in-flight id ``request`` takes over: a retry or a redirect of a popped request.

        A child request whose spider copied its parent's meta carries the parent's
        id too, but not its URL: that one takes nothing over.
        """
        inflight_id = request.meta.get(INFLIGHT_META)
        if inflight_id is None:
            return None
        url = self.popped_urls.get(inflight_id)
        redirected_from = (request.meta.get("redirect_urls") or [None])[-1]
        return inflight_id if url in (request.url, redirected_from) else None

    def ack(self, inflight_id: str) -> None:
        """The request popped as ``inflight_id`` is done (or handed over)."""
        self.popped_urls.pop(inflight_id, None)
        self.server.hdel(self.keys.inflight(self.worker), inflight_id)


def ack_request(crawler: Any, request: Request | None) -> None:
    """Acknowledge the request a callback or errback has finished with."""
    if request is None:
        return
    inflight_id = request.meta.get(INFLIGHT_META)
    scheduler = getattr(getattr(crawler.engine, "_slot", None), "scheduler", None)
    if inflight_id is not None and isinstance(scheduler, ClusterScheduler):
        scheduler.ack(inflight_id)


def requeue(server: Any, keys: RunKeys, worker: str, *, only_if_dead: bool) -> int:
    """Put ``worker``'s in-flight requests back in the queue; how many."""
    script = server.register_script(REQUEUE)
    moved = int(
        script(
            keys=[keys.inflight(worker), keys.requests, keys.alive(worker)],
            args=["1" if only_if_dead else "0"],
        )
    )
    if moved:
        server.incrby(keys.requeued, moved)
    return moved


def requeue_dead(server: Any, keys: RunKeys, *, but: str | None = None) -> int:
    """Requeue the in-flight requests of every worker whose heartbeat lapsed."""
    moved = 0
    for raw in server.smembers(keys.workers):
        worker = raw.decode() if isinstance(raw, bytes) else raw
        if worker != but:
            n = requeue(server, keys, worker, only_if_dead=True)
            if n:
                logger.warning("worker %s is gone: %d in-flight requests requeued", worker, n)
            moved += n
    return moved


def inflight_elsewhere(server: Any, keys: RunKeys, worker: str) -> int:
    """Requests in flight at the other workers."""
    total = 0
    for raw in server.smembers(keys.workers):
        other = raw.decode() if isinstance(raw, bytes) else raw
        if other != worker:
            total += int(server.hlen(keys.inflight(other)))
    return total


def drained(server: Any, keys: RunKeys) -> bool:
    """Nothing queued and nothing in flight anywhere: the run's frontier is done."""
    if server.zcard(keys.requests):
        return False
    return all(
        not server.hlen(keys.inflight(raw.decode() if isinstance(raw, bytes) else raw))
        for raw in server.smembers(keys.workers)
    )


def ack_when_done(crawler: Any) -> None:
    """Acknowledge each request when the engine lets go of it.

    The engine removes a request from its slot only after the download and the
    whole scrape (callback or errback, every item through the pipeline, every
    request scheduled), so that is when it is done. Scrapy has no signal for
    that moment: the slot's ``remove_request`` is wrapped (call once the spider is open).
    """
    slot = crawler.engine._slot
    remove = slot.remove_request

    def remove_and_ack(request: Request) -> None:
        try:
            remove(request)
        finally:
            ack_request(crawler, request)

    slot.remove_request = remove_and_ack
