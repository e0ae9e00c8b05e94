"""The OpenAPI document describes every API route, so schemathesis fuzzes all of them."""
from __future__ import annotations

import re

PREFIX = "/api/v1"


def templated(rule: str) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule[len(PREFIX):])


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_the_document_is_served_publicly_as_openapi_3(client):
    response = client.get(PREFIX + "/openapi.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert document["openapi"].startswith("3.")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_api_route_in_the_url_map_is_documented(app, client):
    document = client.get(PREFIX + "/openapi.json").get_json()
    documented = {(shape(path), method) for path, item in document["paths"].items() for method in item}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/") or rule.endpoint == "api.openapi":
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            if (shape(templated(rule.rule)), method.lower()) not in documented:
                missing.append(f"{method} {rule.rule}")
    assert missing == []


def test_every_operation_documents_its_json_errors(client):
    document = client.get(PREFIX + "/openapi.json").get_json()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            for code in ("400", "404", "413", "422"):
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"}, (method, path, code)
            for ref in re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', str(operation).replace("'", '"')):
                assert ref in document["components"]["schemas"], (method, path, ref)
