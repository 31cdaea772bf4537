"""Resource limits for hostile or broken documents, declared in one place.

Every format parser checks its input against these before doing real work, so
that a zip bomb, a 500-page PDF or a 20,000 × 20,000 image is refused (or cut
short) with a recorded reason instead of exhausting memory or time. External
converters run under ``run_limited``: a private scratch directory, a wall-clock
timeout, an address-space cap, and a kill of the whole process group.
"""

from __future__ import annotations

import contextlib
import io
import os
import resource
import signal
import subprocess
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from parsers.errors import DocumentTooLarge, ParseError

MAX_DOCUMENT_BYTES = 200 * 1024 * 1024
MAX_PDF_PAGES = 300
MAX_OCR_PAGES = 60
# OCR time for one document, kept under the bounded parser's 120 s wall limit so a
# broken PDF that falls back to OCR is refused with this reason instead of killed.
MAX_OCR_SECONDS = 100.0
MAX_IMAGE_PIXELS = 12_000 * 12_000
MAX_ZIP_UNCOMPRESSED = 256 * 1024 * 1024
MAX_ZIP_RATIO = 200
MAX_ZIP_MEMBERS = 5_000
MAX_SHEET_CELLS = 2_000_000
CONVERTER_TIMEOUT_S = 120.0
CONVERTER_MEMORY_BYTES = 3 * 1024 * 1024 * 1024


class ConversionFailed(ParseError):
    """An external converter (LibreOffice) failed, timed out or produced nothing."""


class EncryptedDocument(ParseError):
    """The document is encrypted or password-protected."""


class CorruptDocument(ParseError):
    """The document is truncated or malformed beyond reading."""


def check_size(data: bytes, kind: str) -> None:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentTooLarge(
            f"{kind} of {len(data):,} bytes exceeds the limit of {MAX_DOCUMENT_BYTES:,} bytes"
        )


# What zipfile raises on a damaged or unusual package: BadZipFile; NotImplementedError (a
# compression method or format version it lacks, a kind of RuntimeError); RuntimeError
# (an encrypted member); EOFError and zlib.error (a truncated or corrupt stream); ValueError
# and OSError (impossible offsets and sizes).
ZIP_ERRORS = (zipfile.BadZipFile, RuntimeError, EOFError, zlib.error, ValueError, OSError)


def open_zip(data: bytes, kind: str) -> zipfile.ZipFile:
    """Open an OOXML package after checking its declared sizes (zip bombs)."""
    check_size(data, kind)
    try:
        package = zipfile.ZipFile(io.BytesIO(data))
    except ZIP_ERRORS as error:
        raise CorruptDocument(f"{kind} is not a readable ZIP package: {error}") from error
    members = package.infolist()
    if len(members) > MAX_ZIP_MEMBERS:
        raise DocumentTooLarge(
            f"{kind} has {len(members):,} ZIP members (limit {MAX_ZIP_MEMBERS:,})"
        )
    total = sum(m.file_size for m in members)
    packed = sum(m.compress_size for m in members) or 1
    if total > MAX_ZIP_UNCOMPRESSED:
        raise DocumentTooLarge(
            f"{kind} would expand to {total:,} bytes (limit {MAX_ZIP_UNCOMPRESSED:,}): zip bomb refused"
        )
    if total > 10 * 1024 * 1024 and total / packed > MAX_ZIP_RATIO:
        raise DocumentTooLarge(
            f"{kind} has a compression ratio of {total / packed:.0f}:1 (limit {MAX_ZIP_RATIO}:1): "
            "zip bomb refused"
        )
    return package


def read_member(package: zipfile.ZipFile, name: str, kind: str) -> bytes:
    """Read one member, never more than its declared size (a lying header is cut)."""
    try:
        info = package.getinfo(name)
    except KeyError as error:
        raise CorruptDocument(f"{kind} has no {name}") from error
    try:
        with package.open(info) as stream:
            data = stream.read(min(info.file_size, MAX_ZIP_UNCOMPRESSED) + 1)
    except ZIP_ERRORS as error:
        raise CorruptDocument(f"{kind}: {name} cannot be read: {error}") from error
    if len(data) > info.file_size:
        raise CorruptDocument(f"{kind}: {name} is larger than its header says")
    return data


def check_pixels(width: int, height: int, what: str) -> None:
    if width * height > MAX_IMAGE_PIXELS:
        raise DocumentTooLarge(
            f"{what} of {width:,}×{height:,} pixels exceeds the limit of {MAX_IMAGE_PIXELS:,} pixels"
        )


@dataclass
class Completed:
    returncode: int
    stdout: bytes
    stderr: bytes


def run_limited(
    command: Sequence[str],
    *,
    cwd: str,
    timeout: float = CONVERTER_TIMEOUT_S,
    memory: int = CONVERTER_MEMORY_BYTES,
) -> Completed:
    """Run a converter in its own process group with a memory cap and a timeout."""

    def limit() -> None:  # runs in the child, before exec
        os.setsid()
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    try:
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=limit,
        )
    except OSError as error:
        raise ConversionFailed(f"cannot start {command[0]}: {error}") from error
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        _kill_group(process.pid)
        process.communicate()
        raise ConversionFailed(
            f"{os.path.basename(command[0])} timed out after {timeout:.0f} s"
        ) from error
    _kill_group(process.pid)  # helpers (oosplash → soffice.bin) must not outlive the call
    return Completed(process.returncode, stdout, stderr)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
