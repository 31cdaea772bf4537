"""What the spiders hand to the pipeline: list entries seen and documents read.

Bodies and captures are written by the archive middleware at the HTTP
boundary; items carry only what a spider learns by reading a page.
"""

from __future__ import annotations

import scrapy


class ListEntry(scrapy.Item):
    """An item seen in a source's 年报 list (kept after it drops out of the list)."""

    source_id = scrapy.Field()
    list_url = scrapy.Field()
    url = scrapy.Field()
    title = scrapy.Field()
    published = scrapy.Field()


class Document(scrapy.Item):
    """A fetched report page or attachment, with what its body says about it."""

    source_id = scrapy.Field()
    capture_id = scrapy.Field()
    url = scrapy.Field()
    kind = scrapy.Field()  # report | attachment | other
    title = scrapy.Field()
    published = scrapy.Field()
    parent_url = scrapy.Field()
