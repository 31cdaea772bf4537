"""A failed fetch in words, for the ledger and the run log.

Twisted and Scrapy leave some failures without a message: a body that grows past
``DOWNLOAD_MAXSIZE`` while streaming is cancelled with a bare
``DownloadCancelledError`` (Twisted's ``CancelledError`` underneath). A refusal
recorded as "DownloadCancelledError" tells the operator nothing; this says why.
"""

from __future__ import annotations

from scrapy.exceptions import DownloadCancelledError
from twisted.internet.defer import CancelledError


def describe(exception: BaseException, maxsize: int) -> str:
    """``Type: message``, with the likely reason when the exception carries none."""
    message = str(exception)
    if not message and isinstance(exception, (CancelledError, DownloadCancelledError)):
        message = (
            f"download cancelled (usually: the body passed DOWNLOAD_MAXSIZE, {maxsize:,} bytes)"
        )
    return f"{type(exception).__name__}: {message}" if message else type(exception).__name__
