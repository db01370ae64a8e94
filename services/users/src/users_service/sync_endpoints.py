"""The users API in sync handlers under /sync/api: the same contract as endpoints.py,
in `def` handlers that FastAPI runs in its thread pool with a sync `Session`.

Handlers return their response serialized (`json_response`), never a bare model:
servicekit.responses says why (a deadlock under load otherwise)."""

from fastapi import APIRouter, Response, status

from servicekit.auth import CurrentUser
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit
from servicekit.responses import json_response, no_content
from servicekit.sessions import ReadSessionDep, SessionDep
from users_service import service
from users_service.params import LoginForm, NamePrefix, TokenIssuerDep, UserId
from users_service.schemas import USER_PAGE, Token, UserCreate, UserPrivate, UserRead, UserUpdate
from users_service.security import check_password, passwords

router = APIRouter(prefix="/sync/api", tags=["sync"])


@router.post("/users", status_code=status.HTTP_201_CREATED, response_model=UserPrivate)
def create_user(body: UserCreate, session: SessionDep) -> Response:
    """Register an account."""
    user = service.create_user(session, body, passwords.hash(body.password))
    location = f"{router.prefix}/users/{user.id}"
    return json_response(user, status.HTTP_201_CREATED, {"Location": location})


@router.get("/users", response_model=USER_PAGE.model)
def list_users(
    session: ReadSessionDep,
    q: NamePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """List public profiles by id, or search them by name prefix."""
    return USER_PAGE.response(service.list_users(session, q=q, limit=limit, cursor=cursor))


@router.get("/users/me", response_model=UserPrivate)
def read_me(principal: CurrentUser, session: ReadSessionDep) -> Response:
    """The caller's own profile."""
    return json_response(service.get_me(session, principal))


@router.get("/users/{user_id}", response_model=UserRead)
def read_user(user_id: UserId, session: ReadSessionDep) -> Response:
    """A public profile."""
    return json_response(service.get_user(session, user_id))


@router.patch("/users/{user_id}", response_model=UserPrivate)
def update_user(
    user_id: UserId, body: UserUpdate, principal: CurrentUser, session: SessionDep
) -> Response:
    """Change the caller's own account."""
    password_hash = passwords.hash(body.password) if body.password is not None else None
    return json_response(service.update_user(session, principal, user_id, body, password_hash))


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: UserId, principal: CurrentUser, session: SessionDep) -> Response:
    """Delete the caller's own account."""
    service.delete_user(session, principal, user_id)
    return no_content()


@router.post("/auth/token", response_model=Token)
def issue_token(form: LoginForm, session: SessionDep, issuer: TokenIssuerDep) -> Response:
    """Log in with email and password (OAuth2 password grant)."""
    user_id = check_password(service.password_hash_of(session, form.username), form.password)
    return json_response(issuer.issue(user_id))
