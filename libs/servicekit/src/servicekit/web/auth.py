"""`CurrentUser`: the FastAPI dependency every service uses to know who is calling."""

import logging
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from servicekit.core.errors import Unauthorized
from servicekit.security.tokens import InvalidToken, Principal, RevokedToken
from servicekit.web.state import state_of

logger = logging.getLogger(__name__)


class _BearerPrincipal(OAuth2PasswordBearer):
    """The OAuth2 bearer scheme of the OpenAPI document, answering the token's principal.

    One dependency rather than a verifier depending on the scheme: FastAPI solves
    dependencies anew on every request, and the second level cost a tasks page as much
    as its token check.
    """

    async def __call__(self, request: Request) -> Principal:  # type: ignore[override]
        # async: verifying a signature takes microseconds; a thread hop would cost more.
        token = await super().__call__(request)
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


# auto_error=False: a missing token is our 401 problem, not FastAPI's plain one.
# The scheme keeps the name the OpenAPI documents have always given it.
current_user = _BearerPrincipal(
    tokenUrl="/api/auth/token", scheme_name="OAuth2PasswordBearer", auto_error=False
)
CurrentUser = Annotated[Principal, Depends(current_user)]
