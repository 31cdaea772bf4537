"""A short run of the parser fuzzer (``fuzz/fuzz_parsers.py``); the long run lives outside CI.

Every generated or mutated document either parses or raises a ``ParseError``,
within the build's per-document limits (``parsers.bounded``). Hypothesis adds
documents of its own making on top of the seeded mutator.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parsers import ParseError, parse_document

ROOT = Path(__file__).resolve().parents[2]


def load_fuzzer():  # type: ignore[no-untyped-def]
    # On sys.path (not loaded from a file location): the fuzzer's spawned workers
    # import it by name, and spawn hands them the parent's sys.path.
    if str(ROOT / "fuzz") not in sys.path:
        sys.path.insert(0, str(ROOT / "fuzz"))
    return importlib.import_module("fuzz_parsers")


def test_a_short_fuzzing_run_finds_no_unhandled_exception_and_no_overrun(tmp_path: Path) -> None:
    fuzzer = load_fuzzer()
    figures = fuzzer.run(
        count=200, workers=1, seconds=240, seed=7, crashes=tmp_path, exclude=("pdf",)
    )
    assert figures["documents"] >= 100, figures
    assert figures["unhandled_exceptions"] == 0, sorted(p.name for p in tmp_path.iterdir())
    assert figures["limit_overruns"] == 0, sorted(p.name for p in tmp_path.iterdir())
    assert set(figures["generators"]) == {"mutate", "generate", "container"}


TOKENS = st.sampled_from(
    [
        "<table>",
        "</table>",
        "<tr>",
        "<td>",
        '<td rowspan="9999">',
        '<td colspan="0">',
        "</td>",
        "表三",
        "（七）总计",
        "自然人",
        "行政复议",
        "一、本年新收政府信息公开申请数量",
        "123",
        "4,633",
        "９",
        "—",
        "\t",
        "\n",
        "|",
        "<script>",
        "{{",
        "%}",
        "&nbsp;",
        "\x00",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(TOKENS | st.text(max_size=8), max_size=80), st.sampled_from(["utf-8", "gb18030"]))
def test_documents_made_of_template_tokens_parse_or_fail_cleanly(
    parts: list[str], encoding: str
) -> None:
    data = "".join(parts).encode(encoding, "replace")
    with contextlib.suppress(ParseError):
        parse_document(data, None)


REGRESSIONS = sorted((ROOT / "fuzz" / "regressions").iterdir())


@pytest.mark.parametrize("path", REGRESSIONS, ids=[p.name for p in REGRESSIONS])
def test_documents_that_once_crashed_the_parsers_now_fail_with_a_reason(path: Path) -> None:
    """Inputs the long fuzzing run found raising something other than a ParseError
    (zipfile's NotImplementedError for an unknown ZIP version, PDFium failing to load
    a page): each is now refused with a ParseError that names the reason."""
    with pytest.raises(ParseError) as refused:
        parse_document(path.read_bytes())
    assert str(refused.value)
