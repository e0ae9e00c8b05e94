"""The API answers bad input with 4xx JSON errors, never an HTML page or a 500.

Every POST/PUT route under /api/v1 is found in the URL map, so a new route is covered at once;
schemathesis then fuzzes every operation of the OpenAPI document against the schema.
"""
from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings

from infra.db import db
from tests.builders import bearer, make_user
from tests.functional.routes import make_world, walk

PREFIX = "/api/v1"


@pytest.fixture
def world(app):
    world = make_world()
    make_user("boss", "admin")
    world["headers"] = bearer("boss")
    return world


def write_routes(app, world):
    routes = list(walk(app, world, methods=("POST", "PUT", "PATCH"), prefix=PREFIX + "/"))
    assert len(routes) >= 10, routes  # the walk found the API
    return routes


def assert_json_error(response, where):
    assert response.status_code < 500, (where, response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json, (where, response.status_code, response.mimetype)
    if response.status_code >= 400:
        body = response.get_json()
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), (where, body)
        assert isinstance(body["error"]["message"], str) and body["error"]["message"], (where, body)


def fresh_session():
    # Each probe starts from a clean unit of work, as a new request would in production.
    db.session.rollback()


MALFORMED = ['{"name": ', "{'single': 'quotes'}", "[1, 2,", "\x00\xff", "NaN", '{"a": 1} trailing']


def test_malformed_json_gets_a_4xx_json_error_on_every_write_route(app, client, world):
    for endpoint, method, url in write_routes(app, world):
        for body in MALFORMED:
            response = client.open(url, method=method, data=body, headers=world["headers"],
                                   content_type="application/json")
            assert_json_error(response, (endpoint, method, url, body))
            fresh_session()


NOT_OBJECTS = ["[]", '"text"', "42", "null", "true", "[{}]"]


def test_a_body_that_is_not_an_object_gets_a_4xx_json_error(app, client, world):
    for endpoint, method, url in write_routes(app, world):
        for body in NOT_OBJECTS:
            response = client.open(url, method=method, data=body, headers=world["headers"],
                                   content_type="application/json")
            assert_json_error(response, (endpoint, method, url, body))
            fresh_session()


WRONG = {"string": [{"nested": [1]}, 12345, True, []], "integer": ["twelve", 1.5, {"a": 1}, True, "9" * 40],
         "number": ["abc", [], {}], "boolean": ["yes", 2, {}], "array": ["not-a-list", 5, {"a": 1}, [{"x": {}}]],
         "object": ["not-an-object", [1], 7]}
ANY_WRONG = [{"nested": {"deeper": [None]}}, [[[]]], -1, 1e308, "", "\u0000", "x" * 5000]


def request_properties(document, url, method):
    """The JSON body's properties for this route in the OpenAPI document (by matching the templated path)."""
    import re

    for path, item in document["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", re.escape(PREFIX + path).replace(r"\{", "{").replace(r"\}", "}")) + "$"
        if re.match(pattern, url.split("?")[0]) and method.lower() in item:
            body = item[method.lower()].get("requestBody", {}).get("content", {}).get("application/json", {})
            schema = body.get("schema", {})
            if "$ref" in schema:
                schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
            return schema.get("properties", {})
    return {}


def test_fields_of_the_wrong_type_get_a_4xx_json_error(app, client, world):
    document = client.get(PREFIX + "/openapi.json").get_json()
    probes = 0
    for endpoint, method, url in write_routes(app, world):
        properties = request_properties(document, url, method) or {"name": {}, "code": {}, "uscc": {}}
        valid = {name: "X" for name in properties}
        for name, schema in properties.items():
            for wrong in WRONG.get(schema.get("type"), []) + ANY_WRONG:
                response = client.open(url, method=method, json={**valid, name: wrong}, headers=world["headers"])
                assert_json_error(response, (endpoint, method, url, name, repr(wrong)[:60]))
                fresh_session()
                probes += 1
        every_wrong = {name: {"nested": [1, {"x": None}]} for name in properties}
        response = client.open(url, method=method, json=every_wrong, headers=world["headers"])
        assert_json_error(response, (endpoint, method, url, "every field an object"))
        fresh_session()
    assert probes > 100


def test_a_huge_body_gets_413_json_on_every_write_route(app, client, world):
    limit = 16 * 1024
    app.config["MAX_CONTENT_LENGTH"] = limit
    huge = '{"name": "' + "x" * limit + '"}'
    for endpoint, method, url in write_routes(app, world):
        response = client.open(url, method=method, data=huge, headers=world["headers"],
                               content_type="application/json")
        assert response.status_code == 413, (endpoint, method, url, response.status_code)
        assert_json_error(response, (endpoint, method, url))


def test_a_huge_body_without_a_length_is_still_cut_off(app, client, world):
    """Chunked uploads carry no Content-Length; the limit must hold while reading."""
    import io

    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024
    stream = io.BytesIO(b'{"name": "' + b"x" * (64 * 1024) + b'"}')
    # gunicorn marks a chunked body as terminated; without that werkzeug reads no body at all.
    response = client.post(PREFIX + "/firms", input_stream=stream, headers={**world["headers"],
                           "Transfer-Encoding": "chunked", "Content-Type": "application/json"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 413
    assert_json_error(response, "chunked")


def test_a_wrong_method_or_unknown_path_gets_json(app, client, world):
    for url, method in ((PREFIX + "/firms", "DELETE"), (PREFIX + "/no-such-thing", "GET"),
                        (PREFIX + "/licences/abc", "GET")):
        response = client.open(url, method=method, headers=world["headers"])
        assert response.status_code in (404, 405), (url, method)
        assert_json_error(response, (url, method))


# --- schemathesis ------------------------------------------------------------------------------

def register_formats() -> None:
    """Strategies for the named formats of the document: what JSON Schema cannot say, really valid."""
    from datetime import date

    import schemathesis
    from hypothesis import strategies as st

    from infra import clock
    from parties.uscc import ALPHABET, check_character

    schemathesis.openapi.format("uscc", st.text(ALPHABET, min_size=17, max_size=17).map(
        lambda first17: first17 + check_character(first17)))
    schemathesis.openapi.format("past-date", st.dates(min_value=date(2000, 1, 1), max_value=clock.today()).map(
        date.isoformat))
    schemathesis.openapi.format("standard-file", standard_files())


def standard_files():
    """YAML standard files (SPEC §7) that compliance/standard_file.py accepts: of the world's alliance or another."""
    import yaml
    from hypothesis import strategies as st

    words = st.text(st.characters(codec="utf-8", categories=("L", "N")), min_size=1, max_size=30)
    numeric = st.fixed_dictionaries({
        "title": words, "category": st.sampled_from("ABC"), "kind": st.just("numeric"),
        "comparator": st.sampled_from([">=", ">", "<=", "<", "=="]), "limit": st.integers(-10**6, 10**6).map(str),
        "digits": st.integers(0, 3), "units": st.integers(1, 5),
        "inspections": st.lists(st.sampled_from(["type", "surveillance", "factory"]), min_size=1, unique=True)})
    boolean = st.fixed_dictionaries({"title": words, "category": st.sampled_from("ABC"), "kind": st.just("boolean"),
                                     "expected": st.booleans()})
    attribute = st.fixed_dictionaries({"title": words, "category": st.sampled_from("ABC"), "kind": st.just("attribute"),
                                       "aql": st.sampled_from(["0.65", "1.0", "2.5", "4.0"]),
                                       "level": st.sampled_from(["I", "II", "S-2"])})

    def numbered(clauses):
        return [{"number": f"5.{i}", **clause} for i, clause in enumerate(clauses, start=1)]

    files = st.fixed_dictionaries({
        "code": words.map(lambda w: f"Q/{w[:20]} 001"), "title": words,
        "alliance": st.sampled_from(["ZSSJ", "NO-SUCH-ALLIANCE"]), "version": st.integers(1990, 2099).map(str),
        "effective": st.dates().map(lambda d: d.isoformat()),
        "verdict_rule": st.just({"pass_if_any": [{"A": 0, "B": 0, "C": 0}, {"A": 0, "B": 1, "C": 2}]}),
        "clauses": st.lists(st.one_of(numeric, boolean, attribute), min_size=1, max_size=5).map(numbered)})
    return files.map(lambda data: yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def test_every_operation_of_the_openapi_document_survives_fuzzing(app, world):
    """No 5xx, answers as documented, and no schema-valid request refused with 400/422 (positive_data_acceptance)."""
    import schemathesis
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (content_type_conformance, positive_data_acceptance,
                                                   response_schema_conformance, status_code_conformance)

    register_formats()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # schemathesis' own imports, not ours
        schema = schemathesis.openapi.from_wsgi(PREFIX + "/openapi.json", app)
    headers = world["headers"]
    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
              positive_data_acceptance]
    failures = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=15, derandomize=True, deadline=None, database=None, print_blob=False,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def fuzz(case):
            response = case.call(headers=headers)
            try:
                case.validate_response(response, checks=checks, headers=headers)
            except (Exception, BaseExceptionGroup) as failure:  # collect them all, so one run names every broken operation
                failures.append(f"{operation.method.upper()} {operation.path}: {failure!s:.1500}")
            finally:
                db.session.rollback()

        fuzz()
    assert operations >= 10
    assert failures == [], "\n".join(dict.fromkeys(failures))


def test_nul_characters_are_refused_everywhere_rather_than_failing_in_the_database(app, client, world):
    response = client.post(PREFIX + "/alliances", json={"code": "NUL", "name": "a\u0000b"}, headers=world["headers"])
    assert response.status_code == 422
    assert_json_error(response, "json body")
    response = client.get(PREFIX + "/sampling-plan?lot_size=100&aql=%00", headers=world["headers"])
    assert response.status_code == 422
    assert client.get("/registry?q=a%00b").status_code == 400
