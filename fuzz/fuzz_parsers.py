"""Fuzz ``parsers.parse_document`` with generated and mutated documents.

Every document either parses or raises a ``parsers.ParseError`` subclass;
anything else is an *unhandled exception*. Every document must finish within
the per-document limits of ``parsers.bounded`` (wall-clock seconds, address
space); one that does not is a *limit overrun*. Both are saved under
``--crashes`` (input bytes + traceback) and counted.

Documents come from three generators, chosen per document from a seeded RNG
(the run is reproducible from ``--seed``):

- ``mutate``: a corpus file (``fuzz/corpus/``: text, HTML, DOCX, XLSX, PDF)
  with byte flips, inserted/deleted/duplicated chunks, splices of two files,
  truncation and hostile tokens (huge rowspan/colspan, deep nesting, odd
  encodings, ``<script>``, template syntax, numbers of every shape);
- ``generate``: documents built from the template's vocabulary: tables of
  random shape with labels, numbers and blanks, as HTML, Markdown or text;
- ``container``: ZIP packages (DOCX/XLSX skeletons) with random or hostile
  members (a zip bomb member, thousands of members, broken XML).

Usage (the long run lives outside CI; see fuzz/README.md)::

    .venv/bin/python fuzz/fuzz_parsers.py --count 100000 --workers 2 --seconds 3000
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import multiprocessing
import random
import resource
import signal
import sys
import time
import traceback
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

from parsers.bounded import DEFAULT_LIMITS

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus"

# Per-document limits, the build's (parsers.bounded): a document that needs more is
# a limit overrun.
DOC_SECONDS = DEFAULT_LIMITS.seconds
MEMORY_BYTES = DEFAULT_LIMITS.memory_bytes

LABELS = [
    "一、本年新收政府信息公开申请数量",
    "二、上年结转政府信息公开申请数量",
    "三、本年度办理结果",
    "（一）予以公开",
    "（七）总计",
    "四、结转下一年度继续办理",
    "自然人",
    "商业企业",
    "行政复议",
    "行政诉讼",
    "结果维持",
    "规章",
    "规范性文件",
    "行政许可",
    "行政处罚",
    "行政事业性收费",
    "本年新制发件数",
    "处理决定数量",
    "总计",
    "合计",
    "政府信息公开工作年度报告",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "某某市人民政府2021年政府信息公开工作年度报告",
]
NUMBERS = [
    "0",
    "1",
    "12",
    "4,633",
    "４６３３",
    "-3",
    "1e308",
    "9" * 400,
    "0.5",
    "12.3万元",
    "—",
    "-",
    "/",
    "无",
    "&nbsp;",
    "",
    "NaN",
    "Infinity",
    "１２３４５６７８９０",
    "230 000023",
]
HOSTILE = [
    b'<td rowspan="2147483647" colspan="2147483647">',
    b'<td rowspan="99999">',
    b'<td colspan="100000">x</td>',
    b"<table>" * 200,
    b"<div>" * 5000,
    b"<script>alert(1)</script>",
    b"{{ 7*7 }}{% for x in y %}",
    b'<meta charset="utf-16">',
    b'<meta charset="x-unknown-charset">',
    b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00" * 64,
    b"\xe4\xb8",
    b"\x81\x30\x81\x30",
    b"&#xD800;&#0;&#x110000;&#99999999999;",
    b"<![CDATA[",
    b"<!--",
    b"<?xml version='1.0' encoding='gbk'?>",
    b"|---|---|\n| a | b |\n",
    b"\t\t\t\t\t\t\t\n",
    b"\r\r\r\n\n",
    b"%PDF-1.7\n",
    b"PK\x03\x04",
    b"(\xe4\xb8\x80)" * 50,
]


def corpus(exclude: tuple[str, ...] = ()) -> list[tuple[str, bytes]]:
    return [
        (p.name, p.read_bytes())
        for p in sorted(CORPUS.iterdir())
        if p.is_file() and p.suffix.lstrip(".") not in exclude
    ]


# -- generators ----------------------------------------------------------------------


BINARY = (".docx", ".xlsx", ".pdf")


def mutate(rng: random.Random, files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    # Binary containers mostly fail at their checksum; one pick in ten keeps them in.
    binary_pick = rng.random() < 0.1
    name, data = rng.choice([f for f in files if f[0].endswith(BINARY) == binary_pick])
    buf = bytearray(data)
    if not binary_pick and len(buf) > 24_000 and rng.random() < 0.7:
        start = rng.randrange(len(buf) - 16_000)  # a window keeps documents quick
        buf = buf[start : start + rng.randrange(2_000, 16_000)]
    for _ in range(rng.choice((1, 1, 2, 3, 5, 10, 40))):
        op = rng.random()
        n = len(buf)
        if n == 0:
            buf.extend(rng.choice(HOSTILE))
            continue
        i = rng.randrange(n)
        if op < 0.25:
            buf[i] = rng.randrange(256)
        elif op < 0.40:
            del buf[i : i + rng.randrange(1, 200)]
        elif op < 0.55:
            buf[i:i] = rng.choice(HOSTILE)
        elif op < 0.65:
            j = rng.randrange(n)
            buf[i:i] = buf[j : j + rng.randrange(1, 400)]
        elif op < 0.72:
            buf[i:i] = rng.choice(LABELS + NUMBERS).encode(rng.choice(("utf-8", "gb18030")))
        elif op < 0.80:
            del buf[i:]
        elif op < 0.88:
            _other_name, other = rng.choice(files)
            j = rng.randrange(len(other))
            buf[i:] = other[j : j + rng.randrange(100, 8000)]
        else:
            for k in range(i, min(n, i + rng.randrange(1, 32))):
                buf[k] ^= 1 << rng.randrange(8)
    return f"mutate:{name}", bytes(buf)


def _cell(rng: random.Random) -> str:
    return rng.choice(NUMBERS) if rng.random() < 0.6 else rng.choice(LABELS)


def generate(rng: random.Random) -> tuple[str, bytes]:
    rows, cols = rng.randrange(1, 40), rng.randrange(1, 12)
    style = rng.choice(("html", "markdown", "text", "tsv"))
    grid = [[_cell(rng) for _ in range(cols)] for _ in range(rows)]
    title = rng.choice(LABELS)
    if style == "html":
        parts = [f"<html><head><title>{title}</title></head><body><table>"]
        for row in grid:
            cells = []
            for cell in row:
                attrs = ""
                if rng.random() < 0.1:
                    attrs = f' rowspan="{rng.choice((0, 1, 2, 3, 50, -1, "x"))}"'
                if rng.random() < 0.1:
                    attrs += f' colspan="{rng.choice((0, 2, 7, 1000))}"'
                cells.append(f"<td{attrs}>{cell}</td>")
            parts.append("<tr>" + "".join(cells) + "</tr>")
        parts.append("</table></body></html>")
        text = "".join(parts)
    elif style == "markdown":
        text = title + "\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in grid)
    elif style == "tsv":
        text = title + "\n" + "\n".join("\t".join(r) for r in grid)
    else:
        text = title + "\n" + "\n".join(c for r in grid for c in r)
    encoding = rng.choice(("utf-8", "utf-8", "gb18030", "utf-16"))
    return f"generate:{style}:{encoding}", text.encode(encoding, "replace")


def container(rng: random.Random) -> tuple[str, bytes]:
    buf = io.BytesIO()
    kind = rng.choice(("docx", "xlsx"))
    choice = rng.random()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        main = "word/document.xml" if kind == "docx" else "xl/workbook.xml"
        if choice < 0.3:
            zf.writestr(main, b"\x00" * rng.randrange(1, 64 * 1024 * 1024))  # a bomb
        elif choice < 0.5:
            for i in range(rng.randrange(100, 6000)):
                zf.writestr(f"word/m{i}.xml", b"")
            zf.writestr(main, "<w:document/>")
        elif choice < 0.8:
            body = "".join(f"<w:p><w:r><w:t>{_cell(rng)}</w:t></w:r></w:p>" for _ in range(50))
            xml = (
                '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                f"<w:body>{body}</w:body></w:document>"
            )
            zf.writestr(main, xml[: rng.randrange(len(xml) + 1)])
        else:
            zf.writestr(
                main,
                '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
                '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;">]>'
                "<x>&d;&d;&d;&d;&d;&d;&d;&d;</x>",
            )
    return f"container:{kind}", buf.getvalue()


def document(rng: random.Random, files: list[tuple[str, bytes]]) -> tuple[str, bytes]:
    r = rng.random()
    if r < 0.60:
        return mutate(rng, files)
    if r < 0.97:
        return generate(rng)
    return container(rng)


# -- the run -------------------------------------------------------------------------


class Overrun(Exception):
    pass


def _alarm(_signum: int, _frame: Any) -> None:
    raise Overrun(f"more than {DOC_SECONDS:g} s")


def _overrun(exc: BaseException | None) -> bool:
    """Whether the exception is (or was caused by) the time limit or memory running out."""
    seen = 0
    while exc is not None and seen < 20:
        if isinstance(exc, Overrun | MemoryError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def worker(args: tuple[int, int, int, float, str, tuple[str, ...]]) -> dict[str, Any]:
    """Fuzz ``count`` documents from stream ``index``; returns the counts."""
    index, count, seed, deadline, crashes_dir, exclude = args
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    signal.signal(signal.SIGALRM, _alarm)
    from parsers import ParseError, parse_document

    files = corpus(exclude)
    rng = random.Random(f"{seed}-{index}")
    counts: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    slowest = 0.0
    done = 0
    for _ in range(count):
        if time.time() > deadline:
            break
        origin, data = document(rng, files)
        counts[origin.split(":")[0]] += 1
        start = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, DOC_SECONDS)
        problem = None
        try:
            parse_document(data, None)
            outcomes["parsed"] += 1
        except ParseError as exc:
            outcomes["ParseError:" + type(exc).__name__] += 1
        except Overrun as exc:
            problem = ("overrun", exc)
        except MemoryError as exc:
            problem = ("overrun", exc)
        except Exception as exc:
            problem = ("overrun" if _overrun(exc) else "unhandled", exc)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        slowest = max(slowest, time.perf_counter() - start)
        done += 1
        if problem:
            outcomes[problem[0]] += 1
            digest = hashlib.sha256(data).hexdigest()[:16]
            out = Path(crashes_dir)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{problem[0]}-{digest}.bin").write_bytes(data)
            (out / f"{problem[0]}-{digest}.txt").write_text(
                origin + "\n" + "".join(traceback.format_exception(problem[1])), encoding="utf-8"
            )
    return {
        "documents": done,
        "generators": dict(counts),
        "outcomes": dict(outcomes),
        "slowest_s": round(slowest, 3),
        "max_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(
    count: int,
    workers: int,
    seconds: float,
    seed: int,
    crashes: Path,
    exclude: tuple[str, ...] = (),
) -> dict[str, Any]:
    started = time.time()
    deadline = started + seconds
    share = [count // workers + (1 if i < count % workers else 0) for i in range(workers)]
    jobs = [(i, share[i], seed, deadline, str(crashes), exclude) for i in range(workers)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        parts = pool.map(worker, jobs)
    total: dict[str, Any] = {"documents": 0, "generators": Counter(), "outcomes": Counter()}
    for part in parts:
        total["documents"] += part["documents"]
        total["generators"].update(part["generators"])
        total["outcomes"].update(part["outcomes"])
    elapsed = time.time() - started
    outcomes = total["outcomes"]
    return {
        "seed": seed,
        "excluded_corpus_formats": list(exclude),
        "requested": count,
        "documents": total["documents"],
        "seconds": round(elapsed, 1),
        "documents_per_second": round(total["documents"] / elapsed, 1),
        "unhandled_exceptions": outcomes.get("unhandled", 0),
        "limit_overruns": outcomes.get("overrun", 0),
        "limits": {"seconds_per_document": DOC_SECONDS, "address_space_bytes": MEMORY_BYTES},
        "generators": dict(total["generators"]),
        "outcomes": dict(sorted(outcomes.items())),
        "slowest_document_s": max(p["slowest_s"] for p in parts),
        "max_worker_rss_mib": max(p["max_rss_mib"] for p in parts),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=600.0, help="stop after this long")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--crashes", type=Path, default=HERE / "crashes")
    parser.add_argument("--out", type=Path, help="write the figures here as JSON")
    parser.add_argument(
        "--exclude", default="", help="corpus formats not mutated, comma-separated (e.g. pdf)"
    )
    args = parser.parse_args(argv)
    exclude = tuple(x for x in args.exclude.split(",") if x)
    figures = run(args.count, args.workers, args.seconds, args.seed, args.crashes, exclude)
    text = json.dumps(figures, ensure_ascii=False, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 1 if figures["unhandled_exceptions"] or figures["limit_overruns"] else 0


if __name__ == "__main__":
    sys.exit(main())
