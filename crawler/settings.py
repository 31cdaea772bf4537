"""The crawler's Scrapy settings: polite by default, every fetch archived.

Politeness: robots.txt obeyed (a robots.txt answering 5xx or a challenge means
"not tonight"), one request at a time per host, a delay between requests plus
AutoThrottle, ``Retry-After`` honoured, an identifying User-Agent. Tests and
benchmarks override the delays with ``-s`` / settings overrides, never here.

The ``XXGK_*`` settings are the project's own:

- ``XXGK_DATA_DIR``: the data directory (raw store + ``crawl.db``); the CLI sets it.
- ``XXGK_RUN_ID``: the run the spider's fetches belong to (the CLI sets it;
  ``scrapy crawl`` gets a fresh one).
- ``XXGK_SOURCES_DIR``: where the source YAML files are (default: the package's).
- ``XXGK_RECHECK_UNVALIDATED_DAYS``: how often documents without validators
  (no ETag, no Last-Modified) are fetched again to catch edits (others are
  re-checked every run with a conditional request).
- ``XXGK_RETRY_AFTER_MAX``: the longest ``Retry-After`` honoured, in seconds;
  a longer one gives up on the request for the night.
- ``XXGK_MAX_LIST_PAGES`` / ``XXGK_MAX_DOCUMENTS``: per source and run, the most
  list pages and documents fetched (a calendar trap or a 10,000-link page stops
  there, recorded as refused).
"""

BOT_NAME = "xxgk"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

USER_AGENT = (
    "xxgk-archive/0.1 (+https://github.com/xxgk-archive/xxgk-archive; archive of "
    "政府信息公开工作年度报告; polite nightly crawler)"
)

# -- politeness ----------------------------------------------------------------
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 3.0
DOWNLOAD_DELAY_JITTER = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 3.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
COOKIES_ENABLED = False

# -- robustness and limits -------------------------------------------------------
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 200 * 1024 * 1024
DOWNLOAD_WARNSIZE = 50 * 1024 * 1024
DOWNLOAD_FAIL_ON_DATALOSS = True
RETRY_ENABLED = True
RETRY_TIMES = 2
# 412/521/403 are blocks, not transient errors: they are never retried.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
REDIRECT_MAX_TIMES = 5
DEPTH_LIMIT = 0
HTTPERROR_ALLOWED_CODES = [304]
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no listening port on the crawl machine
LOG_LEVEL = "INFO"

# -- the archive -------------------------------------------------------------------
DOWNLOADER_MIDDLEWARES = {
    # First: a request off its source's allow-list or past its budgets is refused.
    "crawler.middlewares.limits.AllowListMiddleware": 30,
    # Before Scrapy's RedirectMiddleware (600): a redirect off the allow-list is refused.
    "crawler.middlewares.limits.RedirectGuardMiddleware": 610,
    "crawler.middlewares.waf.BlockGuardMiddleware": 40,
    "crawler.middlewares.politeness.FixedDelayMiddleware": 45,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawler.middlewares.robots.HonestRobotsTxtMiddleware": 100,
    "crawler.middlewares.politeness.RetryAfterMiddleware": 560,
    "crawler.middlewares.waf.ChallengeMiddleware": 585,
    "crawler.middlewares.archive.ArchiveMiddleware": 589,
}
DOWNLOAD_HANDLERS = {
    # Only http(s): a portal's file:/ftp:/data: link or redirect is never fetched.
    "file": None,
    "ftp": None,
    "s3": None,
    "data": None,
    "http": "crawler.middlewares.waf.GuardedHTTPDownloadHandler",
    "https": "crawler.middlewares.waf.GuardedHTTPDownloadHandler",
}
# Per source and run: list pages and documents past the budgets are never scheduled.
SPIDER_MIDDLEWARES = {
    "crawler.middlewares.limits.SourceBudgetMiddleware": 50,
}
ITEM_PIPELINES = {
    "crawler.pipelines.LedgerPipeline": 300,
}
DUPEFILTER_CLASS = "crawler.dupefilter.RunDupeFilter"
EXTENSIONS = {
    "crawler.run.ProgressReporter": 500,
}
XXGK_PROGRESS_INTERVAL = 10.0
# Documents whose server sends neither ETag nor Last-Modified cannot be re-checked
# without downloading them again: they are re-checked after this many days only.
XXGK_RECHECK_UNVALIDATED_DAYS = 7.0
XXGK_RETRY_AFTER_MAX = 300.0
# Per source and run (crawler.middlewares.limits): pagination traps and link floods stop here.
XXGK_MAX_LIST_PAGES = 2000
XXGK_MAX_DOCUMENTS = 20000
# Items taken from one list page (real pages hold at most a few hundred).
XXGK_MAX_LINKS_PER_PAGE = 1000

FEED_EXPORT_ENCODING = "utf-8"
