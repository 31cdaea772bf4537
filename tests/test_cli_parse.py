"""`xxgk parse` through the real console entry point (click's runner)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from archive.cli import cli
from tests.conftest import SEEDS


def test_parse_prints_one_json_object_per_document():
    paths = [str(p) for p in sorted(SEEDS.glob("*.txt"))]
    result = CliRunner().invoke(cli, ["parse", *paths, "--json"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["document"] for r in records] == [p.rsplit("/", 1)[-1] for p in paths]
    assert records[1]["organization"] == "王助镇"
    assert records[3]["checks_failing"] == ["T2_CHANGE", "T3_BALANCE", "T3_COLUMNS", "T3_TOTAL"]


def test_a_bad_document_is_named_and_the_others_still_parse(tmp_path):
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"\x00\x01\x02 not a report \x00\x00\xff" * 10)
    good = sorted(SEEDS.glob("*.txt"))[1]
    result = CliRunner().invoke(cli, ["parse", str(bad), str(good)])
    assert result.exit_code == 1
    assert f"error: {bad}:" in result.stderr
    assert "王助镇 2021 template=2021" in result.stdout


def test_page_context_supplies_the_body_of_an_untitled_report():
    seed = sorted(SEEDS.glob("*.txt"))[0]
    result = CliRunner().invoke(
        cli, ["parse", str(seed), "--json", "--page-title", "某某镇2019年政府信息公开工作年度报告"]
    )
    assert json.loads(result.output)["organization"] == "某某镇"


def test_the_datasette_config_folder_never_shadows_datasette():
    import datasette.app

    assert "site-packages" in datasette.app.__file__
