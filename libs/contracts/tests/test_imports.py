"""The contracts import no web framework and no Celery: the worker takes them without
FastAPI, and users and items without Celery."""

import json
import subprocess
import sys

FORBIDDEN = ("fastapi", "starlette", "celery")

# Run in a fresh interpreter: the test session itself has imported every framework.
_LOADED = """
import importlib, json, pkgutil, sys
import servicecontracts
for module in pkgutil.iter_modules(servicecontracts.__path__, "servicecontracts."):
    importlib.import_module(module.name)
print(json.dumps(sorted({name.partition(".")[0] for name in sys.modules})))
"""


def test_importing_every_contract_loads_no_framework():
    result = subprocess.run(
        [sys.executable, "-c", _LOADED], capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(result.stdout))

    assert "servicecontracts" in loaded
    assert loaded.isdisjoint(FORBIDDEN)
