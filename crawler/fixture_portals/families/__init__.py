"""The CMS families of the fixture portals, one module each (portals.md P1–P6).

``FAMILIES`` maps a source's ``family`` name (contract 7) to the portal class
that imitates it.
"""

from __future__ import annotations

from crawler.fixture_portals.families.base import Portal
from crawler.fixture_portals.families.gkmlpt import Gkmlpt
from crawler.fixture_portals.families.hanweb_jcms import HanwebJcms
from crawler.fixture_portals.families.hanweb_jpaas import HanwebJpaas
from crawler.fixture_portals.families.path_paging import PathPaging
from crawler.fixture_portals.families.query_paging import QueryPaging
from crawler.fixture_portals.families.trs_legacy import TrsLegacy
from crawler.fixture_portals.families.trs_sohu import TrsSohu

FAMILIES: dict[str, type[Portal]] = {
    cls.family: cls
    for cls in (TrsLegacy, TrsSohu, HanwebJcms, HanwebJpaas, Gkmlpt, QueryPaging, PathPaging)
}
