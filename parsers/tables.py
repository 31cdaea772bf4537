"""Reading 表二, 表三 and 表四 out of the table rows of a document.

Every format arrives as blocks; the rows of all tables (and short paragraphs
between them, where converters leave a row without its tabs) form one stream.
Headings and anchor rows cut the stream into the three tables' regions, so a
table split in two (across pages, or into two ``<table>`` elements) reads as one.

A row splits into label cells and value cells: the value cells are those after
the last label cell. Labels are matched by meaning (``labels.yml``); values are
aligned to the template's columns, and every departure (a row with 8 cells where
7 belong, an unknown label, a missing row, a run of digits with no separators)
is recorded as a warning instead of being absorbed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from parsers import labels as L
from parsers.blocks import Block, GridCell, Paragraph, Table
from parsers.numbers import is_blank, parse_number, unit_in_header
from parsers.record import Cell, ExtraFact, ProactiveRow, Report
from parsers.runtogether import (
    UNKNOWN,
    Agreed,
    agree,
    review_candidates,
    row_candidates,
    solve_requests,
)
from parsers.template import (
    GROUPS,
    OUTCOME_ROWS,
    PROACTIVE_2019,
    PROACTIVE_2021,
    PROACTIVE_ITEMS,
    REQUEST_ROWS_2019,
    REQUEST_ROWS_2021,
    money_metric,
)

_FACT = re.compile(r"^(?P<label>.*\S)\s*[：:]\s*(?P<value>[+\-]?[\d,，.]+\s*[^\d\s]{0,2})$")
_RUN = re.compile(r"^(?P<label>.*?[\u3400-\u9fff”\"）)])\s*(?P<run>\d[\d ]*\d|\d)$")
_ITEM = re.compile(r"第二十条第?[(（]?([一二三四五六七八九十]+)[)）]?项?")
_SPACES = re.compile(r"\s+")
_INNER_NUMBERING = re.compile(r"[(（][一二三四五六七八九十]+[)）]|(?<![\d.])\d{1,2}[.、．](?!\d)")
_DIGIT_RUN = re.compile(r"^\d[\d ]{8,}\d$|^\d+(?: +\d+){2,}$")


@dataclass
class Row:
    """A row of the stream: its cells, the block it came from, and its provenance."""

    cells: list[GridCell]
    block: int
    paragraph: bool = False


@dataclass(slots=True)
class SplitRow:
    """A row split into its label texts and its value cells."""

    labels: list[str]
    values: list[GridCell]
    leading_blank: bool
    cells: list[GridCell] = field(default_factory=list)  # every cell, in grid position
    first_value: int = 0  # grid position of the first value cell
    run: str | None = None
    fact: tuple[str, str] | None = None
    page: int | None = None

    @property
    def leaf(self) -> str:
        return self.labels[-1] if self.labels else ""

    @property
    def joined(self) -> str:
        return "".join(self.labels)

    def has_values(self) -> bool:
        return any(not is_blank(c.text) for c in self.values) or bool(self.run)


@dataclass
class Regions:
    proactive: list[SplitRow] = field(default_factory=list)
    requests: list[SplitRow] = field(default_factory=list)
    review: list[SplitRow] = field(default_factory=list)
    found: dict[str, bool] = field(default_factory=dict)


@lru_cache(maxsize=65536)
@lru_cache(maxsize=65536)
def _is_label(text: str) -> bool:
    return bool(text) and parse_number(text) is None and not _DIGIT_RUN.match(text)


def _cell_copy(cell: GridCell, text: str) -> GridCell:
    if cell.text == text:
        return cell
    return GridCell(text, cell.page, cell.confidence)


def split_row(cells: list[GridCell]) -> SplitRow:
    """Labels are the cells up to the last one that is text, values the cells after it."""
    texts = []
    changed = False
    last_label = -1
    for i, c in enumerate(cells):
        raw = c.text or ""
        text = raw.strip()
        if text:
            if c.spanned and parse_number(text) is not None:
                text = ""  # a merged numeric cell counts once, in its first slot
            elif _is_label(text):
                last_label = i
        if text != raw:
            changed = True
        texts.append(text)
    label_texts: list[str] = []
    for text in texts[: last_label + 1]:
        if text and (not label_texts or label_texts[-1] != text):
            label_texts.append(text)
    copies = [_cell_copy(c, t) for c, t in zip(cells, texts, strict=True)] if changed else cells
    values = copies[last_label + 1 :]
    row = SplitRow(
        label_texts,
        values,
        bool(texts) and texts[0] == "" and last_label > 0,
        copies,
        last_label + 1,
        None,
        None,
        cells[0].page if cells else None,
    )
    if not label_texts:
        nonblank = [t for t in texts if t]
        if len(nonblank) == 1 and _DIGIT_RUN.match(nonblank[0]):
            row.values, row.run = [], nonblank[0]
        return row
    if all(is_blank(v.text) for v in values):
        leaf = label_texts[-1]
        fact = _FACT.match(leaf)
        if fact and parse_number(fact.group("value").replace("，", ",")):
            row.fact = (fact.group("label"), fact.group("value"))
        else:
            run = _RUN.match(leaf)
            if run:
                label_texts[-1] = run.group("label")
                row.run = run.group("run")
    return row


# ---------------------------------------------------------------- regions


@lru_cache(maxsize=65536)
def _anchors(labels: tuple[str, ...]) -> tuple[bool, bool, bool]:
    """Whether a row with these labels can open 表四, 表三 and 表二 (cached: labels repeat)."""
    return _is_review_anchor(labels), _is_request_anchor(labels), _is_proactive_anchor(labels)


@lru_cache(maxsize=65536)
def _is_header(labels: tuple[str, ...]) -> bool:
    """A 表三 header row (申请人情况, 自然人 …)."""
    return any(L.pattern("request_headers").search(L.normalize(t)) for t in labels)


def _is_request_anchor(labels: tuple[str, ...]) -> bool:
    if _is_header(labels):
        return True
    return any(L.match("requests", t) in ("new_received", "carried_over") for t in labels)


def _is_review_anchor(labels: tuple[str, ...]) -> bool:
    joined = L.normalize("".join(labels))
    return ("行政复议" in joined and ("行政诉讼" in joined or "维持" in joined)) or (
        "结果维持" in joined or "未经复议" in joined
    )


def _is_proactive_anchor(labels: tuple[str, ...]) -> bool:
    joined = L.normalize("".join(labels))
    return "第二十条" in joined or joined.startswith("信息内容")


def regions(blocks: list[Block], heading_blocks: dict[int, str]) -> Regions:
    """Cut the stream of rows into the regions of 表二, 表三 and 表四."""
    out = Regions()
    current: str | None = None
    order = {"proactive": 0, "requests": 1, "review": 2}
    for b, block in enumerate(blocks):
        section = heading_blocks.get(b)
        if section is not None:
            current = {
                "proactive": "proactive",
                "requests": "requests",
                "review_litigation": "review",
            }.get(section)
            continue
        if isinstance(block, Table):
            rows = [split_row(cells) for cells in block.rows if cells]
            for sr in rows:
                target = current
                review, request, proactive = _anchors(tuple(sr.labels))
                if review and (current is None or order[current] < 2):
                    target = "review"
                elif request and (current is None or order[current] < 1):
                    target = "requests"
                elif proactive and current is None:
                    target = "proactive"
                current = target
                if current is not None:
                    getattr(out, current).append(sr)
                    out.found[current] = True
        elif isinstance(block, Paragraph) and current is not None and len(block.text) <= 80:
            sr = split_row([GridCell(block.text, block.page)])
            keep = (
                (current == "requests" and _request_key(sr, "other_handling") is not None)
                or (current == "proactive" and sr.fact is not None)
                or (current == "review" and sr.run is not None)
            )
            # A text dump has no tables at all: its short row lines open the region.
            opens = sr.run is not None or (current == "requests" and len(block.text) <= 40)
            if keep and (getattr(out, current) or opens):
                getattr(out, current).append(sr)
                out.found[current] = True
    return out


# ---------------------------------------------------------------- 表三


def _cells(values: list[GridCell]) -> list[Cell]:
    out = []
    for v in values:
        parsed = parse_number(v.text)
        if parsed is None:
            out.append(Cell(v.text, None, None, v.page, v.confidence))
        else:
            out.append(Cell(v.text, parsed.value, parsed.unit, v.page, v.confidence))
    return out


def _absent(n: int) -> list[Cell]:
    return [Cell() for _ in range(n)]


def _split_spaced(values: list[GridCell], width: int) -> list[GridCell]:
    """Cells holding several numbers separated by spaces ("0 0 0"), split when short."""
    if len(values) >= width:
        return values
    out: list[GridCell] = []
    for v in values:
        parts = (v.text or "").split()
        if len(parts) > 1 and all(parse_number(p) is not None for p in parts):
            out.extend(GridCell(p, v.page, v.confidence) for p in parts)
        else:
            out.append(v)
    return out


def _align(
    values: list[GridCell],
    width: int,
    report: Report,
    table: str,
    key: str,
    holds: object = None,
) -> list[Cell]:
    """Exactly ``width`` cells from a row's value cells, warning on any mismatch."""
    values = _split_spaced(values, width)
    n = len(values)
    if n == 0:
        return _absent(width)
    if n == width:
        return _cells(values)
    if n > width:
        windows = [values[i : i + width] for i in range(n - width + 1)]
        dropped = [values[:i] + values[i + width :] for i in range(n - width + 1)]
        clean = [i for i, d in enumerate(dropped) if all(is_blank(c.text) for c in d)]
        if clean:
            choice = clean[-1] if table == "requests" else clean[0]
            return _cells(windows[choice])
        choice = len(windows) - 1 if table == "requests" else 0
        if callable(holds):
            good = [i for i, w in enumerate(windows) if holds(_cells(w))]
            if len(good) == 1:
                choice = good[0]
        report.warn(
            "row_cell_count",
            f"{table} row {key!r} has {n} value cells where {width} belong; "
            f"kept cells {choice + 1}–{choice + width}",
            table,
            key,
        )
        return _cells(windows[choice])
    if all(is_blank(c.text) for c in values):
        return _cells(values) + [Cell(text="") for _ in range(width - n)]
    report.warn(
        "row_cell_count",
        f"{table} row {key!r} has {n} value cells where {width} belong; aligned left",
        table,
        key,
    )
    return _cells(values) + _absent(width - n)


def _row_sum_holds(cells: list[Cell]) -> bool:
    vals = [c.value or 0 for c in cells]
    return sum(vals[:6]) == vals[6]


def read_requests(rows: list[SplitRow], report: Report) -> str | None:
    """Fill ``report.requests``; return the template the rows follow (2019/2021) or None."""
    found: dict[str, list[Cell]] = {}
    empty_rows: set[str] = set()  # keys whose row printed no value cells at all
    runs: dict[str, str] = {}
    group: str | None = None
    last_key: str | None = None
    for sr in rows:
        if not sr.labels and not sr.values:
            continue
        if _is_header(tuple(sr.labels)):
            continue
        for t in sr.labels:
            g = L.match("request_groups", t)
            if g:
                group = g
        key = _request_key(sr, group)
        if key is None:
            if sr.labels and L.match("request_groups", sr.leaf) and not sr.has_values():
                continue  # a group heading row such as "(三)不予公开" alone
            if last_key in empty_rows and sr.has_values():
                report.warn(
                    "label_split",
                    f"requests row {last_key!r}: label continued on the next line ({sr.joined!r})",
                    "requests",
                    last_key,
                )
                found[last_key] = _align(sr.values, 7, report, "requests", last_key, _row_sum_holds)
                empty_rows.discard(last_key)
                continue
            if sr.has_values():
                label = sr.joined or "(no label)"
                report.warn(
                    "unknown_row", f"requests: unknown row {label!r} kept as extra", "requests"
                )
                report.extra.append(
                    ExtraFact(
                        label,
                        None,
                        label,
                        "requests",
                        _align(sr.values, 7, report, "requests", label),
                    )
                )
            continue
        if key in found and key not in empty_rows:
            if sr.has_values():
                report.warn(
                    "duplicate_row",
                    f"requests row {key!r} printed twice; kept the first",
                    "requests",
                    key,
                )
            continue
        last_key = key
        if sr.run:
            runs[key] = sr.run
            found[key] = _absent(7)
            continue
        if not sr.values:
            empty_rows.add(key)
        found[key] = _align(sr.values, 7, report, "requests", key, _row_sum_holds)
    if not found:
        return None
    if runs:
        _resolve_request_runs(found, runs, report)
    template = _requests_template(found)
    if template == "2021" and "other" in found:
        if any(c.value is not None for c in found["other"]):
            report.warn(
                "unknown_row",
                "requests: （六）其他处理 printed numbers beside its sub-rows",
                "requests",
            )
            report.extra.append(
                ExtraFact("（六）其他处理", None, "（六）其他处理", "requests", found["other"])
            )
        del found["other"]
    order = REQUEST_ROWS_2021 if template == "2021" else REQUEST_ROWS_2019
    for key in order:
        if key not in found:
            report.warn("row_missing", f"requests row {key!r} not found", "requests", key)
    report.requests = {key: found.get(key) or _absent(7) for key in order}
    return template


def _tails(text: str) -> list[str]:
    """The label, then what follows its last inner numbering ("（三）不予公开1.属于国家秘密" → "属于国家秘密")."""
    out = [text]
    matches = list(_INNER_NUMBERING.finditer(text))
    if matches and matches[-1].start() > 0:
        out.insert(0, text[matches[-1].end() :])
    return out


def _request_key(sr: SplitRow, group: str | None) -> str | None:
    """The row key, from the leaf label first, then its parents (a label split over cells)."""
    return _request_key_of(tuple(sr.labels), group, bool(sr.values), bool(sr.run))


@lru_cache(maxsize=65536)
def _request_key_of(
    labels: tuple[str, ...], group: str | None, has_values: bool, has_run: bool
) -> str | None:
    for n, label in enumerate(reversed(labels)):
        for text in _tails(label):
            key = L.match("requests", text)
            if key == "other_other" and group != "other_handling":
                key = None
            if key == "other" and not has_values and not has_run:
                key = None  # "(六)其他处理" as a heading over its 2021 sub-rows
            if key:
                return key
        if n > 0 and L.match("request_groups", label) is None:
            break
    return None


def _requests_template(found: dict[str, list[Cell]]) -> str | None:
    if any(k in found for k in ("other_no_correction", "other_unpaid_fee", "other_other")):
        return "2021"
    if "other" in found:
        return "2019"
    return None


def _resolve_request_runs(
    found: dict[str, list[Cell]], runs: dict[str, str], report: Report
) -> None:
    candidates: dict[str, list[tuple[int | None, ...]]] = {}
    for key, cells in found.items():
        if key in runs:
            candidates[key] = row_candidates(runs[key], 7, row_sum=True)
        else:
            candidates[key] = [tuple(c.value if isinstance(c.value, int) else None for c in cells)]
    outcome = tuple(k for k in OUTCOME_ROWS if k in found)
    agreed, consistent = solve_requests(candidates, outcome)
    for key, run in runs.items():
        cells, unknown = _agreed_cells(agreed.get(key, ()), 7)
        found[key] = cells
        if not unknown:
            how = "the template's identities" if consistent else "its own row sum"
            report.warn(
                "run_together_recovered",
                f"requests row {key!r}: cells ran together ({run!r}); every split consistent "
                f"with {how} reads them the same way",
                "requests",
                key,
            )
        else:
            report.warn(
                "run_together_ambiguous",
                f"requests row {key!r}: cells ran together ({run!r}); {unknown} of 7 cells "
                "differ between the splits that fit, and are left unknown rather than guessed",
                "requests",
                key,
            )


def _agreed_cells(agreed: Agreed, width: int) -> tuple[list[Cell], int]:
    """Cells from agreed values (``UNKNOWN`` → an unknown cell); and how many are unknown."""
    if len(agreed) != width:
        return [Cell() for _ in range(width)], width
    cells = [
        Cell()
        if v is UNKNOWN
        else Cell(text="" if v is None else str(v), value=v if isinstance(v, int) else None)
        for v in agreed
    ]
    return cells, sum(1 for v in agreed if v is UNKNOWN)


# ---------------------------------------------------------------- 表四


def read_review(rows: list[SplitRow], report: Report) -> bool:
    """Fill ``report.review_litigation``; return whether any data row was found."""
    full: list[SplitRow] = []
    by_group: dict[str, SplitRow] = {}
    run_rows: list[SplitRow] = []
    partial: list[SplitRow] = []  # value rows shorter than 15 (a row split in two)
    for sr in rows:
        outcome_labels = any(L.match("review_outcomes", t) for t in sr.labels)
        if sr.run:
            run_rows.append(sr)
            continue
        if len(sr.values) >= 15 and not outcome_labels:
            full.append(sr)
            continue
        if not sr.labels and sr.values:
            partial.append(sr)
        group = next((g for t in sr.labels if (g := L.match("review_groups", t))), None)
        if group and 0 < len(sr.values) <= 6 and not outcome_labels:
            by_group.setdefault(group, sr)
    if full:
        best = max(full, key=lambda sr: sum(not is_blank(c.text) for c in sr.values))

        def holds(cells: list[Cell]) -> bool:
            v = [c.value or 0 for c in cells]
            return all(sum(v[i : i + 4]) == v[i + 4] for i in (0, 5, 10))

        cells = _align(best.values, 15, report, "review_litigation", "data", holds)
        report.review_litigation = {g: cells[i * 5 : i * 5 + 5] for i, g in enumerate(GROUPS)}
        return True
    if partial and sum(len(sr.values) for sr in partial) == 15:
        cells = _cells([v for sr in partial for v in sr.values])
        report.review_litigation = {g: cells[i * 5 : i * 5 + 5] for i, g in enumerate(GROUPS)}
        if len(partial) > 1:
            report.warn(
                "row_split",
                f"review_litigation: the data row was printed in {len(partial)} pieces",
                "review_litigation",
            )
        return True
    if by_group:
        report.review_litigation = {
            g: _align(by_group[g].values, 5, report, "review_litigation", g)
            if g in by_group
            else _absent(5)
            for g in GROUPS
        }
        return True
    if run_rows:
        run = run_rows[0].run or ""
        cells, unknown = _agreed_cells(agree(review_candidates(run)), 15)
        report.review_litigation = {g: cells[i * 5 : i * 5 + 5] for i, g in enumerate(GROUPS)}
        if unknown:
            report.warn(
                "run_together_ambiguous",
                f"review_litigation: cells ran together ({run!r}); {unknown} of 15 cells differ "
                "between the splits where each group sums to its total, and are left unknown",
                "review_litigation",
            )
        else:
            report.warn(
                "run_together_recovered",
                f"review_litigation: cells ran together ({run!r}); every split where each group "
                "sums to its total reads them the same way",
                "review_litigation",
            )
        return True
    report.review_litigation = {g: _absent(5) for g in GROUPS}
    return False


# ---------------------------------------------------------------- 表二


def read_proactive(rows: list[SplitRow], report: Report) -> str | None:
    """Fill ``report.proactive`` and ``report.extra``; return the template (2019/2021) or None."""
    votes = {"2019": 0, "2021": 0}
    item: str | None = None
    header: list[tuple[str | None, str | None]] | None = None  # (metric, unit) per column
    header_cols: list[tuple[int, str, str | None]] = []  # (grid position, metric, unit)
    parent: str | None = None
    rows_out: list[ProactiveRow] = []
    seen: set[str] = set()
    for sr in rows:
        seen_labels = _proactive_labels(tuple(sr.labels))
        if sr.fact:
            label, value_text = sr.fact
            parsed = parse_number(value_text.replace("，", ","))
            report.extra.append(
                ExtraFact(label.strip(), parsed.value if parsed else None, value_text, "proactive")
            )
            continue
        if seen_labels.item:
            item = seen_labels.item
            header, parent, header_cols = None, None, []
            continue
        for template in seen_labels.votes:
            votes[template] += 1
        if seen_labels.info_header or (seen_labels.metrics_only and not sr.has_values()):
            header = [
                (L.match("proactive_metrics", t), unit_in_header(t))
                for t in sr.labels
                if not L.normalize(t).startswith("信息内容")
            ]
            header_cols = [
                (i, mk, unit_in_header(c.text))
                for i, c in enumerate(sr.cells)
                if c.text
                and not c.text.startswith("信息内容")
                and (mk := L.match("proactive_metrics", c.text)) is not None
            ]
            continue
        if not sr.labels:
            continue
        key, label = _proactive_key(sr, parent)
        if key is None:
            if sr.has_values():
                report.warn(
                    "unknown_row",
                    f"proactive: unknown row {sr.joined!r} kept as extra",
                    "proactive",
                )
                report.extra.append(
                    ExtraFact(_printed(sr.joined), None, sr.joined, "proactive", _cells(sr.values))
                )
            continue
        base = key.split("/")[0]
        if base == "other_services" and "/" in key:
            parent = "other_services"
        elif base != "other_services":
            parent = None
        if key in seen:
            if sr.has_values():
                report.warn(
                    "duplicate_row",
                    f"proactive row {key!r} printed twice; kept the first",
                    "proactive",
                    key,
                )
            continue
        seen.add(key)
        template = "2021" if votes["2021"] > votes["2019"] else "2019"
        defaults = (PROACTIVE_2021 if template == "2021" else PROACTIVE_2019).get(base) or (
            PROACTIVE_2019.get(base) or PROACTIVE_2021.get(base) or ()
        )
        metrics: list[str]
        units: list[str | None]
        if header and all(mk for mk, _ in header) and len(header) >= len(defaults):
            metrics = [mk for mk, _ in header if mk]
            units = [u for _, u in header]
        else:
            metrics, units = list(defaults), [None] * len(defaults)
            if header:
                for mk, u in header:
                    if mk in metrics and u:
                        units[metrics.index(mk)] = u
        by_position = _by_header_position(sr, header_cols, metrics, report, key)
        if by_position is not None:
            cells = by_position
        else:
            cells = _align(sr.values, len(metrics), report, "proactive", key) if metrics else []
        for i, metric in enumerate(metrics):
            if money_metric(metric) and cells[i].unit is None and units[i]:
                cells[i].unit = units[i]
        rows_out.append(
            ProactiveRow(
                key,
                label,
                item or PROACTIVE_ITEMS.get(base),
                dict(zip(metrics, cells, strict=True)),
            )
        )
    report.proactive = rows_out
    if not rows_out:
        return None
    if votes["2019"] == votes["2021"] == 0:
        keys = {r.key.split("/")[0] for r in rows_out}
        return "2019" if keys & {"other_services", "procurement"} else None
    return "2021" if votes["2021"] > votes["2019"] else "2019"


@dataclass(frozen=True, slots=True)
class _ProactiveLabels:
    """What a 表二 row's labels say, whatever its values: read once per distinct labels."""

    item: str | None  # the 第二十条 item the row opens, as "（一）"
    votes: tuple[str, ...]  # the templates whose wording the labels use
    info_header: bool  # a "信息内容 …" header row
    metrics_only: bool  # labels naming metrics (本年制发件数 …) and no item: a header row


@lru_cache(maxsize=65536)
def _proactive_labels(labels: tuple[str, ...]) -> _ProactiveLabels:
    joined = L.normalize("".join(labels))
    m = _ITEM.search(joined)
    votes = tuple(
        template
        for template, kind in (
            ("2019", "proactive_template_2019"),
            ("2021", "proactive_template_2021"),
        )
        if L.pattern(kind).search(joined)
    )
    return _ProactiveLabels(
        f"（{m.group(1)}）" if m else None,
        votes,
        joined.startswith("信息内容"),
        any(L.match("proactive_metrics", t) for t in labels)
        and not any(L.match("proactive", t) for t in labels),
    )


def _by_header_position(
    sr: SplitRow,
    header_cols: list[tuple[int, str, str | None]],
    metrics: list[str],
    report: Report,
    key: str,
) -> list[Cell] | None:
    """Values read under their column headers, when the row lines up with the header row."""
    if not header_cols or [m for _, m, _ in header_cols] != metrics:
        return None
    positions = [i for i, _, _ in header_cols]
    if positions[0] < sr.first_value or positions[-1] >= len(sr.cells):
        return None
    stray = [
        c.text
        for i, c in enumerate(sr.cells)
        if i >= sr.first_value and i not in positions and not is_blank(c.text)
    ]
    if stray:
        return None
    return _cells([sr.cells[i] for i in positions])


def _printed(text: str) -> str:
    return _SPACES.sub("", text)


def _proactive_key(sr: SplitRow, parent: str | None) -> tuple[str | None, str]:
    labels = [t for t in sr.labels if not L.normalize(t).startswith("信息内容")]
    if not labels:
        return None, ""
    first = L.match("proactive", labels[0])
    if first == "other_services" and len(labels) > 1 and L.match("proactive", labels[-1]) is None:
        sub = _printed(labels[-1])
        return f"other_services/{sub}", f"{_printed(labels[0])}·{sub}"
    if first:
        return first, _printed(labels[0])
    last = L.match("proactive", labels[-1])
    if last:
        return last, _printed(labels[-1])
    # A further sub-row under a rowspan'd 其他对外管理服务事项: its label cell may be
    # absent (one cell per line) or blank (tabs), so any unknown row that follows
    # a sub-row and prints values is the next sub-row.
    if parent == "other_services" and sr.has_values():
        sub = _printed(labels[-1])
        return f"other_services/{sub}", f"其他对外管理服务事项·{sub}"
    return None, ""
