"""The source registry: one YAML file per portal in ``crawler/sources/``, typed.

A source is a government portal's 年报 column. Its id is the file stem, in full
pinyin snake_case (``beijing_shi_zhujianwei.yml``). Fields (unknown keys are
errors, so a typo never silently drops a setting)::

    name: 北京市住房和城乡建设委员会       # official Chinese name
    level: department                    # national|province|city|county|township|department
    division_code: "110000"              # optional, 6 digits
    start_url: http://zfxxgk.beijing.gov.cn/110016/zfxxgknb/list.shtml
    family: trs_legacy                   # optional; detected from the start page when absent
    allowed_hosts: [zfxxgk.beijing.gov.cn]   # optional; the start URL's host is always allowed
    politeness: {delay: 5, concurrency: 1}   # optional per-host overrides
    expected: {...}                      # optional: what the column is known to hold
    notes: free text
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SOURCES_DIR = Path(__file__).resolve().parent / "sources"

FAMILIES = (
    "trs_legacy",
    "trs_sohu",
    "hanweb_jcms",
    "hanweb_jpaas",
    "gkmlpt",
    "query_paging",
    "path_paging",
    "generic",
)
Family = Literal[
    "trs_legacy",
    "trs_sohu",
    "hanweb_jcms",
    "hanweb_jpaas",
    "gkmlpt",
    "query_paging",
    "path_paging",
    "generic",
]
Level = Literal["national", "province", "city", "county", "township", "department"]

SOURCE_ID = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


class SourceError(ValueError):
    """A source file that cannot be used; the message names the file and the field."""


class Politeness(BaseModel):
    """Per-host overrides of the crawl's politeness settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delay: float | None = Field(default=None, ge=0, le=600)
    concurrency: int | None = Field(default=None, ge=1, le=4)


class Source(BaseModel):
    """One portal's 年报 column (contract 7)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str = Field(min_length=1)
    level: Level
    division_code: str | None = None
    start_url: str
    family: Family | None = None
    allowed_hosts: tuple[str, ...] = ()
    politeness: Politeness = Politeness()
    expected: Any = None
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _pinyin_id(cls, value: str) -> str:
        if not SOURCE_ID.match(value):
            raise ValueError(f"source id {value!r} is not pinyin snake_case")
        return value

    @field_validator("division_code", mode="before")
    @classmethod
    def _division_code(cls, value: object) -> str | None:
        if value is None:
            return None
        text = str(value)
        if not re.fullmatch(r"\d{6}", text):
            raise ValueError(f"division_code must be 6 digits, got {value!r}")
        return text

    @field_validator("start_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"start_url must be an http(s) URL, got {value!r}")
        return value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _hosts(cls, value: object) -> object:
        if isinstance(value, str):
            return (value,)
        return value

    @property
    def host(self) -> str:
        return urlsplit(self.start_url).hostname or ""

    @property
    def hosts(self) -> frozenset[str]:
        """Every host the crawl may fetch from for this source."""
        return frozenset({self.host, *(h.lower() for h in self.allowed_hosts)})

    def allows(self, url: str) -> bool:
        """Whether ``url`` is on one of this source's hosts (off-domain links are never followed)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return False
        return (parts.hostname or "") in self.hosts


def load_source(path: str | Path) -> Source:
    """Read and validate one source file; raises SourceError naming the file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SourceError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise SourceError(f"{path}: expected a mapping of fields, got {type(data).__name__}")
    if "id" in data and data["id"] != path.stem:
        raise SourceError(f"{path}: id {data['id']!r} differs from the file name")
    try:
        return Source(**{**data, "id": path.stem})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '?'}: {err['msg']}" for err in exc.errors()
        )
        raise SourceError(f"{path}: {problems}") from exc


def source_files(directory: str | Path | None = None) -> list[Path]:
    return sorted(Path(directory or SOURCES_DIR).glob("*.yml"))


def load_sources(directory: str | Path | None = None) -> dict[str, Source]:
    """Every source in the directory, by id; raises SourceError listing every bad file."""
    sources: dict[str, Source] = {}
    errors: list[str] = []
    for path in source_files(directory):
        try:
            source = load_source(path)
        except SourceError as exc:
            errors.append(str(exc))
            continue
        sources[source.id] = source
    if errors:
        raise SourceError("\n".join(errors))
    return sources


def check_sources(directory: str | Path | None = None) -> tuple[list[Source], list[str]]:
    """Validate every file; return (good sources, error messages)."""
    good: list[Source] = []
    errors: list[str] = []
    for path in source_files(directory):
        try:
            good.append(load_source(path))
        except SourceError as exc:
            errors.append(str(exc))
    return good, errors


def select_sources(ids: Iterable[str], directory: str | Path | None = None) -> list[Source]:
    """The named sources (all when none are named); unknown ids are an error."""
    wanted = list(ids)
    if not wanted:
        return list(load_sources(directory).values())
    good, _errors = check_sources(directory)
    by_id = {source.id: source for source in good}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise SourceError(f"unknown or invalid source(s): {', '.join(missing)}")
    return [by_id[i] for i in wanted]


def adhoc_source(start_url: str, family: str | None = None) -> Source:
    """A source known only by its 年报 column URL (``xxgk crawl --url``)."""
    host = urlsplit(start_url).hostname or "unknown"
    slug = re.sub(r"[^a-z0-9]+", "_", host.lower()).strip("_") or "unknown"
    return Source(
        id=f"url_{slug}" if slug[0].isalpha() else f"url_h{slug}",
        name=host,
        level="department",
        start_url=start_url,
        family=family,  # type: ignore[arg-type]
        notes="given on the command line",
    )
