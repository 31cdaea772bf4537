"""Hostile and broken documents, built in code (nothing large is stored)."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
)


def zip_bomb_docx(expanded: int = 320 * 1024 * 1024) -> bytes:
    """A DOCX whose document.xml inflates to ``expanded`` bytes (~300 KB on disk)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        with package.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(expanded // len(chunk)):
                member.write(chunk)
    return out.getvalue()


def lying_docx() -> bytes:
    """A DOCX whose document.xml header declares 100 bytes but inflates to 8 MB."""
    body = b"<w:document>" + b" " * (8 * 1024 * 1024) + b"</w:document>"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES)
        package.writestr("word/document.xml", body)
    data = bytearray(out.getvalue())
    size = struct.pack("<I", len(body))
    lie = struct.pack("<I", 100)
    # patch the uncompressed size in the local header and the central directory
    start = 0
    while (index := data.find(size, start)) != -1:
        data[index : index + 4] = lie
        start = index + 4
    return bytes(data)


def pdf_file(objects: list[bytes], trailer_extra: bytes = b"") -> bytes:
    """A PDF with correct cross-reference offsets from numbered object bodies."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R " % (len(objects) + 1) + trailer_extra + b">>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def encrypted_pdf() -> bytes:
    """A PDF under the standard security handler whose user password is not empty."""
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
            b"<< /Filter /Standard /V 1 /R 2 /P -44 /O <"
            + b"4f" * 32
            + b"> /U <"
            + b"a7" * 32
            + b"> >>",
        ],
        trailer_extra=b"/Encrypt 4 0 R /ID [<0123456789abcdef0123456789abcdef> "
        b"<0123456789abcdef0123456789abcdef>] ",
    )


def many_pages_pdf(pages: int = 500) -> bytes:
    kids = b" ".join(b"%d 0 R" % (3 + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * pages
    return pdf_file(objects)


def huge_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A PNG header claiming width × height gray pixels (the pixel data is not there)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def fake_doc() -> bytes:
    """OLE2 magic and a WordDocument stream name, but no readable Word document."""
    return (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 504
        + "WordDocument".encode("utf-16-le")
        + b"\x17" * 4000
    )


def garbage_text_pdf(jpeg: bytes, width: int, height: int) -> bytes:
    """A scanned page with an invisible text layer that decodes to private-use characters.

    What a PDF made with a font lacking a usable ToUnicode gives: text that
    extracts as U+E0xx. The page image (``jpeg``, width × height pixels) is
    drawn over the whole A4 page.
    """
    differences = b" ".join(b"/uniE0%02X" % n for n in range(26))
    content = (
        b"q 595 0 0 842 0 0 cm /Im1 Do Q BT /F1 12 Tf 3 Tr 72 760 Td "
        b"(ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEFGHIJ) Tj ET"
    )
    image = (
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Filter /DCTDecode /Length %d >>\nstream\n"
        % (width, height, len(jpeg))
        + jpeg
        + b"\nendstream"
    )
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
            b"/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding << /Type /Encoding "
            b"/Differences [65 " + differences + b"] >> >>",
            image,
        ]
    )
