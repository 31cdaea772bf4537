"""Benchmark the document-format parsers: pages per second per core, OCR seconds per page, peak memory.

Each format runs in its own child process (so that peak RSS is that format's
own), on renderings of the seed reports and synthetic reports
(``crawler/fixture_portals/render_office.py``). "Per core" is measured as CPU
time of the child (user + system, children included for LibreOffice), with
OCR limited to one thread (``XXGK_OCR_THREADS=1``); wall time is shown too.
A page is a page of the same report's text PDF.

    .venv/bin/python benchmarks/formats.py            # all formats
    .venv/bin/python benchmarks/formats.py pdf docx   # some
    .venv/bin/python benchmarks/formats.py --reports 10 --ocr-pages 3
    .venv/bin/python benchmarks/formats.py --accuracy 3   # OCR cells right at 300/150 dpi

Results go to stdout as a Markdown table (copy it into benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORMATS = ("pdf", "docx", "xlsx", "doc", "xls", "scan300", "scan150")


def _specs(count: int) -> list[dict]:
    from crawler.fixture_portals.reports import seed_reports, synthetic_reports

    return (seed_reports() + synthetic_reports(count, seed=11))[: max(count, 1)]


def _pages(pdf: bytes) -> int:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return len(document)
    finally:
        document.close()


def run_one(fmt: str, reports: int, ocr_pages: int) -> dict:
    """Measure one format in this process (called in a child)."""
    from crawler.fixture_portals import render_office
    from parsers import parse_document
    from parsers.ocr import engine

    specs = _specs(reports)
    documents: list[tuple[bytes, int]] = []
    for spec in specs:
        pdf = render_office.render_pdf(spec)
        pages = _pages(pdf)
        if fmt == "pdf":
            documents.append((pdf, pages))
        elif fmt in ("docx", "xlsx", "doc", "xls"):
            documents.append((getattr(render_office, f"render_{fmt}")(spec), pages))
        else:
            dpi = int(fmt.removeprefix("scan"))
            for image in render_office.render_png(spec, dpi)[:ocr_pages]:
                documents.append((image, 1))
            break  # OCR is slow: one report's first pages
    if fmt.startswith("scan"):
        engine()  # model loading is not per page
    base_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    cpu0 = _cpu()
    wall0 = time.perf_counter()
    pages = 0
    for data, count in documents:
        if fmt.startswith("scan"):
            from parsers.ocr import image_file_blocks

            image_file_blocks(data)
        else:
            parse_document(data)
        pages += count
    cpu = _cpu() - cpu0
    wall = time.perf_counter() - wall0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "format": fmt,
        "documents": len(documents),
        "pages": pages,
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "pages_per_cpu_s": round(pages / cpu, 2) if cpu else None,
        "cpu_s_per_page": round(cpu / pages, 3) if pages else None,
        "peak_rss_mb": round(peak / 1024, 1),
        "rss_growth_mb": round((peak - base_rss) / 1024, 1),
    }


def ocr_accuracy(reports: int) -> list[dict]:
    """Whole scanned reports (image-only PDF) at 300 and 150 dpi, scored cell by cell."""
    from crawler.fixture_portals import render_office
    from parsers import parse_document
    from tests.formats.scoring import score

    specs = _specs(reports)
    rows = []
    for dpi in (300, 150):
        cells = wrong = silent = flagged_docs = pages = 0
        cpu = wall = 0.0
        for spec in specs:
            data = render_office.render_scan_pdf(spec, dpi)
            pages += _pages(data)
            cpu0, wall0 = _cpu(), time.perf_counter()
            got = parse_document(data).to_json()
            cpu += _cpu() - cpu0
            wall += time.perf_counter() - wall0
            result = score(got, spec)
            cells += len(result.cells)
            wrong += len(result.wrong)
            silent += len(result.silent)
            flagged_docs += bool(result.new_failing_checks)
            for cell in result.wrong:
                print(f"{dpi} dpi {spec['document']} {cell}", file=sys.stderr)
        rows.append(
            {
                "dpi": dpi,
                "reports": len(specs),
                "pages": pages,
                "cells": cells,
                "right_pct": round(100 * (cells - wrong) / cells, 2),
                "wrong": wrong,
                "silent_wrong": silent,
                "reports_with_new_failing_identity": flagged_docs,
                "cpu_s_per_page": round(cpu / pages, 2),
                "wall_s_per_page": round(wall / pages, 2),
            }
        )
        print(json.dumps(rows[-1]), file=sys.stderr)
    return rows


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("formats", nargs="*", default=list(FORMATS))
    parser.add_argument("--reports", type=int, default=8)
    parser.add_argument("--ocr-pages", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--accuracy", type=int, metavar="REPORTS", help="score OCR instead")
    args = parser.parse_args()
    if args.accuracy:
        rows = ocr_accuracy(args.accuracy)
        print(
            "| dpi | reports | pages | cells | right % | wrong | silent wrong | CPU s/page | wall s/page |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(
                f"| {r['dpi']} | {r['reports']} | {r['pages']} | {r['cells']} | {r['right_pct']} "
                f"| {r['wrong']} | {r['silent_wrong']} | {r['cpu_s_per_page']} | {r['wall_s_per_page']} |"
            )
        return
    if args.one:
        print(json.dumps(run_one(args.one, args.reports, args.ocr_pages)))
        return
    rows = []
    env = {**os.environ, "XXGK_OCR_THREADS": "1", "OMP_NUM_THREADS": "1"}
    for fmt in args.formats:
        command = [sys.executable, __file__, "--one", fmt, "--reports", str(args.reports)]
        command += ["--ocr-pages", str(args.ocr_pages)]
        out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), file=sys.stderr)
    print(
        "| format | documents | pages | CPU s | wall s | pages / CPU s | CPU s / page | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['format']} | {r['documents']} | {r['pages']} | {r['cpu_s']} | {r['wall_s']} "
            f"| {r['pages_per_cpu_s']} | {r['cpu_s_per_page']} | {r['peak_rss_mb']} |"
        )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
