"""clients/python is what openapi-python-client makes of gateway/openapi.json now (CI's
regenerate-and-diff), with one function module per operation of the document."""

import json
import re
from pathlib import Path

from apidocs.api_document import document_path
from apidocs.openapi_merge import HTTP_METHODS
from apidocs.python_client import files_of, generate, package_dir


def test_the_checked_in_client_is_what_the_generator_makes_of_the_document(tmp_path: Path) -> None:
    fresh = tmp_path / "pyservices_client"
    generate(document_path(), fresh)

    made, kept = files_of(fresh), files_of(package_dir())

    assert sorted(made) == sorted(kept), "clients/python is stale: make client"
    stale = [name for name in made if made[name] != kept[name]]
    assert not stale, f"clients/python is stale (make client): {stale[:5]}"


def test_every_operation_of_the_document_is_a_function_module_of_the_client() -> None:
    document = json.loads(document_path().read_text())
    # The generator's module names: operation ids with runs of underscores made one.
    operation_ids = {
        re.sub("_+", "_", item[method]["operationId"])
        for item in document["paths"].values()
        for method in HTTP_METHODS
        if method in item
    }
    modules = {path.stem for path in (package_dir() / "api").glob("*/*.py")} - {"__init__"}

    assert modules == operation_ids
