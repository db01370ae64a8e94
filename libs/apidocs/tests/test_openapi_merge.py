"""How the services' documents become the gateway's: identical names meet, different
ones are refused, and only what the gateway routes is public."""

import copy
from typing import Any

import pytest

from apidocs.openapi_merge import GATEWAY_PROBLEMS, MergeConflict, merge

PROBLEM = {"type": "object", "properties": {"title": {"type": "string"}}}
BEARER = {"type": "oauth2", "flows": {"password": {"scopes": {}, "tokenUrl": "/api/auth/token"}}}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def operation(
    operation_id: str, schema: dict[str, Any], *, secured: bool = False
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "operationId": operation_id,
        "responses": {"200": {"content": {"application/json": {"schema": schema}}}},
    }
    if secured:
        found["security"] = [{"Bearer": []}]
    return found


def document(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "a service", "version": "0.1.0"},
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {"Bearer": BEARER}},
    }


def users() -> dict[str, Any]:
    return document(
        {
            "/api/users": {"get": operation("list_users", ref("Page"))},
            "/sync/api/users": {"get": operation("list_users_sync", ref("Page"))},
            "/healthz": {"get": operation("healthz", ref("Health"))},
            "/readyz": {"get": operation("readyz", ref("Problem"))},
        },
        {
            "Page": {"type": "object", "properties": {"items": {"items": ref("UserRead")}}},
            "UserRead": {"type": "object"},
            "Health": {"type": "object"},
            "Problem": PROBLEM,
        },
    )


def items() -> dict[str, Any]:
    return document(
        {
            "/api/items": {"post": operation("create_item", ref("Problem"), secured=True)},
            "/metrics": {"get": operation("metrics", {"type": "string"})},
            "/admin/fault": {"put": operation("set_fault", ref("Fault"))},
        },
        {"Problem": PROBLEM, "Fault": {"type": "object"}},
    )


def test_the_public_paths_of_every_service_are_merged_with_what_they_say() -> None:
    merged = merge({"users": users(), "items": items()})
    create_item = merged["paths"]["/api/items"]["post"]
    own = items()["paths"]["/api/items"]["post"]

    assert list(merged["paths"]) == ["/api/users", "/sync/api/users", "/api/items"]
    assert create_item["responses"]["200"] == own["responses"]["200"]
    assert create_item | {"responses": own["responses"]} == own
    assert merged["openapi"] == "3.1.0"


def test_every_operation_documents_the_problems_the_gateway_answers_itself() -> None:
    documented = users()
    timeout = {"description": "the service's own words", "content": {}}
    documented["paths"]["/api/users"]["get"]["responses"]["504"] = timeout

    merged = merge({"users": documented})
    responses = merged["paths"]["/api/users"]["get"]["responses"]

    assert list(responses) == ["200", *GATEWAY_PROBLEMS]
    assert responses["504"] == timeout  # a service's own description wins
    problem = responses["502"]["content"]["application/problem+json"]["schema"]
    assert problem == ref("Problem")
    assert "Problem" in merged["components"]["schemas"]


def test_without_a_problem_schema_the_gateways_problems_cannot_be_documented() -> None:
    bare = users()
    del bare["components"]["schemas"]["Problem"]

    with pytest.raises(MergeConflict, match="Problem schema"):
        merge({"users": bare})


def test_probes_metrics_and_admin_routes_stay_out_with_what_only_they_use() -> None:
    merged = merge({"users": users(), "items": items()})

    assert not [p for p in merged["paths"] if p.startswith(("/healthz", "/readyz", "/metrics"))]
    assert not [p for p in merged["paths"] if p.startswith("/admin")]
    assert sorted(merged["components"]["schemas"]) == ["Page", "Problem", "UserRead"]


def test_a_component_defined_alike_by_two_services_is_one() -> None:
    merged = merge({"users": users(), "items": items()})

    assert merged["components"]["schemas"]["Problem"] == PROBLEM
    assert merged["components"]["securitySchemes"] == {"Bearer": BEARER}


def test_a_security_scheme_no_public_operation_requires_is_left_out() -> None:
    merged = merge({"users": users()})

    assert "securitySchemes" not in merged["components"]


def test_a_component_two_services_define_differently_is_refused_not_renamed() -> None:
    other = items()
    other["components"]["schemas"]["Problem"] = {"type": "object", "title": "Problem"}

    with pytest.raises(MergeConflict, match=r"schemas/Problem differs between users and items"):
        merge({"users": users(), "items": other})


def test_a_path_two_services_serve_is_refused() -> None:
    other = items()
    other["paths"]["/api/users"] = {"get": operation("list_users_of_items", ref("Problem"))}

    with pytest.raises(MergeConflict, match=r"/api/users is served by both users and items"):
        merge({"users": users(), "items": other})


def test_an_operation_id_two_services_use_is_refused() -> None:
    other = items()
    other["paths"]["/api/items"]["post"]["operationId"] = "list_users"

    with pytest.raises(MergeConflict, match=r"operationId list_users"):
        merge({"users": users(), "items": other})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"openapi": "3.0.3"}, "not 3.1.0"),
        ({"security": [{"Bearer": []}]}, "top-level keys"),
        ({"tags": [{"name": "items"}]}, "top-level keys"),
        ({"info": {"title": "items", "version": "0.2.0"}}, "different versions"),
    ],
)
def test_what_the_merge_cannot_carry_over_is_refused(change: dict[str, Any], message: str) -> None:
    other = copy.deepcopy(items()) | change

    with pytest.raises(MergeConflict, match=message):
        merge({"users": users(), "items": other})
