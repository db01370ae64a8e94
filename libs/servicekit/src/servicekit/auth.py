"""`CurrentUser`: the FastAPI dependency every service uses to know who is calling."""

import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from servicekit.errors import Unauthorized
from servicekit.state import state_of
from servicekit.tokens import InvalidToken, Principal, RevokedToken

# auto_error=False: a missing token is our 401 problem, not FastAPI's plain one.
_bearer = OAuth2PasswordBearer(tokenUrl="/api/auth/token", auto_error=False)

logger = logging.getLogger(__name__)


async def current_user(
    request: Request, token: Annotated[str | None, Depends(_bearer)]
) -> Principal:
    # async: verifying a signature takes microseconds; a thread hop would cost more.
    if token is None:
        raise Unauthorized("A bearer token is required")
    try:
        return state_of(request.app).token_verifier.verify(token)
    except RevokedToken:
        raise Unauthorized("The bearer token was revoked: log in again") from None
    except InvalidToken as error:
        # Why, for whoever reads the logs; the caller learns only that it was refused,
        # never which check a forgery failed.
        logger.info("bearer token refused: %s", error)
        raise Unauthorized("The bearer token is invalid or expired") from None


CurrentUser = Annotated[Principal, Depends(current_user)]
