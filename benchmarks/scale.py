"""National-scale benchmark of the archive: synthetic data, build throughput, page latency.

Three steps, each a subcommand (run them in order; ``all`` runs the three):

``generate``  Writes a data directory as a crawl would leave it, at national
              scale: ``crawl.db`` with one capture per report and
              ``build-state.db`` with one cached parse result per report
              (``Report.to_json()`` shape: 表二/表三/表四 with every cell's
              printed text, ~40 checks, warnings, six sections of realistic
              text). Default: 100,000 bodies × 7 years = 700,000 reports in a
              hierarchy of provinces, cities, counties, townships and
              departments with real-looking names and division codes.
``build``     Runs the real ``xxgk build`` pipeline on it (every document is a
              parse-cache hit, so this is the build without parsing) and
              records its phases' wall and CPU time (the build's own
              ``BuildStats.phases``: collect, load, rows, the search process's
              steps, indexes, copy, across-report stage, publish).
``pages``     Serves the result with ``xxgk serve`` (the site's own Datasette
              configuration) on 127.0.0.1 and measures p50/p95 of table, facet,
              filter, sort, search, row and canned-query pages (the canned
              queries and their example parameters come from
              ``datasette/metadata.yaml``).

Results go to ``benchmarks/results/scale-<reports>.json``; ``benchmarks/README.md``
holds the table. Parse throughput (rendered HTML through ``parse_document``) is
measured by ``benchmarks/scale.py parse``.

Usage::

    .venv/bin/python benchmarks/scale.py all --bodies 100000 --data /tmp/xxgk-scale
    .venv/bin/python benchmarks/scale.py all --bodies 2000 --data /tmp/xxgk-small   # quick
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import statistics
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from archive.build_state import BuildState, encode_report, summarize  # noqa: E402
from archive.ledger import SCHEMA as LEDGER_SCHEMA  # noqa: E402
from archive.regions import PROVINCES  # noqa: E402
from archive.rows import (  # noqa: E402
    Prepared,
    dump_sections,
    prepare,
    prepare_sections,
)
from archive.schema import proactive_row_label  # noqa: E402
from parsers.template import (  # noqa: E402
    COLUMNS,
    GROUPS,
    OUTCOMES,
    PROACTIVE_2019,
    PROACTIVE_2021,
    REQUEST_ROWS_2019,
    REQUEST_ROWS_2021,
)

YEARS = tuple(range(2019, 2026))
RESULTS = REPO / "benchmarks" / "results"

# --- bodies ------------------------------------------------------------------------------

SYLLABLES = (
    "东西南北安平宁和兴华新昌阳山江河湖海金石龙凤云清泰永长乐福德丰临武文成康顺吉庆开元"
    "中上高白红青黄林桥城源川溪岭峰嘉惠通远定建德广盛祥瑞丹宝鹤鸣朝春秋绿荣恒富滨沙"
)
PROVINCE_SUFFIX = {
    "北京": "市", "天津": "市", "上海": "市", "重庆": "市",
    "内蒙古": "自治区", "广西": "壮族自治区", "西藏": "自治区", "宁夏": "回族自治区",
    "新疆": "维吾尔自治区",
}  # fmt: skip
DEPARTMENTS = (
    "发展和改革委员会", "教育局", "科学技术局", "工业和信息化局", "公安局", "民政局", "司法局",
    "财政局", "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局",
    "交通运输局", "水利局", "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会",
    "退役军人事务局", "应急管理局", "审计局", "市场监督管理局", "统计局", "医疗保障局",
    "林业局", "城市管理局", "信访局", "数据资源管理局", "体育局", "人民政府办公室",
)  # fmt: skip
NATIONAL = (
    "国务院办公厅", "外交部", "国家发展和改革委员会", "教育部", "科学技术部", "工业和信息化部",
    "公安部", "民政部", "司法部", "财政部", "人力资源和社会保障部", "自然资源部", "生态环境部",
    "住房和城乡建设部", "交通运输部", "水利部", "农业农村部", "商务部", "文化和旅游部",
    "国家卫生健康委员会", "应急管理部", "审计署", "国家市场监督管理总局", "国家统计局",
    "国家医疗保障局", "国家林业和草原局", "国家税务总局", "海关总署", "国家知识产权局",
)  # fmt: skip


@dataclass
class Body:
    name: str
    level: str
    province: str
    division_code: str
    host: str


def _place(rng: random.Random, used: set[str]) -> str:
    while True:
        name = rng.choice(SYLLABLES) + rng.choice(SYLLABLES)
        if name not in used and name[0] != name[1]:
            used.add(name)
            return name


def bodies(count: int, seed: int = 0) -> list[Body]:
    """``count`` bodies: national ministries, then province by province down to townships."""
    rng = random.Random(seed)
    out = [
        Body(n, "department", "全国", "100000", f"www.gov{i}.gov.cn")
        for i, n in enumerate(NATIONAL)
    ]
    mainland = [(code, name) for code, name in PROVINCES.items() if int(code) < 70]
    per_province = max(1, (count - len(out)) // len(mainland) + 1)
    for code, province in mainland:
        names: set[str] = set()
        full = province + PROVINCE_SUFFIX.get(province, "省")
        group = [
            Body(full + "人民政府", "province", province, code + "0000", f"www.p{code}.gov.cn")
        ]
        group += [
            Body(full + d.replace("局", "厅").replace("人民政府办公室", "人民政府办公厅"),
                 "department", province, code + "0000", f"www.p{code}.gov.cn")
            for d in DEPARTMENTS
        ]  # fmt: skip
        city_no = 0
        while len(group) < per_province:
            city_no += 1
            city = _place(rng, names) + "市"
            ccode = f"{code}{city_no:02d}00"
            host = f"www.c{code}{city_no:02d}.gov.cn"
            group.append(Body(full + city + "人民政府", "city", province, ccode, host))
            group += [Body(city + d, "department", province, ccode, host) for d in DEPARTMENTS]
            for county_no in range(1, 10):
                county = _place(rng, names) + rng.choice("县县区区市")
                kcode = f"{code}{city_no:02d}{county_no:02d}"
                khost = f"www.k{kcode}.gov.cn"
                group.append(Body(city + county + "人民政府", "county", province, kcode, khost))
                group += [
                    Body(county + d, "department", province, kcode, khost) for d in DEPARTMENTS[:18]
                ]
                for _ in range(rng.randint(6, 12)):
                    town = _place(rng, names) + rng.choice(("镇", "镇", "乡", "街道办事处"))
                    group.append(Body(county + town, "township", province, kcode, khost))
        out += group[:per_province]
    return out[:count]


# --- report records ----------------------------------------------------------------------

SENTENCES = {
    "overview": (
        "{year}年，{we}坚持以习近平新时代中国特色社会主义思想为指导，全面贯彻落实党中央、国务院关于全面推进政务公开工作的决策部署。",
        "严格执行《中华人民共和国政府信息公开条例》，紧紧围绕中心工作，不断加大主动公开力度，持续提升政务公开质量和实效。",
        "{we}成立了由主要负责同志任组长的政务公开工作领导小组，明确办公室为政务公开工作的牵头机构，配备专职工作人员。",
        "健全完善政府信息公开审查、发布、解读回应等工作制度，严格落实“先审查、后公开”和“一事一审”的要求。",
        "全年通过政府网站主动公开各类政府信息{n}条，其中政策文件{m}件，政策解读{k}篇，回应社会关切{j}次。",
        "坚持“公开为常态、不公开为例外”原则，围绕重大决策、重点项目、民生保障等领域深化信息公开。",
        "进一步规范政府信息公开申请受理、办理、答复等环节，全年未发生因答复超期引发的行政复议或行政诉讼。",
        "加强政府网站和政务新媒体建设管理，优化信息公开专栏设置，提升信息检索的便捷性和准确性。",
        "组织开展政务公开业务培训{k}次，参训人员{n}人次，工作人员依法公开意识和业务能力明显提升。",
        "推进基层政务公开标准化规范化建设，编制完善{k}个领域的基层政务公开标准目录。",
    ),
    "proactive": (
        "本年度{we}新制发规范性文件{k}件，废止{j}件，现行有效规范性文件全部在网站集中公开。",
        "及时公开财政预决算、“三公”经费、重大建设项目、公共资源配置等重点领域信息。",
        "行政许可、行政处罚等执法信息按照“双公示”要求在规定时限内上网公开。",
    ),
    "requests": (
        "{year}年，{we}共收到政府信息公开申请{n}件，上年结转{j}件，均在法定期限内予以答复。",
        "从申请内容看，主要涉及征地拆迁、规划建设、社会保障、行政执法等方面的信息。",
        "对于不予公开的申请，均依法说明理由并告知申请人救济途径。",
    ),
    "review_litigation": (
        "{year}年，{we}因政府信息公开被申请行政复议{k}件，被提起行政诉讼{j}件。",
        "对复议和诉讼中发现的问题，及时分析原因，改进答复文书的规范性。",
    ),
    "problems": (
        "{we}政务公开工作仍存在一些不足：一是政策解读的形式还不够丰富，解读质量有待提升；",
        "二是基层政务公开标准化规范化水平有待提高，部分栏目更新不够及时；",
        "三是依申请公开办理工作人员的业务能力需进一步加强。",
        "下一步，{we}将进一步健全工作机制，加强业务培训，提升政务公开工作的质量和水平。",
        "加强政策解读和回应关切，丰富解读形式，扩大政务公开的覆盖面和影响力。",
        "强化监督考核，将政务公开工作纳入年度绩效考核，确保各项任务落到实处。",
    ),
    "other": (
        "{year}年度，{we}未收取政府信息公开信息处理费。",
        "{we}认真落实上年度政务公开工作要点，各项任务均已按期完成。",
        "无其他需要报告的事项。",
    ),
}
TEXT_SCALE = {"department": 1.0, "province": 2.0, "city": 1.5, "county": 1.2, "township": 0.7}
VOLUME = {"department": 30, "province": 900, "city": 300, "county": 60, "township": 4}


_FILLED: dict[tuple[str, int, str], list[str]] = {}


def _text(rng: random.Random, section: str, target: int, fill: dict[str, Any]) -> str:
    """Sentences of the section's bank, numbers filled in, up to ``target`` characters."""
    key = (section, fill["year"], fill["we"])
    if key not in _FILLED:  # 40 numeric variants of every sentence, made once
        _FILLED[key] = [
            s.format(n=rng.randint(10, 9000), m=rng.randint(1, 300), k=rng.randint(1, 40),
                     j=rng.randint(0, 12), **fill)
            for s in SENTENCES[section] for _ in range(40)
        ]  # fmt: skip
    pool = _FILLED[key]
    parts: list[str] = []
    size = 0
    while size < target:
        sentence = rng.choice(pool)
        parts.append(sentence)
        size += len(sentence)
    return "".join(parts)


def _cell(table: str, row: str, column: str, value: Any, unit: str | None = None) -> dict[str, Any]:
    cell = {
        "table": table,
        "row": row,
        "column": column,
        "text": "" if value is None else str(value),
        "value": value,
    }
    if unit:
        cell["unit"] = unit
    return cell


# How often a body's report does not follow from its previous year's: its 结转上年度
# (X_CARRY) or its 现行有效件数 (X_IN_FORCE) figures break the chain (a restatement,
# a typo, a changed count). An assumption: one year in ten for each.
CHAIN_BREAKS = 0.1
# How often a report's text states another number of new requests than its 表三
# (X_NARRATIVE), also an assumption.
NARRATIVE_SLIPS = 0.05
STATED_REQUESTS = re.compile(r"(共收到政府信息公开申请)\d+(件)")


def hash_of(text: str) -> int:
    """A stable number for ``text`` (Python's ``hash`` of a str changes per process)."""
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "big")


def report_record(
    body: Body,
    year: int,
    rng: random.Random,
    chars: int,
    previous: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One report in ``Report.to_json()`` shape, numbers consistent unless made to fail.

    ``previous`` is the same body's report of the year before: its carried-forward
    requests and in-force counts carry into this one, except ``CHAIN_BREAKS`` of the time.
    """
    template = "2019" if year <= 2020 else "2021"
    rows = REQUEST_ROWS_2019 if template == "2019" else REQUEST_ROWS_2021
    blanks = rng.random() < 0.08  # some bodies leave zero cells blank
    scale = VOLUME[body.level] * rng.uniform(0.2, 2.5)
    new = [int(rng.random() < 0.6 and rng.expovariate(1 / scale)) for _ in range(6)]
    new[0] = int(rng.expovariate(1 / scale))
    carried = [rng.randint(0, 2) if v else 0 for v in new]
    if previous is not None and rng.random() >= CHAIN_BREAKS:
        carried = [v or 0 for v in previous["requests"]["carried_forward"][:6]]
    forward = [min(v, rng.randint(0, 2)) for v in new]
    outcome_rows = [
        r for r in rows if r not in ("new_received", "carried_over", "total", "carried_forward")
    ]
    weights = [rng.random() ** 3 for _ in outcome_rows]
    weights[0] += 3  # granted dominates
    requests: dict[str, list[Any]] = {r: [0] * 7 for r in rows}
    share = sum(weights)
    for col in range(6):
        handled = new[col] + carried[col] - forward[col]
        left = handled
        for row, weight in zip(outcome_rows[1:], weights[1:], strict=True):
            count = min(left, int(handled * weight / share + rng.random()))
            requests[row][col] = count
            left -= count
        requests[outcome_rows[0]][col] = left  # granted takes the rest
        requests["new_received"][col] = new[col]
        requests["carried_over"][col] = carried[col]
        requests["carried_forward"][col] = forward[col]
        requests["total"][col] = handled
    for values in requests.values():
        values[6] = sum(values[:6])
    checks_failing: list[str] = []
    if rng.random() < 0.07:
        requests["total"][6] += rng.randint(1, 5)
        checks_failing = ["T3_BALANCE", "T3_COLUMNS", "T3_TOTAL"]
    if blanks:
        for values in requests.values():
            for i, v in enumerate(values):
                if v == 0:
                    values[i] = None
    review: dict[str, list[Any]] = {}
    for group in GROUPS:
        counts = [int(rng.random() < 0.15 and rng.randint(1, 6)) for _ in range(4)]
        review[group] = [*counts, sum(counts)]
    proactive = []
    cells = []
    spec = PROACTIVE_2019 if template == "2019" else PROACTIVE_2021
    in_force_before = {}
    if previous is not None and previous["template"] == template and rng.random() >= CHAIN_BREAKS:
        in_force_before = {
            row["key"]: row["values"]["in_force"]
            for row in previous["proactive"]
            if "in_force" in row["values"]
        }
    for key, metrics in spec.items():
        values: dict[str, Any] = {}
        for metric in metrics:
            if metric == "amount":
                amount = round(rng.uniform(0, 5000), 4)
                values[metric] = {
                    "text": f"{amount:.4f}",
                    "unit": "万元",
                    "yuan": round(amount * 10000, 2),
                }
                cells.append(
                    _cell("proactive", key, metric, amount, "万元") | {"text": f"{amount:.4f}"}
                )
                continue
            values[metric] = rng.randint(0, 400)
            if metric == "in_force" and key in in_force_before:  # issued, repealed come first
                before = in_force_before[key]
                values["repealed"] = min(values["repealed"], before + values["issued"])
                values[metric] = before + values["issued"] - values["repealed"]
        cells.extend(
            _cell("proactive", key, metric, value)
            for metric, value in values.items()
            if metric != "amount"
        )
        # The template's label; a fifth of 2021 reports print 规范性文件, the 2019 wording.
        label = proactive_row_label(key, template)
        if key == "normative_docs" and template == "2021" and hash_of(body.name) % 5 == 0:
            label = proactive_row_label(key, "2019")
        proactive.append({"key": key, "label": label, "values": values})
    for row in rows:
        for column, value in zip(COLUMNS, requests[row], strict=True):
            cells.append(_cell("requests", row, column, value))
    for group in GROUPS:
        for outcome, value in zip(OUTCOMES, review[group], strict=True):
            cells.append(_cell("review_litigation", group, outcome, value))
    checks = []
    for column in COLUMNS:
        for check in ("T3_BALANCE", "T3_TOTAL"):
            checks.append({"id": check, "scope": f"column:{column}", "expected": 0, "actual": 0,
                           "passed": check not in checks_failing or column != "total", "severity": "error"})  # fmt: skip
    for row in rows:
        checks.append({"id": "T3_COLUMNS", "scope": f"row:{row}", "expected": 0, "actual": 0,
                       "passed": "T3_COLUMNS" not in checks_failing or row != "total", "severity": "error"})  # fmt: skip
    for group in GROUPS:
        checks.append({"id": "T4_TOTAL", "scope": f"group:{group}", "expected": 0, "actual": 0,
                       "passed": True, "severity": "error"})  # fmt: skip
    we = "本机关" if body.level == "department" else "本级政府"
    fill = {"year": year, "we": we}
    target = chars * TEXT_SCALE[body.level]
    shares = {"overview": 0.45, "proactive": 0.1, "requests": 0.1, "review_litigation": 0.05,
              "problems": 0.25, "other": 0.05}  # fmt: skip
    sections = {
        k: _text(rng, k, int(target * share * rng.uniform(0.5, 1.5)), fill)
        for k, share in shares.items()
    }
    if rng.random() >= NARRATIVE_SLIPS:  # the text states the total 表三 prints
        total = requests["new_received"][6] or 0
        sections["requests"] = STATED_REQUESTS.sub(rf"\g<1>{total}\g<2>", sections["requests"])
    warnings = (
        []
        if rng.random() < 0.9
        else [{"code": "row_cell_count", "message": "a row had an extra cell"}]
    )
    return {
        "document": None, "format": "html", "title": f"{body.name}{year}年政府信息公开工作年度报告",
        "organization": body.name, "organization_source": "title", "year": year, "year_source": "title",
        "template": template, "sections": list(sections), "proactive": proactive,
        "requests": requests, "review_litigation": review, "extra": [],
        "checks_failing": checks_failing, "checks": checks, "warnings": warnings,
        "section_texts": sections, "cells": cells,
    }  # fmt: skip


def _digest(body_index: int, year: int) -> str:
    return hashlib.sha256(f"bench-{body_index}-{year}".encode()).hexdigest()


@dataclass
class Pooled:
    """A generated report, encoded once, reused for many bodies of its level and year."""

    record: dict[str, Any]
    report_blob: bytes
    summary: dict[str, Any]
    prepared: Prepared
    sections: bytes  # rows.dump_sections
    chars: int


def _pool(rng: random.Random, chars: int, size: int) -> dict[tuple[str, int], list[Pooled]]:
    """``size`` series of a report per year for each level, ``pool[level, year][series]``.

    A body takes one series for all its years (and gets its own name): each year's
    report follows from the one before (``report_record``'s ``previous``).
    """
    sample = {
        level: Body(f"样例{level}", level, "广东", "440100", "www.example.gov.cn")
        for level in VOLUME
    }
    pool: dict[tuple[str, int], list[Pooled]] = {}
    for level, body in sample.items():
        for _ in range(size):
            record = None
            for year in YEARS:
                record = report_record(body, year, rng, chars, previous=record)
                pool.setdefault((level, year), []).append(
                    Pooled(
                        record,
                        encode_report(record),
                        summarize(record),
                        prepare(record),
                        dump_sections(prepare_sections(record)),
                        sum(len(t) for t in record["section_texts"].values()),
                    )
                )
    return pool


def generate(
    data: Path, n_bodies: int, chars: int, seed: int = 0, pool_size: int = 300
) -> dict[str, Any]:
    """Write crawl.db and build-state.db for ``n_bodies`` × 7 years of reports.

    Numbers and texts come from a pool of ``pool_size`` series of seven yearly reports
    per level (generating and encoding 700k distinct reports would take an hour
    here); every report gets its own body name, title, URL and digest.
    """
    import sqlite3

    import parsers

    data.mkdir(parents=True, exist_ok=True)
    for name in ("crawl.db", "build-state.db", "archive.db", "inspect.json"):
        (data / name).unlink(missing_ok=True)
    start = time.perf_counter()
    rng = random.Random(seed)
    pool = _pool(rng, chars, pool_size)
    all_bodies = bodies(n_bodies, seed)
    source_of = write_sources(all_bodies, data / "sources")
    ledger = sqlite3.connect(data / "crawl.db")
    ledger.executescript(LEDGER_SCHEMA)
    ledger.execute(
        "INSERT INTO runs (id, started_at, status) VALUES ('bench', '2026-01-01T00:00:00Z', 'finished')"
    )
    state = BuildState.open(data)
    state.conn.execute("PRAGMA synchronous=OFF")
    version = str(parsers.PARSER_VERSION)
    total_chars = 0
    reports = 0
    captures: list[tuple[Any, ...]] = []
    cache_rows: list[tuple[Any, ...]] = []
    page_dates: list[tuple[Any, ...]] = []
    for index, body in enumerate(all_bodies):
        series = rng.randrange(pool_size)
        for year in YEARS:
            pooled = pool[(body.level, year)][series]
            title = f"{body.name}{year}年政府信息公开工作年度报告"
            summary = {**pooled.summary, "organization": body.name, "title": title}
            pooled.prepared.title = title
            sha = _digest(index, year)
            total_chars += pooled.chars
            url = f"http://{body.host}/xxgk/ndbg/{year + 1}/t{index}_{year}.html"
            captures.append(
                ("bench", source_of[body.host], url, url, 200, "{}", f"{year + 1}-02-01T08:00:00Z", sha, 30000,
                 "text/html; charset=utf-8", "report", f"http://{body.host}/xxgk/ndbg/", title, "new")
            )  # fmt: skip
            cache_rows.append(
                (sha, version, "html", pooled.report_blob,
                 json.dumps(summary, ensure_ascii=False), pooled.prepared.dump(), pooled.sections)
            )  # fmt: skip
            # The date the page states (read from pages by the build's late-report step):
            # most in January, some in March (late for a department), a few later.
            published = rng.choices(("01-15", "03-20", "05-10"), weights=(80, 15, 5))[0]
            page_dates.append((sha, f"{year + 1}-{published}", "meta"))
            reports += 1
        if len(cache_rows) >= 20000:
            _flush(ledger, state, captures, cache_rows, page_dates)
    _flush(ledger, state, captures, cache_rows, page_dates)
    ledger.close()
    state.close()
    return {
        "bodies": len(all_bodies),
        "reports": reports,
        "distinct_reports_in_pool": sum(len(v) for v in pool.values()),
        "section_chars_per_report": round(total_chars / max(reports, 1)),
        "generate_seconds": round(time.perf_counter() - start, 1),
    }


def write_sources(all_bodies: list[Body], directory: Path) -> dict[str, str]:
    """One source entry per portal host, as the crawler's registry holds them; host → id.

    A host's first body is its government (a ministry for a national host); its
    division code gives every body crawled there its province, as in a real crawl.
    """
    import shutil

    import yaml

    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    ids: dict[str, str] = {}
    for body in all_bodies:
        if body.host in ids:
            continue
        source_id = ids[body.host] = body.host.replace(".", "_").replace("-", "_")
        entry = {
            "name": body.name,
            "level": "national" if body.province == "全国" else body.level,
            "division_code": None if body.province == "全国" else body.division_code,
            "start_url": f"http://{body.host}/xxgk/ndbg/",
        }
        text = yaml.safe_dump(entry, allow_unicode=True, sort_keys=False)
        (directory / f"{source_id}.yml").write_text(text, encoding="utf-8")
    return ids


def _flush(
    ledger: Any,
    state: BuildState,
    captures: list[Any],
    cache_rows: list[Any],
    page_dates: list[Any],
) -> None:
    with ledger:
        ledger.executemany(
            "INSERT INTO captures (run_id, source_id, url, final_url, status, headers, fetched_at,"
            " sha256, size, content_type, kind, parent_url, title, change)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            captures,
        )
    state.put_encoded(cache_rows)
    state.put_page_dates(page_dates)
    captures.clear()
    cache_rows.clear()
    page_dates.clear()


# --- build --------------------------------------------------------------------------------


def run_build(data: Path) -> dict[str, Any]:
    """The real build (``archive.build.build``) on the generated directory, timed by phase."""
    import resource

    from archive.build import build

    def cpu_seconds(who: int) -> float:
        usage = resource.getrusage(who)
        return usage.ru_utime + usage.ru_stime

    messages: list[tuple[float, str]] = []
    start = time.perf_counter()
    cpu_start = time.process_time()
    children_start = cpu_seconds(resource.RUSAGE_CHILDREN)
    sources = data / "sources"
    stats = build(
        data,
        jobs=1,
        progress=lambda m: messages.append((time.perf_counter() - start, m)),
        sources_dir=sources if sources.is_dir() else None,
    )
    total = time.perf_counter() - start
    cpu = time.process_time() - cpu_start
    children = cpu_seconds(resource.RUSAGE_CHILDREN) - children_start  # the search process
    size = (data / "archive.db").stat().st_size
    return {
        "reports": stats.reports,
        "documents": stats.documents,
        "parsed_now": stats.parsed_now,
        "write_seconds": round(stats.write_seconds, 1),
        "publish_seconds": round(stats.publish_seconds, 1),
        "total_seconds": round(total, 1),
        "write_reports_per_second": round(stats.reports / stats.write_seconds),
        "end_to_end_reports_per_second": round(stats.reports / total),
        "build_process_cpu_seconds": round(cpu, 1),
        "search_process_cpu_seconds": round(children, 1),
        "reports_per_cpu_second": round(stats.reports / (cpu + children)),
        "phases": {
            name: {"wall": round(wall, 1), "cpu": round(cpu_s, 1)}
            for name, (wall, cpu_s) in stats.phases.items()
        },
        "load_average_after": list(os.getloadavg()),
        "archive_db_gib": round(size / 2**30, 2),
        "log": [f"{t:7.1f}s {m}" for t, m in messages],
    }


# --- pages --------------------------------------------------------------------------------


def page_list(data: Path, rng: random.Random) -> Iterator[tuple[str, str, str]]:
    """(kind, name, path) for one round of requests; parameters vary between rounds."""
    import sqlite3

    import yaml

    conn = sqlite3.connect(f"file:{data / 'archive.db'}?mode=ro", uri=True)
    provinces = [
        r[0]
        for r in conn.execute("SELECT DISTINCT province FROM bodies WHERE province IS NOT NULL")
    ]
    report_ids = [r[0] for r in conn.execute("SELECT id FROM reports ORDER BY random() LIMIT 50")]
    # Where "Next page" from the default view (year, newest first; ties by id) leads.
    after = conn.execute(
        "SELECT year, id FROM reports ORDER BY year DESC, id LIMIT 1 OFFSET ?",
        (rng.randrange(24, 2500),),
    ).fetchone()
    conn.close()
    year = rng.choice(YEARS)
    province = rng.choice(provinces)
    level = rng.choice(("county", "city", "township", "department"))
    term = rng.choice(
        ("复议", "诉讼", "公开", "解读", "培训", "规范性文件", "政务新媒体", "征地拆迁", "预决算")
    )
    q = urllib.parse.quote
    yield "table", "reports (HTML, 4 default facets)", "/archive/reports"
    yield "table", "requests.json (100 rows)", "/archive/requests.json?_size=100"
    yield "table", "sections (HTML)", "/archive/sections"
    yield (
        "facet",
        "reports facets year+province+level+template, filtered",
        f"/archive/reports?year={year}",
    )
    yield (
        "facet",
        "requests.json _facet=province&_facet=level",
        f"/archive/requests.json?_facet=province&_facet=level&_size=0&year={year}",
    )
    yield (
        "filter",
        "reports ?year&province&level",
        f"/archive/reports?year={year}&province={q(province)}&level={level}",
    )
    yield (
        "filter",
        "requests.json ?year&province sorted by a 表三 cell",
        f"/archive/requests.json?year={year}&province={q(province)}&_sort_desc=denied_third_party__total&_shape=array",
    )
    yield (
        "sort",
        "reports sorted by denied_share",
        f"/archive/reports?_sort_desc=denied_share&year={year}",
    )
    # Sorted pages whose ties are broken by the key (datasette/plugins/sorted_paging.py).
    if after:
        yield (
            "sort",
            "reports, a later page of the default view (Next page)",
            f"/archive/reports?_next={after[0]},{q(after[1])}",
        )
    # The year header's sort link (a year at a time against the (year DESC, key) index;
    # level and template are facets, not sort links, since run 9).
    yield "sort", "reports ?_sort=year (ties by id)", "/archive/reports?_sort=year"
    yield "sort", "proactive ?_sort=year (ties by key)", "/archive/proactive?_sort=year"
    yield "sort", "proactive (HTML, year newest first, ties by key)", "/archive/proactive"
    yield "sort", "report_quality (HTML, sort_desc score)", "/archive/report_quality"
    # What the sections page's search box submits (it adds _nocount=1: the page streams).
    yield (
        "search",
        "sections ?_search (search box)",
        f"/archive/sections?_search={q(term)}&_nocount=1",
    )
    yield (
        "search",
        "sections.json ?_search with the exact count",
        f"/archive/sections.json?_search={q(term)}&_size=20",
    )
    yield (
        "search",
        "sections.json ?_search&year",
        f"/archive/sections.json?_search={q(term)}&year={year}&_shape=array",
    )
    yield (
        "search",
        "reports ?_search (title, body)",
        f"/archive/reports?_search={q(rng.choice(('教育局', '人民政府', '街道办事处', '卫生健康')))}",
    )
    yield "row", "report page", f"/archive/reports/{q(rng.choice(report_ids))}"
    metadata = yaml.safe_load((REPO / "datasette" / "metadata.yaml").read_text(encoding="utf-8"))
    queries = metadata["databases"]["archive"].get("queries", {})
    examples = metadata.get("plugins", {}).get("xxgk-openapi", {}).get("examples", {})
    for name in queries:
        params = dict(examples.get(name, {}))
        for key in params:
            if key == "year":
                params[key] = year
            elif key == "province" and params[key] == "":
                params[key] = rng.choice(("", province))
            elif key == "term":
                params[key] = term
        yield "canned", name, f"/archive/{name}.json?_shape=array&" + urllib.parse.urlencode(params)


def measure_pages(data: Path, rounds: int) -> dict[str, Any]:
    from archive.site import running_site

    started = time.perf_counter()
    with running_site(("serve", "--data-dir", str(data)), timeout=600) as site:
        base = site.url
        startup = time.perf_counter() - started
        # Pages are served while the facet counts are taken; measure once they are.
        while not json.loads(urllib.request.urlopen(base + "/-/facet-counts.json").read())["done"]:
            time.sleep(1)
        counted = time.perf_counter() - started
        rng = random.Random(1)
        timings: dict[tuple[str, str], list[float]] = {}
        statuses: dict[tuple[str, str], set[int]] = {}
        for round_no in range(rounds + 1):
            for kind, name, path in page_list(data, rng):
                t0 = time.perf_counter()
                try:
                    with urllib.request.urlopen(base + path, timeout=60) as response:
                        response.read()
                        status = response.status
                except urllib.error.HTTPError as exc:
                    exc.read()
                    status = exc.code
                elapsed = time.perf_counter() - t0
                if round_no == 0:
                    continue  # warm-up round
                timings.setdefault((kind, name), []).append(elapsed * 1000)
                statuses.setdefault((kind, name), set()).add(status)
        pages = []
        for (kind, name), values in timings.items():
            values.sort()
            pages.append(
                {
                    "kind": kind,
                    "page": name,
                    "n": len(values),
                    "p50_ms": round(statistics.median(values), 1),
                    "p95_ms": round(values[max(0, int(round(0.95 * len(values))) - 1)], 1),
                    "status": sorted(statuses[(kind, name)]),
                }
            )
        return {
            "server_startup_seconds": round(startup, 1),
            "facet_counts_seconds": round(counted, 1),
            "load_average_after": list(os.getloadavg()),
            "rounds": rounds,
            "pages": pages,
        }


# --- parse throughput --------------------------------------------------------------------


def parse_throughput(count: int) -> dict[str, Any]:
    """Rendered portal pages through ``parse_document``: documents per second (one process)."""
    from crawler.fixture_portals.render_html import render_report_html
    from crawler.fixture_portals.reports import synthetic_reports
    from parsers import DocumentMeta, parse_document

    pages = [render_report_html(spec) for spec in synthetic_reports(count, seed=9)]
    start = time.perf_counter()
    for page in pages:
        parse_document(page, DocumentMeta())
    seconds = time.perf_counter() - start
    return {
        "documents": count,
        "seconds": round(seconds, 2),
        "documents_per_second": round(count / seconds, 1),
    }


# --- CLI -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("step", choices=("generate", "build", "pages", "parse", "all"))
    parser.add_argument("--data", type=Path, default=Path("/tmp/xxgk-scale"))
    parser.add_argument("--bodies", type=int, default=100_000)
    parser.add_argument(
        "--chars", type=int, default=1500, help="Mean section text per report (characters)."
    )
    parser.add_argument("--rounds", type=int, default=20, help="Measured rounds of page requests.")
    parser.add_argument("--parse-docs", type=int, default=100)
    args = parser.parse_args()
    out = RESULTS / f"scale-{args.bodies * len(YEARS)}.json"
    results: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    if args.step in ("generate", "all"):
        results["generate"] = generate(args.data, args.bodies, args.chars)
        print(json.dumps(results["generate"], ensure_ascii=False), flush=True)
    if args.step in ("build", "all"):
        results["build"] = run_build(args.data)
        print(json.dumps(results["build"], ensure_ascii=False, indent=1), flush=True)
    if args.step in ("pages", "all"):
        results["pages"] = measure_pages(args.data, args.rounds)
        for page in results["pages"]["pages"]:
            print(
                f"| {page['kind']} | {page['page']} | {page['p50_ms']} | {page['p95_ms']} | {page['status']} |"
            )
    if args.step == "parse":
        results["parse"] = parse_throughput(args.parse_docs)
        print(json.dumps(results["parse"]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    # Re-read before writing: another step may have run meanwhile (keep its results).
    written: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    step_keys = ("generate", "build", "pages") if args.step == "all" else (args.step,)
    written.update({key: results[key] for key in step_keys if key in results})
    out.write_text(json.dumps(written, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
