"""The one item pipeline: list entries and document details go into the ledger."""

from __future__ import annotations

from typing import Any

from crawler.items import Document, ListEntry


class LedgerPipeline:
    """Writes the spiders' items to ``crawl.db`` through the running spider's ledger."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Any) -> LedgerPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        spider = self.crawler.spider
        record_item(spider.ledger, spider.run_id, item)
        return item


def record_item(ledger: Any, run_id: str, item: Any) -> None:
    """Write one item to the ledger."""
    if isinstance(item, ListEntry):
        ledger.record_listing(
            run_id=run_id,
            source_id=item["source_id"],
            url=item["url"],
            list_url=item.get("list_url"),
            title=item.get("title"),
            published=item.get("published"),
        )
    elif isinstance(item, Document) and item.get("capture_id"):
        ledger.set_capture_details(
            item["capture_id"], title=item.get("title"), kind=item.get("kind"), url=item["url"]
        )
