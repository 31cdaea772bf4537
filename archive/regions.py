"""China's provincial-level divisions, as data: code prefix → name, and name → code.

The first two digits of a 6-digit 行政区划代码 name the province. The archive
uses the short official names below as the ``province`` value everywhere
(facets, summaries, filters), so one province is spelled one way.
"""

from __future__ import annotations

# 2-digit prefix of the division code → the province's short name.
PROVINCES: dict[str, str] = {
    "11": "北京",
    "12": "天津",
    "13": "河北",
    "14": "山西",
    "15": "内蒙古",
    "21": "辽宁",
    "22": "吉林",
    "23": "黑龙江",
    "31": "上海",
    "32": "江苏",
    "33": "浙江",
    "34": "安徽",
    "35": "福建",
    "36": "江西",
    "37": "山东",
    "41": "河南",
    "42": "湖北",
    "43": "湖南",
    "44": "广东",
    "45": "广西",
    "46": "海南",
    "50": "重庆",
    "51": "四川",
    "52": "贵州",
    "53": "云南",
    "54": "西藏",
    "61": "陕西",
    "62": "甘肃",
    "63": "青海",
    "64": "宁夏",
    "65": "新疆",
    "71": "台湾",
    "81": "香港",
    "82": "澳门",
}

# The value used for national bodies (State Council departments): no province.
NATIONAL = "全国"


def province_from_code(division_code: str | None) -> str | None:
    """The province of a 6-digit division code, or None when the code is unknown."""
    if not division_code or len(division_code) < 2:
        return None
    return PROVINCES.get(division_code[:2])


def province_from_name(name: str | None) -> str | None:
    """The province a body's name starts with (``广东省…``, ``北京市…``), or None."""
    if not name:
        return None
    for province in PROVINCES.values():
        if name.startswith(province):
            return province
    return None
