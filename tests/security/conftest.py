"""The site fixtures (a built archive served by ``xxgk serve``) shared with tests/site."""

from tests.site.conftest import client, site_data, site_url  # noqa: F401 (fixtures)
