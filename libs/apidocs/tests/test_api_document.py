"""gateway/openapi.json: what the services' code documents now, every public operation
exactly once, and a valid OpenAPI 3.1 document (the live services' answers are compared
with it through the gateway in test_gateway_api_docs_e2e.py)."""

import json
from collections import Counter
from typing import Any

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from apidocs.api_document import document_path, render, service_documents
from apidocs.openapi_merge import HTTP_METHODS, PUBLIC_PATH, public_operation


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    return service_documents()


@pytest.fixture(scope="module")
def kept() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(document_path().read_text())
    return result


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in document["paths"].items()
        for method in HTTP_METHODS
        if method in item
    ]


def test_the_kept_document_is_what_the_services_code_documents_now() -> None:
    assert document_path().read_text() == render(), "gateway/openapi.json is stale: make openapi"


def test_every_public_operation_of_every_service_is_in_it_exactly_once(
    services: dict[str, dict[str, Any]], kept: dict[str, Any]
) -> None:
    merged = Counter((path, method) for path, method, _ in operations(kept))
    public = [
        (service, path, method, found)
        for service, document in services.items()
        for path, method, found in operations(document)
        if PUBLIC_PATH.match(path)
    ]

    assert {service for service, *_ in public} == {"users", "items", "tasks"}
    assert sum(merged.values()) == len(public)
    for service, path, method, found in public:
        assert merged[path, method] == 1, (service, path, method)
        # As the service documents it, with the gateway's own problems added.
        assert kept["paths"][path][method] == public_operation(found), (service, path, method)


def test_every_operation_documents_the_429_of_the_gateways_client_budgets(
    kept: dict[str, Any],
) -> None:
    """A gateway with GATEWAY_READ_RATE or GATEWAY_WRITE_RATE set answers 429 on every
    API path (test_gateway_edge.py), so every operation says so: a client, the smoke
    check's walk included, then knows it as a Problem."""
    for path, method, found in operations(kept):
        refused = found["responses"].get("429", {})
        assert "application/problem+json" in refused.get("content", {}), (path, method)


def test_it_covers_the_whole_public_api_in_both_modes(kept: dict[str, Any]) -> None:
    resources = {path.removeprefix("/sync").split("/")[2] for path in kept["paths"]}
    modes = {"sync" if path.startswith("/sync/") else "async" for path in kept["paths"]}

    assert resources == {"users", "auth", "items", "tasks", "jobs"}
    assert modes == {"async", "sync"}
    for path in kept["paths"]:
        if not path.startswith("/sync/"):
            assert kept["paths"][f"/sync{path}"].keys() == kept["paths"][path].keys(), path


def test_no_probe_metrics_or_admin_path_is_in_it(kept: dict[str, Any]) -> None:
    private = ("/admin", "/metrics", "/healthz", "/readyz")

    assert not [path for path in kept["paths"] if path.startswith(private)]


def test_operation_ids_and_schema_names_are_unique_and_every_reference_resolves(
    kept: dict[str, Any],
) -> None:
    ids = Counter(found["operationId"] for _, _, found in operations(kept))
    refs = set(json.dumps(kept).split('"$ref": "')[1:])

    assert max(ids.values()) == 1
    for ref in {r.split('"')[0] for r in refs}:
        _, _, kind, name = ref.split("/")
        assert name in kept["components"][kind], ref


def test_it_is_a_valid_openapi_3_1_document(kept: dict[str, Any]) -> None:
    validate(kept)  # openapi-spec-validator: the 3.1 schema and its own checks


def test_the_validator_refuses_a_broken_document(kept: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(kept))
    broken["paths"]["/api/users"]["get"]["responses"]["200"] = {"content": "none"}

    with pytest.raises(OpenAPIValidationError):
        validate(broken)
