"""The same reports in every rendering a portal or converter produces, parsed cell by cell.

Each seed (and a series of synthetic reports) is rendered as a portal page in
each CMS style, with 表三 whole and cut in two, as a content fragment, as a GBK
page (declared gb2312, with the GBK-only 堃 in its text), as pages whose HTTP
header and ``<meta>`` disagree about the charset, with a UTF-8 BOM, and as the
Markdown a PDF converter emits. ``parsers.parse_document`` must give back every
cell of the spec (blank stays ``None``), the organisation, year, template and
the set of failing checks.
"""

from __future__ import annotations

import copy
import fnmatch
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from crawler.fixture_portals.render_html import (
    QUIRKS,
    render_markdown,
    render_report_html,
    render_text,
)
from crawler.fixture_portals.reports import (
    differences,
    hybrid_report,
    pre2019_report,
    seed_reports,
    synthetic_reports,
)
from parsers import DocumentMeta, parse_document

SEEDS = seed_reports()
SYNTHETIC = synthetic_reports(36)
ALL_SECTIONS = ["overview", "proactive", "requests", "review_litigation", "problems", "other"]
GBK_ONLY = "联系人：王堃（电话：0571-87000000）。"
PAGE_URL = "http://www.example.gov.cn/zwgk/zfxxgknb/202101/t20210120_123456.html"

Rendering = Callable[[dict[str, Any]], tuple[bytes, DocumentMeta]]


def _meta(content_type: str = "text/html") -> DocumentMeta:
    return DocumentMeta(
        name="t20210120_123456.html", url=PAGE_URL, headers={"Content-Type": content_type}
    )


def _with_gbk_only_text(spec: dict[str, Any]) -> dict[str, Any]:
    """The spec with a sentence holding 堃 (in GBK, not in GB2312) in its last section."""
    spec = copy.deepcopy(spec)
    texts = spec["section_texts"]
    texts["other"] = (texts.get("other") or "") + "\n" + GBK_ONLY
    return spec


def _html(
    style: str,
    split: bool = False,
    chrome: bool = True,
    quirks: tuple[str, ...] = (),
    encoding: str = "utf-8",
) -> Rendering:
    def render(spec: dict[str, Any]) -> tuple[bytes, DocumentMeta]:
        data = render_report_html(
            spec, style=style, chrome=chrome, split_tables=split, quirks=quirks, encoding=encoding
        )
        return data, _meta("text/html" if encoding != "utf-8" else "text/html; charset=utf-8")

    return render


def _gbk(header: str, meta_charset: str = "gb2312") -> Rendering:
    def render(spec: dict[str, Any]) -> tuple[bytes, DocumentMeta]:
        data = render_report_html(_with_gbk_only_text(spec), style="trs", encoding=meta_charset)
        return data, _meta(header)

    return render


def _utf8_declared_gbk(spec: dict[str, Any]) -> tuple[bytes, DocumentMeta]:
    """UTF-8 bytes and meta, while the HTTP header claims GBK."""
    data = render_report_html(_with_gbk_only_text(spec), style="hanweb")
    return data, _meta("text/html; charset=GBK")


def _bom(spec: dict[str, Any]) -> tuple[bytes, DocumentMeta]:
    data = render_report_html(_with_gbk_only_text(spec), style="gkmlpt")
    return b"\xef\xbb\xbf" + data, _meta("text/html")


def _markdown(spec: dict[str, Any]) -> tuple[bytes, DocumentMeta]:
    return render_markdown(spec).encode("utf-8"), DocumentMeta(name="report.md")


def _text(layout: str) -> Rendering:
    def render(spec: dict[str, Any]) -> tuple[bytes, DocumentMeta]:
        return render_text(spec, layout).encode("utf-8"), DocumentMeta(name="report.txt")

    return render


def _markdown_quirks(spec: dict[str, Any]) -> tuple[bytes, DocumentMeta]:
    text = render_markdown(spec, quirks=("numbers", "labels"))
    return text.encode("utf-8"), DocumentMeta(name="report.md")


RENDERINGS: dict[str, Rendering] = {
    "trs": _html("trs"),
    "trs-split": _html("trs", split=True),
    "hanweb": _html("hanweb"),
    "hanweb-split": _html("hanweb", split=True),
    "gkmlpt": _html("gkmlpt"),
    "gkmlpt-split": _html("gkmlpt", split=True),
    "fragment": _html("trs", chrome=False),
    "gbk": _gbk("text/html"),
    "gbk-header-latin1": _gbk("text/html; charset=ISO-8859-1"),
    "gbk-header-utf8": _gbk("text/html; charset=utf-8", meta_charset="gbk"),
    "utf8-header-gbk": _utf8_declared_gbk,
    "bom": _bom,
    "markdown": _markdown,
    "text-lines": _text("lines"),
    "text-tabs": _text("tabs"),
    # The same reports printed the way some real pages print them (render_html.QUIRKS).
    "quirk-word": _html("trs", quirks=("word",)),
    "quirk-numbers": _html("hanweb", quirks=("numbers",)),
    "quirk-labels": _html("gkmlpt", quirks=("labels",)),
    "quirk-thead": _html("hanweb", quirks=("thead",)),
    "quirk-layout": _html("trs", split=True, quirks=("layout",)),
    "quirk-sidebar": _html("hanweb", quirks=("sidebar",)),
    "quirk-malformed-meta": _html("trs", quirks=("malformed_meta",), encoding="gbk"),
    "quirk-split-proactive": _html("gkmlpt", quirks=("split_proactive",)),
    "quirk-short-headers": _html("trs", quirks=("short_headers",)),
    "quirk-old-html": _html("hanweb", quirks=("old_html",), encoding="gbk"),
    "quirk-all": _html("gkmlpt", split=True, quirks=tuple(sorted(QUIRKS)), encoding="gb2312"),
    "markdown-quirks": _markdown_quirks,
}
GBK_ONLY_RENDERINGS = {"gbk", "gbk-header-latin1", "gbk-header-utf8", "utf8-header-gbk", "bom"}

# Cases the parser gets wrong today, as "document:rendering" patterns → reason.
# The parser's owner removes an entry when the parser is fixed (strict xfail
# turns a fixed case into a failure, so the list cannot go stale).
KNOWN_PARSER_FAILURES: dict[str, str] = {}


def _cases(specs: list[dict[str, Any]]) -> list[Any]:
    cases = []
    for spec in specs:
        for name in RENDERINGS:
            case_id = f"{spec['document']}:{name}"
            reasons = [
                r for pat, r in KNOWN_PARSER_FAILURES.items() if fnmatch.fnmatch(case_id, pat)
            ]
            marks = [pytest.mark.xfail(strict=True, reason=reasons[0])] if reasons else []
            cases.append(pytest.param(spec, name, id=case_id, marks=marks))
    return cases


def _parse_and_compare(spec: dict[str, Any], rendering: str) -> None:
    data, meta = RENDERINGS[rendering](spec)
    got = parse_document(data, meta).to_json()
    problems = differences(got, spec)
    if rendering in GBK_ONLY_RENDERINGS and not any(
        "王堃" in text for text in (got.get("section_texts") or {}).values()
    ):
        problems.append("section texts lost the GBK-only character 堃 (wrong decoding)")
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])


@pytest.mark.parametrize(("spec", "rendering"), _cases(SEEDS))
def test_seed_rendering_parses_to_gold(spec: dict[str, Any], rendering: str) -> None:
    _parse_and_compare(spec, rendering)


@pytest.mark.parametrize(("spec", "rendering"), _cases(SYNTHETIC))
def test_synthetic_rendering_parses_to_spec(spec: dict[str, Any], rendering: str) -> None:
    _parse_and_compare(spec, rendering)


HYBRID = [hybrid_report(i) for i in range(6)]
HYBRID_RENDERINGS = ("trs", "hanweb-split", "quirk-split-proactive", "text-tabs", "markdown")


@pytest.mark.parametrize(
    ("spec", "rendering"),
    [c for c in _cases(HYBRID) if c.values[1] in HYBRID_RENDERINGS],
)
def test_hybrid_rendering_parses_to_spec(spec: dict[str, Any], rendering: str) -> None:
    """表二 of one template and 表三 of the other: template "hybrid", each table read as printed."""
    _parse_and_compare(spec, rendering)


PRE2019 = [pre2019_report(i) for i in range(6)]
PRE2019_RENDERINGS = ("trs", "hanweb", "gkmlpt", "fragment", "gbk", "text-lines", "markdown")


@pytest.mark.parametrize(
    ("spec", "rendering"),
    [c for c in _cases(PRE2019) if c.values[1] in PRE2019_RENDERINGS],
)
def test_pre2019_rendering_parses_to_spec(spec: dict[str, Any], rendering: str) -> None:
    """A report from before the national tables: template "pre2019", and the counts in
    its prose (申请271件, 同意公开172件…) never become table cells."""
    _parse_and_compare(spec, rendering)


CONSISTENT = [s for s in SEEDS + synthetic_reports(60) if not s["checks_failing"]]

# Run-together rows where a blank cell printed nothing and the parser still took
# a split that satisfies the template's identities but is not what was printed:
# with blanks possible, the split is not unique, and it should say so instead.
RUNTOGETHER_GUESSES: set[str] = set()


def _runtogether_cases() -> list[Any]:
    cases = []
    for spec in CONSISTENT:
        marks = []
        if spec["document"] in RUNTOGETHER_GUESSES:
            marks = [
                pytest.mark.xfail(strict=True, reason="guessed a split of a row with blank cells")
            ]
        cases.append(pytest.param(spec, id=spec["document"], marks=marks))
    return cases


@pytest.mark.parametrize("spec", _runtogether_cases())
def test_runtogether_text_recovers_or_says_so(spec: dict[str, Any]) -> None:
    """表三/表四 rows whose cells ran together ("…申请数量230 000023").

    Every cell comes back as printed or stays unknown (``None``) with a warning
    on its table: never a wrong number. A blank cell prints nothing, so it could
    hide anywhere in a run ("…0606…" is 6,0,6 or 60,blank,60): uniqueness is
    only certain where the identities rule every other reading out (below), and
    those rows must always come back whole.
    """
    data = render_text(spec, "runtogether").encode("utf-8")
    got = parse_document(data, DocumentMeta(name="dump.txt")).to_json()
    wrong, unknown = [], []
    for table in ("requests", "review_litigation"):
        warned = any(w.get("table") == table for w in got["warnings"])
        for key, values in spec[table].items():
            parsed = got[table].get(key) or [None] * len(values)
            for i, (expected, actual) in enumerate(zip(values, parsed, strict=True)):
                if actual is None and expected is not None:
                    unknown.append(f"{table}.{key}[{i}]")
                    if not warned:
                        wrong.append(f"{table}.{key}[{i}]: unknown without a warning")
                elif actual != expected:
                    wrong.append(f"{table}.{key}[{i}]: expected {expected!r}, got {actual!r}")
    assert not wrong, "\n".join(wrong[:30])

    def single_digits(values: list[Any]) -> bool:
        return all(v is not None and 0 <= v <= 9 for v in values)

    # A 表三 row of single digits is certain: joining two digits into one number
    # would break its row sum. 表四's fifteen cells print as one line whose
    # groups can shift against each other, so only a line of zeros is certain.
    certain = [f"requests.{k}" for k, v in spec["requests"].items() if single_digits(v)]
    if all(v == 0 for group in spec["review_litigation"].values() for v in group):
        certain += [f"review_litigation.{k}" for k in spec["review_litigation"]]
    missed = [u for u in unknown if u.rsplit("[", 1)[0] in certain]
    assert not missed, f"a row of single digits was not recovered: {missed[:10]}"


HANDMADE_DIR = Path(__file__).parents[1] / "fixtures" / "html"
HANDMADE = sorted(HANDMADE_DIR.glob("*.gold.json"))


@pytest.mark.parametrize("gold_path", HANDMADE, ids=[p.name.split(".")[0] for p in HANDMADE])
def test_handmade_page_parses_to_gold(gold_path: Path) -> None:
    """Pages written by hand, not by render_html: its habits cannot hide a parser's gaps.

    ``hanweb_2021_gbk``: GBK with a gb2312 meta and 堃, the page inside a layout
    table, the title twice (outside and inside ``#zoom``, broken by ``<br>``),
    表二 as four small tables in scrolling divs, ``&nbsp;``-padded numbers in
    ``<p>``, blank cells as empty paragraphs, an image between sections.
    ``trs_word_2019``: Word-exported HTML (MsoNormal, ``<o:p>``, a ``<style>``
    inside the container), title as a bold paragraph, the extra row as a
    paragraph after 表二, money as "86.52万元".
    """
    spec = json.loads(gold_path.read_text(encoding="utf-8"))
    data = (HANDMADE_DIR / spec["document"]).read_bytes()
    got = parse_document(data, _meta("text/html")).to_json()
    problems = differences(got, spec)
    if "王堃" in spec["section_texts"]["other"] and not any(
        "王堃" in text for text in (got.get("section_texts") or {}).values()
    ):
        problems.append("section texts lost the GBK-only character 堃 (wrong decoding)")
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])


def test_comparison_sees_a_single_wrong_cell() -> None:
    """The comparison itself: one changed cell, one blank turned zero, are both reported."""
    spec = SYNTHETIC[0]
    got = copy.deepcopy(spec)
    got["sections"] = ALL_SECTIONS
    assert differences(got, spec) == []
    got["requests"]["granted"][0] = (got["requests"]["granted"][0] or 0) + 1
    got["review_litigation"]["review"][1] = (
        0 if spec["review_litigation"]["review"][1] is None else None
    )
    found = differences(got, spec)
    assert len(found) == 2, found
    assert found[0].startswith("requests.granted[0]")
    assert found[1].startswith("review_litigation.review[1]")


def test_synthetic_series_is_varied() -> None:
    """The synthetic reports cover what the renderings must survive."""
    templates = {s["template"] for s in SYNTHETIC}
    failing = {c for s in SYNTHETIC for c in s["checks_failing"]}
    blanks = sum(v is None for s in SYNTHETIC for row in s["requests"].values() for v in row)
    negatives = [
        v
        for s in SYNTHETIC
        for row in s["proactive"]
        for v in row["values"].values()
        if isinstance(v, int) and v < 0
    ]
    assert templates == {"2019", "2021"}
    assert {"T3_BALANCE", "T3_COLUMNS", "T4_TOTAL"} <= failing
    assert any(not s["checks_failing"] for s in SYNTHETIC)
    assert blanks > 100 and negatives
    assert any(s["extra"] for s in SYNTHETIC)
    assert any("/" in row["key"] for s in SYNTHETIC for row in s["proactive"])
    units = {
        v["unit"]
        for s in SYNTHETIC
        for row in s["proactive"]
        for v in row["values"].values()
        if isinstance(v, dict)
    }
    assert {"万元", "元"} <= units
    assert synthetic_reports(3) == SYNTHETIC[:3]  # deterministic, prefix-stable


def test_gbk_page_really_needs_gbk() -> None:
    """The GBK rendering cannot be read as GB2312: the test exercises GB18030 decoding."""
    data, _ = RENDERINGS["gbk"](SEEDS[1])
    assert b"charset=gb2312" in data
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")
    assert GBK_ONLY in data.decode("gb18030")
