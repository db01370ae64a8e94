"""Row (e) of `make bench-ceiling`: the constant endpoint of plain_constant.py in a
servicekit app, with every middleware a service has (request id, body limit, problem
handlers, JSON logs): what the shared wiring costs per request.

Its settings come from the environment, as a service's do (DATABASE_URL, REDIS_URL).
"""

from fastapi import APIRouter

from servicekit.app import create_app
from servicekit.core.settings import ServiceSettings

CONSTANT = {"status": "ok", "service": "baseline", "answer": 42}

router = APIRouter()


@router.get("/constant")
async def constant() -> dict:
    return CONSTANT


app = create_app(ServiceSettings(service_name="baseline"), [router], title="baseline")
