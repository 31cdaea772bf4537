"""The Scrapy project that collects annual reports from government portals.

What lives here:

- ``sources/``: one YAML file per portal (id = file stem, full pinyin), validated
  by the typed model in ``registry.py``.
- ``spiders/``: one spider per CMS family plus a generic one; spiders yield
  requests and archive items only, never parse reports or write SQLite.
- ``settings.py``: the one polite settings module (robots.txt, one request at a
  time per host, delays, AutoThrottle, size limits).
- ``fixture_portals/``: the fixture portal network the tests and the demo crawl
  on loopback, imitating the real CMS families and their failure modes.

Adding a portal on a known family needs only a YAML file in ``sources/``.
"""
