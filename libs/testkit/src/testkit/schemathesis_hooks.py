"""Hooks of the schemathesis runs (`testkit.api_fuzzing`), loaded by the schemathesis
process through SCHEMATHESIS_HOOKS; importing this module registers them.

- Every request that needs a token gets one of a live account, logged in through the
  users service at SCHEMATHESIS_USERS_URL. The run changes passwords, deletes accounts
  and logs out everywhere, its own account's included (users names it in /users/me),
  and a revoked token is refused by every service: so on a 401 schemathesis asks for a
  token again (`retry_on`), and an account that no longer logs in is replaced by a new
  one.
- A listing's cursor is opaque: the document states its form (servicekit.web.pagination),
  but only a page the service made holds one that decodes to a position, so the cases
  meant to be accepted leave it out (those meant to be refused still send anything
  there, and must get a 422).
"""

import itertools
import os
from typing import Any

import httpx
import schemathesis

USERS_URL_VARIABLE = "SCHEMATHESIS_USERS_URL"
PASSWORD = "schemathesis password"  # noqa: S105 (a throwaway account's)
# Tokens live for minutes; a revoked one is replaced on its first 401.
REFRESH_SECONDS = 300

# A generated case of any operation of the services' OpenAPI documents.
Case = schemathesis.Case[schemathesis.APIOperation[Any, Any, Any, Any]]


@schemathesis.auth(refresh_interval=REFRESH_SECONDS, retry_on=[401])
class LiveAccountToken:
    def __init__(self) -> None:
        self._numbers = itertools.count(1)
        self._email: str | None = None

    def get(self, case: Case, context: schemathesis.AuthContext) -> str:
        with httpx.Client(base_url=os.environ[USERS_URL_VARIABLE], timeout=30) as client:
            token = self._log_in(client) if self._email else None
            if token is None:  # deleted, or its password changed: a new account
                self._email = f"schemathesis-{os.getpid()}-{next(self._numbers)}@example.com"
                body = {"name": "Schemathesis", "email": self._email, "password": PASSWORD}
                client.post("/api/users", json=body).raise_for_status()
                token = self._log_in(client)
            if token is None:
                raise RuntimeError(f"{self._email} was just registered and cannot log in")
            return token

    def _log_in(self, client: httpx.Client) -> str | None:
        login = client.post("/api/auth/token", data={"username": self._email, "password": PASSWORD})
        if login.status_code == 401:
            return None
        login.raise_for_status()
        token: str = login.json()["access_token"]
        return token

    def set(
        self,
        case: Case,
        data: str,
        context: schemathesis.AuthContext,
    ) -> None:
        # Case.headers is a case-insensitive dict (never None): this replaces any
        # generated authorization header rather than sending a second one.
        case.headers["Authorization"] = f"Bearer {data}"


@schemathesis.hook
def map_case(context: schemathesis.HookContext, case: Case) -> Case:
    query = case.query or {}
    if "cursor" not in query:
        return case
    negative = case.meta is not None and any(
        location.name == "QUERY" and info.mode.is_negative
        for location, info in case.meta.components.items()
    )
    if not negative:
        case.query = {name: value for name, value in query.items() if name != "cursor"}
    return case
