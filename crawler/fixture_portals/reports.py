"""Annual reports as *report specs*: the seeds and deterministic synthetic ones.

A report spec is the gold files' shape (``tests/fixtures/seeds/*.gold.json``)::

    {"organization", "year", "template": "2019"|"2021", "title",
     "section_texts": {section_key: text},
     "proactive": [{"key", "label", "values": {metric: number|None|money}}],
     "requests": {row_key: [7 values]}, "review_litigation": {group: [5 values]},
     "extra": [{"label", "value"}], "checks_failing": [...]}

plus ``document``, a name that identifies the spec. ``None`` is a blank cell,
never a zero; a money value is ``{"text", "unit", "yuan"}``. Renderers
(``render_html``, ``render_office``) turn a spec into a document; parsing that
document must give the spec back.

- ``seed_reports()``: the five seeds, their section texts cut from the ``.txt``.
- ``synthetic_reports(n, seed)``: varied reports of every level of government,
  both templates, blank cells, sub-rows, extra rows, money in 万元 and 元, and
  some deliberately failing consistency checks. Report ``i`` depends only on
  ``(seed, i)``, so a longer list starts with the shorter one.
- ``hybrid_report(i, seed)``: 表二 of one template with 表三 of the other;
  ``pre2019_report(i, seed)``: a report from before the national tables.
- ``failing_checks(spec)``: the spec's consistency checks that fail (blank
  counted as 0), as ``checks_failing`` lists them.
- ``differences(parsed, spec)``: how a parsed record (``Report.to_json()``)
  differs from the spec it was rendered from, cell by cell.
"""

from __future__ import annotations

import json
import random
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from parsers.template import REQUEST_ROWS_2019, REQUEST_ROWS_2021, SECTIONS

SEEDS_DIR = Path(__file__).parents[2] / "tests/fixtures/seeds"

SECTION_KEYS = SECTIONS
TABLE_SECTIONS = frozenset({"proactive", "requests", "review_litigation"})

APPLICANT_COLUMNS = 6  # the 7th column of 表三 is the total
REQUEST_HEAD = ("new_received", "carried_over")
# The outcome rows between 二、上年结转 and （七）总计, in template order.
OUTCOMES_2019 = REQUEST_ROWS_2019[2:-2]
OUTCOMES_2021 = REQUEST_ROWS_2021[2:-2]
GROUPS = ("review", "suit_direct", "suit_after_review")

# How often each outcome occurs, roughly (a weight per outcome row).
OUTCOME_WEIGHTS = {
    "granted": 40,
    "partially_granted": 8,
    "denied_state_secret": 1,
    "denied_law_prohibited": 2,
    "denied_security_stability": 1,
    "denied_third_party": 2,
    "denied_internal_affairs": 2,
    "denied_process_info": 3,
    "denied_enforcement_file": 1,
    "denied_query_matter": 2,
    "unavailable_not_held": 20,
    "unavailable_needs_creation": 3,
    "unavailable_unclear": 3,
    "rejected_petition": 4,
    "rejected_duplicate": 3,
    "rejected_publication": 1,
    "rejected_excessive": 1,
    "rejected_confirmation": 1,
    "other": 3,
    "other_no_correction": 2,
    "other_unpaid_fee": 1,
    "other_other": 2,
}


# --------------------------------------------------------------------------- checks


def _n(value: Any) -> float:
    """A cell's value for a check: blank counts as 0."""
    return 0 if value is None else value


def failing_checks(spec: dict[str, Any]) -> list[str]:
    """The ids of the spec's consistency checks that fail, sorted (blank = 0)."""
    failing: set[str] = set()
    requests: dict[str, list[Any]] = spec["requests"]
    if requests:  # the rows say which template 表三 follows (a hybrid report mixes them)
        outcomes = OUTCOMES_2019 if "other" in requests else OUTCOMES_2021
        for col in range(APPLICANT_COLUMNS + 1):

            def cell(row: str, c: int = col) -> float:
                return _n(requests.get(row, [None] * 7)[c])

            if cell("new_received") + cell("carried_over") != cell("total") + cell(
                "carried_forward"
            ):
                failing.add("T3_BALANCE")
            if cell("total") != sum(cell(r) for r in outcomes):
                failing.add("T3_TOTAL")
        for values in requests.values():
            if _n(values[6]) != sum(_n(v) for v in values[:6]):
                failing.add("T3_COLUMNS")
    for values in spec["review_litigation"].values():
        if _n(values[4]) != sum(_n(v) for v in values[:4]):
            failing.add("T4_TOTAL")
    for row in spec["proactive"]:  # 表二 of template 2019 only has prev_count
        v = row["values"]
        if "prev_count" not in v or "decisions" not in v:
            continue
        if _n(v["prev_count"]) + _n(v["change"]) != _n(v["decisions"]):
            failing.add("T2_CHANGE")
    return sorted(failing)


def differences(got: dict[str, Any], spec: dict[str, Any]) -> list[str]:
    """Every difference between a parsed record (``Report.to_json()``) and a spec.

    Compared: organisation, year, template, the failing checks, the six
    sections found, every cell of 表二/表三/表四 (``None`` is not ``0``), rows the
    document does not have, and the extra rows. One line per difference.
    """
    out: list[str] = []

    def differ(path: str, expected: Any, actual: Any) -> None:
        if expected != actual:
            out.append(f"{path}: expected {expected!r}, got {actual!r}")

    for key in ("organization", "year", "template"):
        differ(key, spec[key], got.get(key))
    differ(
        "checks_failing", sorted(spec["checks_failing"]), sorted(got.get("checks_failing") or [])
    )
    if spec["template"] != "pre2019":  # older reports used other headings
        differ("sections", list(SECTION_KEYS), got.get("sections"))

    parsed_rows = {row["key"]: row for row in got.get("proactive") or []}
    differ("proactive keys", [r["key"] for r in spec["proactive"]], list(parsed_rows))
    for row in spec["proactive"]:
        parsed = parsed_rows.get(row["key"], {}).get("values", {})
        for metric, expected in row["values"].items():
            differ(f"proactive.{row['key']}.{metric}", expected, parsed.get(metric, "<missing>"))

    for table in ("requests", "review_litigation"):
        parsed_table = got.get(table) or {}
        for key, values in spec[table].items():
            parsed_values = parsed_table.get(key) or ["<missing>"] * len(values)
            if len(parsed_values) != len(values):
                out.append(f"{table}.{key}: {len(parsed_values)} cells, expected {len(values)}")
                continue
            for i, (expected, actual) in enumerate(zip(values, parsed_values, strict=True)):
                differ(f"{table}.{key}[{i}]", expected, actual)
        for key in set(parsed_table) - set(spec[table]):
            if any(v is not None for v in parsed_table[key]):
                out.append(f"{table}.{key}: a row the document does not have: {parsed_table[key]}")

    differ("extra", spec["extra"], got.get("extra"))
    return out


# --------------------------------------------------------------------------- seeds

_HEADINGS = {
    "overview": re.compile(r"^(一|1)\s*[、.．]\s*总体情况"),
    "proactive": re.compile(r"^二\s*[、.．]\s*主动公开"),
    "requests": re.compile(r"^三\s*[、.．]\s*收到和处理"),
    "review_litigation": re.compile(r"^四\s*[、.．].*行政复议"),
    "problems": re.compile(r"^五\s*[、.．].*问题"),
    "other": re.compile(r"^六\s*[、.．]\s*其他需要报告"),
}


def _cut_seed_text(text: str) -> tuple[str | None, dict[str, str]]:
    """The title and the six sections' prose of a seed's plain text.

    Table cells are not prose: in the table sections only long lines with no
    tab are kept (the seeds print their tables one cell per line or as
    tab-separated rows).
    """
    lines = text.splitlines()
    starts: dict[str, int] = {}
    for key in SECTION_KEYS:
        after = max(starts.values(), default=-1) + 1
        for i in range(after, len(lines)):
            if not lines[i].startswith("\t") and _HEADINGS[key].match(lines[i].strip()):
                starts[key] = i
                break
    first = min(starts.values())
    title_lines = [ln.strip() for ln in lines[:first] if ln.strip() and len(ln.strip()) < 40]
    title = "".join(title_lines) or None

    bounds = sorted((i, k) for k, i in starts.items())
    sections: dict[str, str] = {}
    for n, (start, key) in enumerate(bounds):
        end = bounds[n + 1][0] if n + 1 < len(bounds) else len(lines)
        kept = []
        for line in lines[start + 1 : end]:
            if not line.strip():
                continue
            if key in TABLE_SECTIONS and ("\t" in line or len(line.strip()) < 30):
                continue
            kept.append(line.strip())
        sections[key] = "\n".join(kept)
    return title, sections


def seed_reports() -> list[dict[str, Any]]:
    """The five seed reports as report specs (gold values plus title and section texts)."""
    specs = []
    for gold_path in sorted(SEEDS_DIR.glob("*.gold.json")):
        gold = json.loads(gold_path.read_text(encoding="utf-8"))
        text = (SEEDS_DIR / gold["document"]).read_text(encoding="utf-8")
        title, sections = _cut_seed_text(text)
        specs.append(
            {
                "document": gold_path.name.removesuffix(".gold.json"),
                "organization": gold["organization"],
                "year": gold["year"],
                "template": gold["template"],
                "title": title,
                "section_texts": sections,
                "proactive": gold["proactive"],
                "requests": gold["requests"],
                "review_litigation": gold["review_litigation"],
                "extra": gold["extra"],
                "checks_failing": gold["checks_failing"],
            }
        )
    return specs


# --------------------------------------------------------------------------- organisations

# (province, capital-or-city, [counties and districts], [townships]) as data.
GEOGRAPHY = (
    (
        "浙江省",
        "杭州市",
        ("西湖区", "余杭区", "淳安县", "桐庐县"),
        ("良渚街道", "汾口镇", "分水镇"),
    ),
    ("浙江省", "嘉兴市", ("秀洲区", "海盐县", "桐乡市"), ("洪合镇", "乌镇镇", "武原街道")),
    ("江苏省", "苏州市", ("吴中区", "昆山市", "常熟市"), ("木渎镇", "周庄镇", "沙家浜镇")),
    ("陕西省", "安康市", ("汉滨区", "镇坪县", "紫阳县"), ("曾家镇", "城关镇", "蒿坪镇")),
    ("吉林省", "长春市", ("朝阳区", "德惠市", "农安县"), ("郭家镇", "米沙子镇", "合隆镇")),
    ("黑龙江省", "哈尔滨市", ("道里区", "巴彦县", "呼兰区"), ("王助镇", "兴隆镇", "康金街道")),
    ("广东省", "韶关市", ("浈江区", "乐昌市", "南雄市"), ("犁市镇", "坪石镇", "珠玑镇")),
    ("四川省", "绵阳市", ("涪城区", "江油市", "北川羌族自治县"), ("青莲镇", "曲山镇", "永兴镇")),
    ("河南省", "洛阳市", ("洛龙区", "孟津区", "栾川县"), ("白马寺镇", "潭头镇", "陶湾镇")),
    ("山东省", "威海市", ("环翠区", "荣成市", "乳山市"), ("石岛管理区", "夏村镇", "张家埠街道")),
)
STATE_COUNCIL_BODIES = (
    "教育部",
    "科学技术部",
    "民政部",
    "司法部",
    "财政部",
    "自然资源部",
    "生态环境部",
    "交通运输部",
    "水利部",
    "农业农村部",
    "商务部",
    "应急管理部",
    "审计署",
    "国家统计局",
    "国家医疗保障局",
    "国家林业和草原局",
    "国家知识产权局",
    "国家卫生健康委员会",
)
BUREAUS = (
    "教育局",
    "公安局",
    "民政局",
    "财政局",
    "人力资源和社会保障局",
    "自然资源和规划局",
    "生态环境局",
    "住房和城乡建设局",
    "交通运输局",
    "水利局",
    "农业农村局",
    "卫生健康委员会",
    "市场监督管理局",
    "统计局",
    "医疗保障局",
    "应急管理局",
)
LEVELS = ("department", "province", "city", "county", "district", "township", "bureau")


def _organization(rng: random.Random, level: str) -> tuple[str, str]:
    """A body's official name and how it calls itself in its report (我镇, 我局…)."""
    province, city, counties, towns = rng.choice(GEOGRAPHY)
    if level == "department":
        name = rng.choice(STATE_COUNCIL_BODIES)
        return name, "我" + ("委" if name.endswith("委员会") else name[-1])
    if level == "province":
        return province + "人民政府", "我省"
    if level == "city":
        return city + "人民政府", "我市"
    if level == "county":
        county = rng.choice([c for c in counties if not c.endswith("区")] or counties)
        return county + "人民政府", "我" + county[-1]
    if level == "district":
        district = rng.choice([c for c in counties if c.endswith("区")] or counties)
        return city + district + "人民政府", "我区"
    if level == "township":
        town = rng.choice(towns)
        prefix = rng.choice([rng.choice(counties), ""])
        we = "本街道" if town.endswith("街道") else "我" + town[-1]
        return prefix + town + ("办事处" if town.endswith("街道") else "人民政府"), we
    bureau = rng.choice(BUREAUS)
    return city + bureau, "我" + ("委" if bureau.endswith("委员会") else "局")


# --------------------------------------------------------------------------- numbers


def _scale(rng: random.Random) -> int:
    """A count of requests or items, from none to very many."""
    kind = rng.choices(("zero", "small", "medium", "large"), weights=(3, 5, 3, 1))[0]
    if kind == "zero":
        return 0
    if kind == "small":
        return rng.randint(1, 20)
    if kind == "medium":
        return rng.randint(21, 400)
    return rng.randint(401, 25_000)


def _split(rng: random.Random, total: int, keys: tuple[str, ...]) -> dict[str, int]:
    """``total`` shared among ``keys`` by their weights (remainder to the first)."""
    weights = [OUTCOME_WEIGHTS[k] * rng.uniform(0.2, 1.8) for k in keys]
    # Most rows of a small body are zero: drop the rarer outcomes at random.
    weights = [w if rng.random() < 0.6 or i == 0 else 0 for i, w in enumerate(weights)]
    share = sum(weights)
    counts = {k: int(total * w / share) for k, w in zip(keys, weights, strict=True)}
    counts[keys[0]] += total - sum(counts.values())
    return counts


def _blank(rng: random.Random, value: int | None, blank_rate: float) -> int | None:
    """A zero printed as a blank cell, at the report's rate."""
    return None if value == 0 and rng.random() < blank_rate else value


def _money(amount: Decimal, style: str) -> dict[str, Any]:
    """A money cell: printed text, unit found (cell or column header), amount in yuan."""
    unit: str | None
    yuan: Decimal | None
    if style == "wan_header":  # 万元 in the column header, bare number in the cell
        text, unit, yuan = f"{amount:.4f}", "万元", amount * 10_000
    elif style == "wan_cell":
        text, unit, yuan = f"{amount:.4f}万元", "万元", amount * 10_000
    elif style == "yuan_cell":
        whole = int(amount * 10_000)
        text, unit, yuan = f"{whole}{rng_space(whole)}元", "元", Decimal(whole)
    else:  # bare: no unit anywhere, so no amount in yuan (unless it is zero)
        printed = amount * 1000  # at most one decimal, as "49966945.1"
        text = f"{printed:.1f}" if printed % 1 else str(int(printed))
        unit, yuan = None, (Decimal(0) if printed == 0 else None)
    return {"text": text, "unit": unit, "yuan": None if yuan is None else _number(yuan)}


def rng_space(whole: int) -> str:
    """Some bodies write "3400660 元", others "3400660元" (decided by the number)."""
    return " " if whole % 3 == 0 else ""


def _number(d: Decimal) -> int | float:
    return int(d) if d == d.to_integral_value() else float(d)


# --------------------------------------------------------------------------- tables


def _proactive_2019(rng: random.Random, level: str, blank_rate: float) -> list[dict[str, Any]]:
    makes_rules = level in ("department", "province", "city")
    rows: list[dict[str, Any]] = []

    def docs(key: str, label: str, made_rules: bool) -> None:
        made = rng.randint(0, 40) if made_rules else 0
        published = rng.randint(0, made)
        total = published + rng.choice((0, rng.randint(0, 300)))
        values = {"made": made, "published": published, "total_published": total}
        rows.append({"key": key, "label": label, "values": _blanks(rng, values, blank_rate)})

    docs("rules", "规章", makes_rules and rng.random() < 0.5)
    docs("normative_docs", "规范性文件", True)

    def items(key: str, label: str) -> None:
        prev = _scale(rng) if rng.random() < 0.8 else rng.randint(100_000, 2_500_000)
        change = rng.randint(-prev, max(prev // 2, 5)) if prev else rng.randint(0, 30)
        values = {"prev_count": prev, "change": change, "decisions": prev + change}
        rows.append({"key": key, "label": label, "values": _blanks(rng, values, blank_rate)})

    items("licensing", "行政许可")
    if rng.random() < 0.3:  # a body's own sub-rows under 其他对外管理服务事项
        for sub in rng.sample(("行政检查", "行政确认", "行政给付", "行政奖励", "行政裁决"), 2):
            items("other_services/" + sub, "其他对外管理服务事项·" + sub)
    else:
        items("other_services", "其他对外管理服务事项")
    items("penalty", "行政处罚")
    items("enforcement", "行政强制")
    fees_prev = rng.choice((0, 0, rng.randint(1, 30)))
    fees = {"prev_count": fees_prev, "change": rng.randint(-fees_prev, 3)}
    rows.append(
        {"key": "fees", "label": "行政事业性收费", "values": _blanks(rng, fees, blank_rate)}
    )
    projects = rng.choice((0, rng.randint(1, 60), rng.randint(61, 5000)))
    amount = Decimal(rng.randint(0, 99_999_9999) if projects else 0) / 10_000
    style = rng.choice(("wan_header", "wan_cell", "yuan_cell", "bare"))
    rows.append(
        {
            "key": "procurement",
            "label": "政府集中采购",
            "values": {
                "projects": _blank(rng, projects, blank_rate),
                "amount": _money(amount, style),
            },
        }
    )
    return rows


def _proactive_2021(rng: random.Random, level: str, blank_rate: float) -> list[dict[str, Any]]:
    makes_rules = level in ("department", "province", "city")
    rows: list[dict[str, Any]] = []
    for key, label, active in (
        ("rules", "规章", makes_rules),
        ("normative_docs", "行政规范性文件", True),
    ):
        issued = rng.randint(0, 30) if active else 0
        repealed = rng.randint(0, 10) if active else 0
        in_force = issued + rng.randint(0, 400) if active else 0
        values = {"issued": issued, "repealed": repealed, "in_force": in_force}
        rows.append({"key": key, "label": label, "values": _blanks(rng, values, blank_rate)})
    for key, label in (
        ("licensing", "行政许可"),
        ("penalty", "行政处罚"),
        ("enforcement", "行政强制"),
    ):
        decisions = _scale(rng) if rng.random() < 0.85 else rng.randint(100_000, 3_000_000)
        decided = {"decisions": _blank(rng, decisions, blank_rate)}
        rows.append({"key": key, "label": label, "values": decided})
    amount = Decimal(rng.choice((0, rng.randint(1, 9_999_999), rng.randint(1, 9999)))) / 10_000
    rows.append(
        {
            "key": "fees",
            "label": "行政事业性收费",
            "values": {
                "amount": _money(amount, rng.choice(("wan_header", "wan_header", "wan_cell")))
            },
        }
    )
    return rows


def _blanks(rng: random.Random, values: dict[str, int], rate: float) -> dict[str, int | None]:
    return {k: _blank(rng, v, rate) for k, v in values.items()}


def _requests(rng: random.Random, template: str, blank_rate: float) -> dict[str, list[int | None]]:
    outcomes = OUTCOMES_2019 if template == "2019" else OUTCOMES_2021
    rows: dict[str, list[int]] = {
        k: [] for k in (*REQUEST_HEAD, *outcomes, "total", "carried_forward")
    }
    for col in range(APPLICANT_COLUMNS):
        handled = _scale(rng) if col == 0 else rng.choice((0, 0, 0, rng.randint(1, 12)))
        counts = _split(rng, handled, outcomes)
        forward = rng.choice((0, 0, rng.randint(0, max(handled // 10, 2))))
        carried = rng.randint(0, min(handled + forward, max(handled // 8, 1)))
        rows["new_received"].append(handled + forward - carried)
        rows["carried_over"].append(carried)
        for key in outcomes:
            rows[key].append(counts[key])
        rows["total"].append(handled)
        rows["carried_forward"].append(forward)
    out: dict[str, list[int | None]] = {}
    for key, values in rows.items():
        out[key] = [_blank(rng, v, blank_rate) for v in (*values, sum(values))]
    return out


def _review_litigation(rng: random.Random, blank_rate: float) -> dict[str, list[int | None]]:
    out: dict[str, list[int | None]] = {}
    for group in GROUPS:
        busy = rng.random() < 0.4
        counts = [rng.randint(0, 6) if busy else 0 for _ in range(4)]
        if busy and rng.random() < 0.1:
            counts[0] += rng.randint(100, 900)
        out[group] = [_blank(rng, v, blank_rate) for v in (*counts, sum(counts))]
    return out


def _break_checks(rng: random.Random, spec: dict[str, Any], which: list[str]) -> None:
    """Make the spec's numbers disagree, as some bodies' numbers do."""
    requests = spec["requests"]
    outcomes = OUTCOMES_2019 if spec["template"] == "2019" else OUTCOMES_2021
    if "T3_BALANCE" in which:  # more carried forward than arithmetic allows
        col = rng.randrange(APPLICANT_COLUMNS)
        k = rng.randint(1, 5)
        for c in (col, 6):
            requests["carried_forward"][c] = _n(requests["carried_forward"][c]) + k
    if "T3_COLUMNS" in which:  # a request counted under the wrong applicant's row total
        row = rng.choice(outcomes)
        requests[row][6] = _n(requests[row][6]) + rng.choice((-1, 1, 2, 10))
    if "T4_TOTAL" in which:
        group = rng.choice(GROUPS)
        spec["review_litigation"][group][4] = _n(spec["review_litigation"][group][4]) + 1
    if "T2_CHANGE" in which:
        for row in spec["proactive"]:
            if "decisions" in row["values"]:
                row["values"]["decisions"] = _n(row["values"]["decisions"]) + rng.randint(1, 200)
                break


# --------------------------------------------------------------------------- text


def _sections(rng: random.Random, spec: dict[str, Any], we: str) -> dict[str, str]:
    year = spec["year"]
    org = spec["organization"]
    req = spec["requests"]
    received = int(_n(req["new_received"][6]))
    carried = int(_n(req["carried_over"][6]))
    granted = int(_n(req["granted"][6]))
    forward = int(_n(req["carried_forward"][6]))
    reviews = int(_n(spec["review_litigation"]["review"][4]))
    suits = int(_n(spec["review_litigation"]["suit_direct"][4])) + int(
        _n(spec["review_litigation"]["suit_after_review"][4])
    )
    published = rng.randint(80, 9000)
    staff = rng.choice(("王堃", "李喆", "张伟", "刘洋", "陈静", "赵磊"))

    overview = [
        f"{year}年，{we}坚持以习近平新时代中国特色社会主义思想为指导，认真贯彻落实《中华人民共和国政府信息公开条例》"
        f"和上级关于政务公开工作的部署要求，坚持“以公开为常态、不公开为例外”，不断提升政务公开质量和实效。",
        f"（一）主动公开情况。{year}年，{we}通过政府门户网站、政务新媒体等渠道主动公开政府信息{published}条，"
        f"其中政策文件{rng.randint(3, 90)}件，政策解读{rng.randint(1, 40)}篇，重点领域信息{rng.randint(10, 600)}条。",
        f"（二）依申请公开情况。{year}年，{we}共收到政府信息公开申请{received}件，上年结转{carried}件，"
        f"均在法定期限内答复，其中予以公开{granted}件，结转下年度继续办理{forward}件。",
        "（三）政府信息管理情况。严格落实政府信息公开属性源头认定和保密审查制度，"
        "做到“先审查、后公开”和“一事一审、全面审查”，全年未发生泄密事件。",
        f"（四）平台建设情况。持续优化政府网站信息公开专栏，完善法定主动公开内容栏目，"
        f"全年网站访问量{rng.randint(10, 900)}万人次。",
        f"（五）监督保障情况。调整充实政务公开工作领导小组，组织开展业务培训{rng.randint(1, 12)}次，"
        f"培训{rng.randint(20, 600)}人次，将政务公开工作纳入年度绩效考核。",
    ]
    proactive = [
        f"{year}年，{org}按照《条例》第二十条、第二十一条规定，全面梳理法定主动公开事项，及时更新机构职能、"
        "政策文件、财政预决算等信息，主动公开情况如下：",
    ]
    requests = [
        f"{year}年，{we}共收到政府信息公开申请{received}件，上年结转政府信息公开申请{carried}件。"
        f"截至{year}年12月31日，已办结{received + carried - forward}件，结转下年度继续办理{forward}件。",
        "申请内容主要集中在征地拆迁、规划建设、行政执法等方面，全部在法定期限内答复。",
    ]
    review = [
        f"{year}年，{we}因政府信息公开被申请行政复议{reviews}件，被提起行政诉讼{suits}件。"
        if reviews or suits
        else f"{year}年，{we}未发生因政府信息公开被申请行政复议、提起行政诉讼的情况。",
    ]
    problems = [
        f"{year}年，{we}政府信息公开工作取得了一定成效，但仍存在一些不足：一是主动公开的深度和广度有待拓展；"
        "二是政策解读形式较为单一，图解、视频等多样化解读偏少；三是基层工作人员业务能力有待提升。",
        f"{year + 1}年，{we}将重点做好以下工作：一是进一步加强组织领导，压实工作责任；二是丰富政策解读形式，"
        "提高解读质量；三是加强业务培训，提升工作人员的政策水平和业务能力。",
    ]
    fee_line = rng.choice(
        (
            f"{year}年，{we}未收取信息处理费。",
            f"依据《政府信息公开信息处理费管理办法》，{year}年{we}共收取信息处理费0元。",
        )
    )
    other = [
        fee_line,
        f"{year}年，{we}办理人大代表建议{rng.randint(0, 40)}件、政协提案{rng.randint(0, 40)}件，"
        f"均已按时办结并公开答复。（联系人：{staff}）",
    ]
    texts = {
        "overview": overview[:1]
        + sorted(rng.sample(overview[1:], rng.randint(2, 5)), key=overview.index),
        "proactive": proactive,
        "requests": requests[: rng.randint(1, 2)],
        "review_litigation": review,
        "problems": problems,
        "other": other[: rng.randint(1, 2)],
    }
    return {k: "\n".join(v) for k, v in texts.items()}


# --------------------------------------------------------------------------- synthetic


def synthetic_report(index: int, seed: int = 0) -> dict[str, Any]:
    """Synthetic report number ``index`` of the series ``seed`` (deterministic)."""
    rng = random.Random(f"xxgk-synthetic-{seed}-{index}")
    level = LEVELS[index % len(LEVELS)] if index < len(LEVELS) else rng.choice(LEVELS)
    organization, we = _organization(rng, level)
    year = rng.choices(range(2019, 2026), weights=(3, 3, 1, 1, 1, 1, 1))[0]
    template = "2021" if year >= 2021 or (year == 2020 and rng.random() < 0.15) else "2019"
    blank_rate = rng.choice((0.0, 0.0, 0.3, 1.0))
    title_form = rng.choice(
        ("{o}{y}年政府信息公开工作年度报告", "{o}{y}年度政府信息公开工作年度报告")
    )
    spec: dict[str, Any] = {
        "document": f"synthetic-{seed}-{index:04d}",
        "organization": organization,
        "year": year,
        "template": template,
        "title": title_form.format(o=organization, y=year),
        "section_texts": {},
        "proactive": (_proactive_2019 if template == "2019" else _proactive_2021)(
            rng, level, blank_rate
        ),
        "requests": _requests(rng, template, blank_rate),
        "review_litigation": _review_litigation(rng, blank_rate),
        "extra": [],
        "checks_failing": [],
    }
    if rng.random() < 0.25:
        label = rng.choice(
            (
                "本年本行政区域政府信息公开发布总数量",
                f"{year}年本行政区域（或本部门）政府信息公开发布总数量（非新闻类、消息类）",
                "本年度政务新媒体发布信息总数量",
            )
        )
        spec["extra"].append({"label": label, "value": rng.randint(0, 5000)})
    if rng.random() < 0.35:
        candidates = ["T3_BALANCE", "T3_COLUMNS", "T4_TOTAL"]
        if template == "2019":
            candidates.append("T2_CHANGE")
        _break_checks(rng, spec, rng.sample(candidates, rng.randint(1, 2)))
    spec["section_texts"] = _sections(rng, spec, we)
    spec["checks_failing"] = failing_checks(spec)
    return spec


def hybrid_report(index: int, seed: int = 0) -> dict[str, Any]:
    """A report whose 表二 follows one template and 表三 the other (template "hybrid").

    Synthetic report ``index`` with 表三 taken from the next report of the other
    template; the checks are recomputed for the mix.
    """
    spec = synthetic_report(index, seed)
    j = index + 1
    while (other := synthetic_report(j, seed))["template"] == spec["template"]:
        j += 1
    spec["document"] = f"hybrid-{seed}-{index:04d}"
    spec["template"] = "hybrid"
    spec["requests"] = other["requests"]
    spec["checks_failing"] = failing_checks(spec)
    return spec


def pre2019_report(index: int, seed: int = 0) -> dict[str, Any]:
    """A report from before the 2019 revision: no national tables, numbers only in prose.

    Template ``pre2019``, empty tables: whatever counts the text mentions, a
    parser must not turn them into cells.
    """
    rng = random.Random(f"xxgk-pre2019-{seed}-{index}")
    organization, we = _organization(rng, rng.choice(LEVELS))
    year = rng.randint(2009, 2018)
    received = rng.randint(0, 300)
    granted = rng.randint(0, received)
    texts = {
        "overview": [
            f"根据《中华人民共和国政府信息公开条例》（以下简称《条例》）规定，特向社会公布{year}年度"
            f"{organization}政府信息公开工作年度报告。本报告中所列数据的统计期限自{year}年1月1日起至"
            f"{year}年12月31日止。",
            f"{year}年，{we}按照《条例》要求，进一步完善政府信息公开工作机制，扎实推进政府信息公开工作。",
        ],
        "proactive": [
            f"{year}年，{we}共主动公开政府信息{rng.randint(50, 9000)}条，其中规范性文件{rng.randint(0, 40)}件，"
            f"通过政府网站公开{rng.randint(50, 5000)}条，通过政府公报公开{rng.randint(0, 900)}条。",
        ],
        "requests": [
            f"{year}年，{we}共受理政府信息公开申请{received}件，其中当面申请{rng.randint(0, received)}件，"
            f"网上申请{rng.randint(0, received)}件。已答复{received}件，其中同意公开{granted}件，"
            f"不予公开{received - granted}件。",
            f"{year}年，{we}未收取政府信息公开检索、复制、邮寄等费用。",
        ],
        "review_litigation": [
            f"{year}年，{we}因政府信息公开申请被申请行政复议{rng.randint(0, 5)}件，"
            f"被提起行政诉讼{rng.randint(0, 3)}件。",
        ],
        "problems": [
            "我们的工作还存在一些不足，主要是公开内容不够全面，更新不够及时。下一步，"
            "将进一步健全工作机制，加大公开力度。",
        ],
        "other": ["无。"],
    }
    return {
        "document": f"pre2019-{seed}-{index:04d}",
        "organization": organization,
        "year": year,
        "template": "pre2019",
        "title": f"{organization}{year}年政府信息公开工作年度报告",
        "section_texts": {k: "\n".join(v) for k, v in texts.items()},
        "proactive": [],
        "requests": {},
        "review_litigation": {},
        "extra": [],
        "checks_failing": [],
    }


def synthetic_reports(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` varied synthetic reports (report ``i`` depends only on ``seed`` and ``i``)."""
    return [synthetic_report(i, seed) for i in range(n)]
