"""Every Redis key of a distributed run, named in one place.

All of a run's state lives under ``xxgk:run:<run_id>:``, so a new night (a new
run id) starts with an empty queue and an empty dupefilter, and a run is
resumed by naming it. Host leases are not per run: two runs overlapping in time
still never fetch one host at once.
"""

from __future__ import annotations

from dataclasses import dataclass

PREFIX = "xxgk"
CURRENT_RUN = f"{PREFIX}:current-run"


def lease_key(host: str) -> str:
    """The per-host politeness lease (shared by every run)."""
    return f"{PREFIX}:lease:{host}"


@dataclass(frozen=True)
class RunKeys:
    run_id: str

    @property
    def base(self) -> str:
        return f"{PREFIX}:run:{self.run_id}"

    @property
    def config(self) -> str:
        """Hash: what the run crawls (sources, overrides) and its state."""
        return f"{self.base}:config"

    @property
    def requests(self) -> str:
        """Sorted set: the frontier (scrapy-redis priority queue)."""
        return f"{self.base}:requests"

    def host_sequence(self, host: str) -> str:
        """Counter: requests queued so far for ``host`` (host-fair order in the queue)."""
        return f"{self.base}:host-seq:{host}"

    @property
    def dupefilter(self) -> str:
        """Set: fingerprints of every request the run has scheduled."""
        return f"{self.base}:dupefilter"

    @property
    def workers(self) -> str:
        """Set: the names of the workers that joined the run."""
        return f"{self.base}:workers"

    def inflight(self, worker: str) -> str:
        """Hash: id → score|request, popped by ``worker`` and not yet done."""
        return f"{self.base}:inflight:{worker}"

    def alive(self, worker: str) -> str:
        """String with a TTL, renewed by the worker's heartbeat."""
        return f"{self.base}:alive:{worker}"

    @property
    def inflight_ids(self) -> str:
        """Counter: ids of popped requests."""
        return f"{self.base}:inflight-ids"

    @property
    def journal(self) -> str:
        """List: the workers' ledger writes, in order (merged into crawl.db)."""
        return f"{self.base}:journal"

    @property
    def merged(self) -> str:
        """Integer: how many journal entries are already in crawl.db."""
        return f"{self.base}:merged"

    @property
    def idmap(self) -> str:
        """Hash: ``worker:local capture id`` → capture id in crawl.db."""
        return f"{self.base}:idmap"

    @property
    def blocked(self) -> str:
        """Hash: host → why it is blocked for the run (seen by every worker)."""
        return f"{self.base}:blocked"

    @property
    def requeued(self) -> str:
        """Integer: in-flight requests put back after a worker died."""
        return f"{self.base}:requeued"
