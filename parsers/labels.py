"""Matching printed labels to the spec's keys, by meaning (patterns in ``labels.yml``)."""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import yaml

_NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|\(?[一二三四五六七八九十]+\)[、.．]?|"
    r"\d+\s*[、.．)](?!\d)|\(\d+\)|第[一二三四五六七八九十]+[部分项]?[、.．:：]?)"
)
_SPACES = re.compile(r"\s+")


@cache
def _data() -> dict[str, Any]:
    text = resources.files("parsers").joinpath("labels.yml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@cache
def patterns(kind: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The ordered (key, pattern) pairs of one kind of label."""
    return tuple((key, re.compile(rx)) for key, rx in _data()[kind].items())


@cache
def pattern(kind: str) -> re.Pattern[str]:
    """A single pattern entry of ``labels.yml``."""
    return re.compile(_data()[kind])


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """NFKC, no whitespace: the form every label is matched in."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", text))


def strip_numbering(label: str) -> str:
    """Drop leading numbering ("三、", "(一)", "1.", "第二十条" is kept)."""
    previous = None
    while previous != label:
        previous = label
        label = _NUMBERING.sub("", label, count=1)
    return label


@lru_cache(maxsize=65536)
def match(kind: str, text: str) -> str | None:
    """The key whose pattern matches ``text`` (numbering stripped), or ``None``."""
    label = strip_numbering(normalize(text))
    if not label:
        return None
    for key, rx in patterns(kind):
        if rx.search(label):
            return key
    return None
