"""The content-addressed raw store: every body fetched, stored once under its SHA-256.

Layout: ``<data>/raw/<sha256[:2]>/<sha256>``. A blob is written to a temporary
file in the same directory and renamed into place, so readers never see a
partial blob and concurrent writers of the same bytes are harmless. Blobs are
addressed only by hash: no path is ever built from a URL or a file name.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class RawStore:
    """Immutable blobs keyed by the SHA-256 of their content."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.root = Path(data_dir) / "raw"

    def path(self, sha256: str) -> Path:
        """The blob's path; refuses anything that is not a SHA-256 hex digest."""
        if not _SHA256.match(sha256):
            raise ValueError(f"not a sha256 digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        """Store ``data`` (once) and return its SHA-256."""
        sha256 = hashlib.sha256(data).hexdigest()
        target = self.path(sha256)
        if target.exists():
            return sha256
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def __contains__(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def __iter__(self):  # type: ignore[no-untyped-def]
        """Every stored digest."""
        if not self.root.exists():
            return
        for sub in sorted(self.root.iterdir()):
            if sub.is_dir():
                for blob in sorted(sub.iterdir()):
                    if _SHA256.match(blob.name):
                        yield blob.name
