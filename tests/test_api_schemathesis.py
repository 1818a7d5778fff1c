"""schemathesis against the live OpenAPI schema: for every operation, generated requests (valid and
invalid) sent with a token of a role allowed to call it, must never give a 5xx and every answer must
match the schema (status code, content type, headers, body)."""

from __future__ import annotations

import pytest
import schemathesis
from api_world import api_world
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from casedraw.api.app import access_of, endpoints

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
# Each operation is called as the first role its access allows (public ones anonymously).
OPERATIONS = sorted((method, route.path, None if access_of(route).public else sorted(str(r) for r in access_of(route).roles)[0])
                    for route in endpoints() for method in route.methods)


@pytest.fixture(scope="module")
def world(tmp_path_factory):  # type: ignore[no-untyped-def]
    with api_world(f"sqlite:///{tmp_path_factory.mktemp('schemathesis') / 'casedraw.db'}") as w:
        yield w


@pytest.fixture(scope="module")
def api_schema(world):  # type: ignore[no-untyped-def]
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", world.client.app)


@pytest.mark.parametrize(("method", "path", "role"), OPERATIONS, ids=[f"{m} {p}" for m, p, _ in OPERATIONS])
def test_no_server_error_and_no_schema_violation(api_schema, world, method, path, role):  # type: ignore[no-untyped-def]
    operation = api_schema[path][method]
    headers = world.headers(role) if role else {}

    @given(case=operation.as_strategy())
    @settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def exchange(case):  # type: ignore[no-untyped-def]
        case.call_and_validate(headers=headers, checks=CHECKS)

    exchange()
