"""/api/openapi.json is built cleanly: one component per schema, no apispec warnings."""

from __future__ import annotations

import re
import warnings

from tests.conftest import make_settings
from webapp import create_app


def test_the_spec_is_built_without_warnings_and_each_schema_is_one_component(tmp_path):
    app = create_app(make_settings(tmp_path))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. apispec's "<class ...> has already been added to the spec"
        spec = app.spec
    schemas = spec["components"]["schemas"]
    numbered = [name for name in schemas if re.search(r"\D\d+$", name)]
    assert not numbered, f"schemas added twice (or two schemas of one name): {numbered}"

    def ref(path, method="get"):
        return spec["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]

    def body(path):
        return spec["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]

    # a list nests the very component its items' own paths answer with
    assert ref("/api/kb/articles") == {"$ref": "#/components/schemas/ArticleListOut"}
    assert schemas["ArticleListOut"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/ArticleOut"}
    assert ref("/api/kb/articles/{article_id}") == {"$ref": "#/components/schemas/ArticleOut"}
    assert schemas["GapListOut"]["properties"]["items"]["items"] == {"$ref": "#/components/schemas/GapOut"}
    # hot-policy pushes: the list nests the report's own component
    assert ref("/api/push/campaigns/{campaign_id}") == {"$ref": "#/components/schemas/PushCampaignOut"}
    assert schemas["PushCampaignListOut"]["properties"]["items"]["items"] == {
        "$ref": "#/components/schemas/PushCampaignOut"
    }
    assert body("/api/kb/articles/{article_id}/push") == {"$ref": "#/components/schemas/PushIn"}
    # the staff's and the mini-program's logins are two schemas with two names
    assert body("/api/auth/login") == {"$ref": "#/components/schemas/LoginIn"}
    assert body("/api/mp/login") == {"$ref": "#/components/schemas/MpLoginIn"}
