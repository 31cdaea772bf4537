"""The nightly crawl on several workers, sharing one Redis frontier.

One Redis holds a run's frontier; any number of workers (``xxgk crawl-cluster
worker``, on one machine or many) pull from it and push to it. The pieces, one
concept per module:

- ``keys``: every Redis key of a run, named in one place (per-run keys, so a new
  night never inherits yesterday's dupefilter).
- ``frontier``: scrapy-redis's scheduler and priority queue, with a per-worker
  *in-flight* hash: a popped request stays there until its callback has run,
  and a worker whose heartbeat lapses (``kill -9``, a lost machine) has its
  in-flight requests put back in the queue for the others.
- ``lease``: politeness across workers: a Redis-held per-host lease (``SET NX
  PX``) taken before a request is sent and turned into the host's delay when the
  answer is in, so a host is never fetched by two workers at once and its delay
  holds globally.
- ``journal``: each worker's ledger writes also go to a Redis list, in the order
  they happened; ``merge`` replays them into the one ``crawl.db``.
- ``worker``: the worker's spider (the generic spider on a snapshot of the
  ledger, writing bodies into the shared raw store), its heartbeat and idle
  logic, and the settings that wire it all.
- ``cluster``: starting a run (seeding), running workers, waiting for the
  frontier to drain, merging; ``local_cluster`` does all of it on one machine.
- ``redis_server``: a private ``redis-server`` on loopback (tests, ``xxgk crawl
  --workers N``); never the system service.
- ``cli``: ``xxgk crawl-cluster start|worker|merge|status|local``.

Settings (``-s NAME=VALUE``, beside the crawler's own): ``REDIS_URL`` (set from
``--redis``), ``XXGK_CLUSTER_HEARTBEAT_TTL`` (30 s: a worker silent that long is
taken for dead and its in-flight requests go back to the queue) and
``XXGK_CLUSTER_LEASE_TTL`` (15 s: how long a dead worker's host lease blocks the
host; live workers renew theirs four times per TTL).
"""
