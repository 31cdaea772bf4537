"""The run's duplicate filter: in memory only, even when the run has a ``JOBDIR``.

Scrapy's filter persists every fingerprint it has seen into ``JOBDIR``, so a
resumed run would never ask again for a request that failed before the stop,
nor rebuild its list walk. Here a resumed run starts with an empty filter:
its walk is rebuilt from the sources, and every request the run already
fetched is answered from the archive (``crawler.middlewares.archive``), so
nothing is fetched twice and nothing that failed is forgotten.
"""

from __future__ import annotations

from typing import Any

from scrapy.dupefilters import RFPDupeFilter


class RunDupeFilter(RFPDupeFilter):
    @classmethod
    def from_crawler(cls, crawler: Any) -> RunDupeFilter:
        return cls(
            None,
            debug=crawler.settings.getbool("DUPEFILTER_DEBUG"),
            fingerprinter=crawler.request_fingerprinter,
        )
