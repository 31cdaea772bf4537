"""Downloader middlewares, one concern each.

- ``archive``: every fetch into the raw store and the ledger (and replay of the
  fetches a resumed run already made), conditional requests, encoding decisions.
- ``waf``: WAF challenge detection → the host is blocked for the run, its pending
  requests dropped, the evidence recorded. Never a bypass.
- ``robots``: robots.txt obeyed, and a robots.txt that answers 5xx, a challenge or
  nothing at all means "not tonight" (Scrapy alone would read it as "allow all").
- ``politeness``: a source's own delay kept exactly (AutoThrottle only raises
  it), and ``Retry-After`` honoured by holding the host's download slot.

They reach the run's ledger, raw store and blocked hosts through the running
spider (``crawler.spider``, a ``crawler.spiders.base.PortalSpider``).
"""
