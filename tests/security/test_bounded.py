"""Parsing under limits (``parsers.bounded``): a document past its time or memory
limit becomes a recorded failure, the worker is replaced and the next one goes on."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest

from parsers import ParseError, Report
from parsers.bounded import (
    BoundedWorkers,
    Limits,
    ParseOutOfMemory,
    ParseTimeout,
    WorkerCrashed,
    parse_bounded,
)

SEEDS = Path(__file__).resolve().parents[1] / "fixtures" / "seeds"


# Module-level, so the spawned workers can import them.
def sleepy(seconds: float) -> str:
    time.sleep(seconds)
    return f"slept {seconds}"


def greedy(mebibytes: int) -> int:
    block = bytearray(mebibytes * 1024 * 1024)
    return len(block)


def crash(code: int) -> None:
    import os

    os._exit(code)


def test_a_document_parses_in_a_worker() -> None:
    seed = sorted(SEEDS.glob("*.txt"))[0].read_bytes()
    report = parse_bounded(seed)
    assert isinstance(report, Report)
    assert report.to_json()["requests"]


def test_parser_errors_come_back_as_themselves() -> None:
    with pytest.raises(ParseError) as caught:
        parse_bounded(b"\x00\x01\x02binary garbage\x00" * 10)
    assert not isinstance(caught.value, WorkerCrashed)


def test_a_docx_zip_bomb_is_refused_with_its_reason() -> None:
    from crawler.fixture_portals.families.hostile import docx_bomb

    with pytest.raises(ParseError, match="zip bomb"):
        parse_bounded(docx_bomb(), limits=Limits(seconds=60, memory_bytes=1024**3))


def test_time_and_memory_overruns_are_failures_and_the_work_goes_on() -> None:
    limits = Limits(seconds=2, memory_bytes=512 * 1024 * 1024)
    with BoundedWorkers(sleepy, jobs=2, limits=limits) as workers:
        outcomes = dict(workers.map([0.0, 30.0, 0.1]))
    assert outcomes[0.0] == "slept 0.0" and outcomes[0.1] == "slept 0.1"
    assert isinstance(outcomes[30.0], ParseTimeout)
    assert "longer than 2 s" in str(outcomes[30.0])

    with BoundedWorkers(greedy, jobs=1, limits=limits) as workers:
        outcomes = dict(workers.map([1, 2048, 3]))
    assert outcomes[1] == 1024 * 1024 and outcomes[3] == 3 * 1024 * 1024
    assert isinstance(outcomes[2048], ParseOutOfMemory)
    assert "512 MiB" in str(outcomes[2048])


def test_a_worker_that_dies_is_a_recorded_failure() -> None:
    with BoundedWorkers(crash, jobs=1, limits=Limits(seconds=10)) as workers:
        outcomes = list(workers.map([3]))
    assert len(outcomes) == 1 and isinstance(outcomes[0][1], WorkerCrashed)
    assert "code 3" in str(outcomes[0][1])


def test_an_xml_entity_bomb_in_a_docx_is_harmless() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr(
            "word/document.xml",
            '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
            '<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"><!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">'
            '<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;"><!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">'
            '<!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">]><x>&h;&h;&h;&h;&h;&h;&h;&h;</x>',
        )
    try:
        parse_bounded(buf.getvalue(), limits=Limits(seconds=30, memory_bytes=1024**3))
    except ParseError as error:
        assert not isinstance(error, ParseTimeout | ParseOutOfMemory), error
