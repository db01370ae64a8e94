"""One OpenAPI document for the gateway, merged from the services' own documents.

What is public: the paths the gateway routes to a service, `/api/...` and
`/sync/api/...`. Each service's probes (/healthz, /readyz) and its unlisted routes
(/metrics, /admin/...) are not: the gateway answers none of them from outside.

How names meet, decided once for every kind of component (schemas, security schemes,
responses, ...):
- a name that two services define identically is one component (servicekit's `Problem`,
  the shared OAuth2 scheme);
- a name that two services define differently is refused (`MergeConflict`), never
  renamed. A rename would be decided by which service happens to come first, and would
  change the name a consumer's code (and the generated client) knows a type by when an
  unrelated service adds a model of the same name; refusing makes it a failure of
  `make openapi` and of CI, fixed by naming the model in the service.
- a path or an operation id in two services is refused too: the gateway routes a path
  to one service, and a client names its functions after operation ids.

Operations are copied as the services document them, so the merged document says what
each service answers, with the problems the gateway itself answers on every route added
(`GATEWAY_PROBLEMS`: a request line or headers over its limits, a client over its
request budget, a service it cannot reach or that does not answer in time), which no
service can know of. Components no
public operation refers to are left out.
"""

import copy
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

PUBLIC_PATH = re.compile(r"^/(sync/)?api/")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
OPENAPI_VERSION = "3.1.0"
# Top-level keys the services' documents may hold; anything else (servers, security,
# tags, webhooks) is refused rather than dropped without a word: the merge would have
# to decide how two services' versions of it meet.
_KNOWN_KEYS = {"openapi", "info", "paths", "components"}

TITLE = "pyservices"
DESCRIPTION = """\
The public API of users, items and tasks behind one gateway.

Every operation exists twice with one contract: `async def` handlers under `/api/...`
and `def` handlers under `/sync/api/...` (tags `async` and `sync`); both read and write
the same data.

**Tokens**: `POST /api/auth/token` with the OAuth2 password form (`username` is the
email address) answers `{"access_token": ..., "token_type": "bearer"}`; send it as
`Authorization: Bearer <token>`. Every service accepts a token users issued.

**Errors** are RFC 9457 `application/problem+json` bodies carrying the request's id.
Every response carries `X-Request-ID`: the client's own when it sent a well-formed one,
else the gateway's.

**Limits**: a gateway may be set to limit each client's reads and writes; over budget,
any operation answers a 429 problem with `Retry-After`.
"""
TAGS = [
    {"name": "async", "description": "`async def` handlers on async drivers (`/api/...`)"},
    {"name": "sync", "description": "`def` handlers on sync drivers (`/sync/api/...`)"},
]


# status -> description of the problems gateway/nginx.conf.template answers itself on any
# routed path, as application/problem+json (its /_problems/ pages).
GATEWAY_PROBLEMS = {
    "414": "URI Too Long: the request line is over the gateway's limit (8 KiB)",
    "429": (
        "Too Many Requests: this client is over its request budget at the gateway (where "
        "one is set); retry after the seconds in Retry-After"
    ),
    "431": "Request Header Fields Too Large: a header over the gateway's limit (8 KiB)",
    "502": "Bad Gateway: the service behind this path is not reachable",
    "504": "Gateway Timeout: the service behind this path did not answer in time",
}
PROBLEM_REF = "#/components/schemas/Problem"


class MergeConflict(ValueError):
    pass


def public_operation(operation: dict[str, Any]) -> dict[str, Any]:
    """A service's operation as the gateway's document has it: its own responses first,
    then the gateway's problems it does not document itself; by status."""
    public = copy.deepcopy(operation)
    responses = public.setdefault("responses", {})
    for status, description in GATEWAY_PROBLEMS.items():
        responses.setdefault(
            status,
            {
                "description": description,
                "content": {"application/problem+json": {"schema": {"$ref": PROBLEM_REF}}},
            },
        )
    public["responses"] = dict(sorted(responses.items()))
    return public


def _operations(paths: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in paths.items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def _refs(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            yield ref
        for child in node.values():
            yield from _refs(child)
    elif isinstance(node, list):
        for child in node:
            yield from _refs(child)


def _security_schemes(paths: Mapping[str, Any]) -> Iterator[str]:
    """The names of the security schemes operations require (not `$ref`s: bare names)."""
    for _path, _method, operation in _operations(paths):
        for requirement in operation.get("security", ()):
            yield from requirement


def _used_components(
    paths: Mapping[str, Any], components: Mapping[str, dict[str, Any]]
) -> set[str]:
    """'#/components/<kind>/<name>' of everything the paths refer to, transitively."""
    used = {f"#/components/securitySchemes/{name}" for name in _security_schemes(paths)}
    pending = list(_refs(paths))
    while pending:
        ref = pending.pop()
        if ref in used:
            continue
        used.add(ref)
        _, _, kind, name = ref.split("/", 3)
        pending.extend(_refs(components.get(kind, {}).get(name)))
    return used


def merge(documents: Mapping[str, dict[str, Any]]) -> dict[str, Any]:
    """service name -> its OpenAPI document; returns the gateway's document."""
    paths: dict[str, Any] = {}
    components: dict[str, dict[str, Any]] = {}
    defined_by: dict[tuple[str, str], str] = {}
    path_owner: dict[str, str] = {}
    operation_ids: dict[str, str] = {}
    versions = set()
    for service, document in documents.items():
        unknown = set(document) - _KNOWN_KEYS
        if unknown:
            raise MergeConflict(f"{service}: top-level keys the merge does not know: {unknown}")
        if document.get("openapi") != OPENAPI_VERSION:
            raise MergeConflict(f"{service}: OpenAPI {document.get('openapi')}, not 3.1.0")
        versions.add(document["info"]["version"])
        for path, item in document["paths"].items():
            if not PUBLIC_PATH.match(path):
                continue
            if path in path_owner:
                raise MergeConflict(f"{path} is served by both {path_owner[path]} and {service}")
            path_owner[path] = service
            paths[path] = {
                key: public_operation(value) if key in HTTP_METHODS else copy.deepcopy(value)
                for key, value in item.items()
            }
        for path, method, operation in _operations(document["paths"]):
            operation_id = operation.get("operationId")
            if not PUBLIC_PATH.match(path) or operation_id is None:
                continue
            if operation_id in operation_ids:
                raise MergeConflict(
                    f"operationId {operation_id} ({method.upper()} {path} of {service}) is "
                    f"also one of {operation_ids[operation_id]}"
                )
            operation_ids[operation_id] = service
        for kind, named in document.get("components", {}).items():
            for name, definition in named.items():
                merged = components.setdefault(kind, {})
                if name not in merged:
                    merged[name] = copy.deepcopy(definition)
                    defined_by[kind, name] = service
                elif merged[name] != definition:
                    raise MergeConflict(
                        f"components/{kind}/{name} differs between {defined_by[kind, name]} "
                        f"and {service}: give one of the models another name in its service"
                    )
    if len(versions) > 1:
        raise MergeConflict(f"the services' documents have different versions: {versions}")
    if paths and "Problem" not in components.get("schemas", {}):
        raise MergeConflict("no service defines the Problem schema the gateway's problems use")
    used = _used_components(paths, components)
    kept = {
        kind: {
            name: definition
            for name, definition in sorted(named.items())
            if f"#/components/{kind}/{name}" in used
        }
        for kind, named in components.items()
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": TITLE, "version": versions.pop(), "description": DESCRIPTION},
        "tags": TAGS,
        "paths": paths,
        "components": {kind: named for kind, named in kept.items() if named},
    }


def dumps(document: dict[str, Any]) -> str:
    """The document as the gateway serves it and the repository keeps it."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
