"""`/admin/fault`: read, set and clear the fault of a service (servicekit.faults.switch).

It exists only with FAULTS_ENABLED=true, answers only callers that send
`Authorization: Bearer <FAULT_ADMIN_TOKEN>` (a 401 problem otherwise, before the body is
even read), is left out of the OpenAPI document, and the gateway has no route to it:
whoever switches a fault reaches the service's own port.

- GET: the fault in effect in this process (all zeros when none is);
- PUT: a `Fault` as JSON, written to Redis (every replica follows within a poll) and
  applied here at once; a bad value is a 422 problem and changes nothing;
- DELETE: no fault, everywhere; 204.
"""

import hmac

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import SecretStr, ValidationError

from servicecontracts.faults import Fault
from servicekit.core.errors import Unauthorized
from servicekit.faults.switch import FaultSwitch
from servicekit.web.state import RedisDep

PATH = "/admin/fault"


def admin_router(switch: FaultSwitch, token: SecretStr) -> APIRouter:
    expected = token.get_secret_value().encode()

    async def authorized(request: Request) -> None:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        # Constant time: how long a refusal takes says nothing about the token.
        if not (scheme.lower() == "bearer" and hmac.compare_digest(given.encode(), expected)):
            raise Unauthorized("The fault admin token is required")

    router = APIRouter(include_in_schema=False, dependencies=[Depends(authorized)])

    def answer(fault: Fault) -> Response:
        return Response(fault.model_dump_json(), media_type="application/json")

    @router.get(PATH)
    async def read_fault() -> Response:
        return answer(switch.current)

    @router.put(PATH)
    async def set_fault(request: Request, redis: RedisDep) -> Response:
        # The body is read here, after the token: an anonymous caller learns nothing
        # about what it would have to send.
        fault = _parsed(await request.body())
        await switch.write(redis, fault)
        return answer(switch.current)

    @router.delete(PATH, status_code=204)
    async def clear_fault(redis: RedisDep) -> Response:
        await switch.write(redis, None)
        return Response(status_code=204)

    return router


def _parsed(body: bytes) -> Fault:
    try:
        return Fault.model_validate_json(body)
    except ValidationError as error:
        # The same 422 problem as any body FastAPI validates, where it points into the body.
        raise RequestValidationError(
            [
                {**detail, "loc": ("body", *detail["loc"])}
                for detail in error.errors(include_url=False, include_input=False)
            ]
        ) from None
