"""The site's configuration on its own: the config directory, settings, inspect data, errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import datasette
import pytest
from click.testing import CliRunner
from datasette.app import DEFAULT_SETTINGS

from archive.cli import cli
from archive.site import SITE_DIR, inspect_data, load_metadata, load_settings, site_metadata
from tests.site.conftest import SiteData


def test_the_config_directory_is_not_a_package() -> None:
    assert not list(SITE_DIR.rglob("__init__.py"))
    assert "site-packages" in datasette.__file__


def test_settings_are_datasette_settings_with_the_safety_ones() -> None:
    settings = load_settings()
    assert set(settings) <= set(DEFAULT_SETTINGS)
    assert settings["suggest_facets"] is False
    assert settings["allow_download"] is False
    assert 0 < settings["sql_time_limit_ms"] <= 5000


# Tables of at most a few thousand rows at national scale: any facet is cheap.
SMALL_TABLES = {
    "sources",
    "build_info",
    "summary_year",
    "summary_province_year",
    "summary_level_year",
    "summary_province_level_year",
}


def test_every_table_with_default_facets_has_an_index_for_them() -> None:
    from archive import schema

    tables = load_metadata()["databases"]["archive"]["tables"]
    for name, config in tables.items():
        if name not in schema.TABLES_BY_NAME or name in SMALL_TABLES:
            continue
        table = schema.TABLES_BY_NAME[name]
        leading = {cols[0] for cols in (*table.indexes, *table.unique_indexes)} | {table.pk[0]}
        for facet in config.get("facets", []):
            assert facet in leading, (name, facet)


def test_every_default_sort_has_an_index_in_page_order() -> None:
    """A default sort is served by an index on (sort, key), descending if the sort is.

    Pages of a sorted table are ordered by the sort and then the primary key
    (``sorted_paging.py`` gives the first page the key too): without such an
    index a page sorts every row of the sort's first value (a year's 100k
    reports), and a later page every row of the table.
    """
    from archive import schema

    tables = load_metadata()["databases"]["archive"]["tables"]
    sorted_tables = 0
    for name, config in tables.items():
        if name not in schema.TABLES_BY_NAME or name in SMALL_TABLES:
            continue
        table = schema.TABLES_BY_NAME[name]
        if "sort_desc" in config:
            wanted = (f"{config['sort_desc']} DESC", *table.pk)
        elif "sort" in config:
            wanted = (config["sort"], *table.pk)
        else:
            continue
        sorted_tables += 1
        assert wanted in (*table.indexes, *table.unique_indexes), (name, wanted)
    assert sorted_tables >= 4


@pytest.mark.slow
def test_inspect_data_is_computed_when_the_build_wrote_none(
    site_data: SiteData, tmp_path: Path
) -> None:
    copy = tmp_path / "archive.db"
    shutil.copy(site_data.path / "archive.db", copy)
    data = inspect_data(copy)
    assert data["archive"]["tables"]["reports"]["count"] >= 25
    # The build's own inspect file is used when it describes this very file.
    published = inspect_data(site_data.path / "archive.db")
    written = json.loads((site_data.path / "inspect.json").read_text())
    assert published == written
    # ... and ignored when it describes another one.
    (tmp_path / "inspect.json").write_text(json.dumps(written))
    assert inspect_data(copy)["archive"]["file"] == str(copy)


@pytest.mark.slow
def test_site_metadata_describes_views_from_the_built_database(site_data: SiteData) -> None:
    metadata = site_metadata(site_data.path / "archive.db")
    tables = metadata["databases"]["archive"]["tables"]
    assert "表三" in tables["requests_long"]["columns"]["natural_person"]
    assert "表四" in tables["review_litigation_long"]["columns"]["corrected"]
    # What metadata.yaml says wins over the schema's text.
    assert tables["reports"]["columns"]["granted"].endswith("granted in full")


def test_serve_without_an_archive_says_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--data-dir", str(tmp_path)])
    assert result.exit_code != 0
    assert "xxgk build" in result.output


# Tables of 0.7–4.6M rows at national scale, whose sorts must stay within the SQL time limit.
BIG_TABLES = ("reports", "requests", "review_litigation", "proactive", "sections")


def test_the_big_tables_sort_by_their_numbers_not_by_few_valued_columns() -> None:
    """Each big table lists its sortable columns: the numbers, never level or template.

    Sorted pages are ordered by the sort and then the key (``sorted_paging.py``),
    so a sort by a column with a handful of values reads a whole tie (a third
    of ``requests``: 2–6 s at 700k, past the SQL time limit) to order it by the
    key. Those columns are grouped by their facets instead. The 表三 and 表四
    numbers stay sortable: that is what a journalist sorts by.
    """
    from archive import schema

    tables = load_metadata()["databases"]["archive"]["tables"]
    for name in BIG_TABLES:
        config = tables[name]
        table = schema.TABLES_BY_NAME[name]
        sortable = config["sortable_columns"]
        assert len(sortable) == len(set(sortable)), name
        assert set(sortable) <= {c.name for c in table.columns}, name
        assert not {"level", "template"} & set(sortable), name
        assert table.pk[0] in sortable, name
        default = config.get("sort_desc") or config.get("sort")
        assert default is None or default in sortable, name
    for name in ("requests", "review_litigation"):
        numbers = {
            c.name
            for c in schema.TABLES_BY_NAME[name].columns
            if c.type in ("INTEGER", "REAL") and c.name != "year"
        }
        assert numbers <= set(tables[name]["sortable_columns"]), name
