"""The users API in sync handlers under /sync/api: the same contract as endpoints.py,
in `def` handlers that FastAPI runs in its thread pool with a sync `Session`.

Handlers return their response serialized (`json_response`), never a bare model:
servicekit.responses says why (a deadlock under load otherwise)."""

import time

from fastapi import APIRouter, Request, Response, status

from servicekit.auth import CurrentUser
from servicekit.errors import TooManyRequests
from servicekit.openapi import problem_responses
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.redis_clients import SyncRedisDep
from servicekit.responses import json_response, no_content
from servicekit.revocation import revoke_sync
from servicekit.sessions import ReadSessionDep, SessionDep
from users_service import service
from users_service.errors import EmailTaken, InvalidCredentials, NotYourAccount
from users_service.login_limits import client_address
from users_service.params import (
    HashingDep,
    LoginForm,
    LoginLimitsDep,
    NamePrefix,
    TokenIssuerDep,
    UserId,
)
from users_service.revocations import commit_and_revoke_sync
from users_service.schemas import Token, UserCreate, UserPrivate, UserRead, UserUpdate
from users_service.security import check_password, passwords

router = APIRouter(prefix="/sync/api", tags=["sync"])


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    response_model=UserPrivate,
    responses=problem_responses(EmailTaken, TooManyRequests),
)
def create_user(
    body: UserCreate,
    session: SessionDep,
    request: Request,
    limits: LoginLimitsDep,
    hashing: HashingDep,
) -> Response:
    """Register an account."""
    limits.before_registration_sync(client_address(request))
    user = service.create_user(session, body, hashing.run_sync(passwords.hash, body.password))
    location = f"{router.prefix}/users/{user.id}"
    return json_response(user, status.HTTP_201_CREATED, {"Location": location})


@router.get("/users", response_model=Page[UserRead])
def list_users(
    session: ReadSessionDep,
    q: NamePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """List public profiles by id, or search them by name prefix."""
    return service.list_users(session, q=q, limit=limit, cursor=cursor).response()


@router.get("/users/me", response_model=UserPrivate)
def read_me(principal: CurrentUser, session: ReadSessionDep) -> Response:
    """The caller's own profile."""
    return json_response(service.get_me(session, principal))


@router.get("/users/{user_id}", response_model=UserRead)
def read_user(user_id: UserId, session: ReadSessionDep) -> Response:
    """A public profile."""
    return json_response(service.get_user(session, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserPrivate,
    responses=problem_responses(NotYourAccount, EmailTaken),
)
def update_user(
    user_id: UserId,
    body: UserUpdate,
    principal: CurrentUser,
    session: SessionDep,
    hashing: HashingDep,
    redis: SyncRedisDep,
    issuer: TokenIssuerDep,
) -> Response:
    """Change the caller's own account; a new password voids every earlier token."""
    password_hash = None
    if body.password is not None:
        password_hash = hashing.run_sync(passwords.hash, body.password)
    user = service.update_user(session, principal, user_id, body, password_hash)
    if password_hash is not None:
        commit_and_revoke_sync(session, redis, user_id, issuer.ttl_seconds)
    return json_response(user)


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NotYourAccount),
)
def delete_user(
    user_id: UserId,
    principal: CurrentUser,
    session: SessionDep,
    redis: SyncRedisDep,
    issuer: TokenIssuerDep,
) -> Response:
    """Delete the caller's own account, and with it every token it was issued."""
    service.delete_user(session, principal, user_id)
    commit_and_revoke_sync(session, redis, user_id, issuer.ttl_seconds)
    return no_content()


@router.post(
    "/auth/token",
    response_model=Token,
    responses=problem_responses(InvalidCredentials, TooManyRequests),
)
def issue_token(
    form: LoginForm,
    request: Request,
    session: ReadSessionDep,
    issuer: TokenIssuerDep,
    limits: LoginLimitsDep,
    hashing: HashingDep,
) -> Response:
    """Log in with email and password (OAuth2 password grant)."""
    limits.before_login_sync(client_address(request), form.username)
    issued_at = time.time()  # before the read: security.TokenIssuer.issue says why
    stored = service.password_hash_of(session, form.username)
    session.close()  # a login waiting for its hash holds no pooled connection
    try:
        user_id = hashing.run_sync(check_password, stored, form.password)
    except InvalidCredentials:
        limits.after_failed_login_sync(form.username)
        raise
    return json_response(issuer.issue(user_id, issued_at))


@router.post("/auth/logout-all", status_code=status.HTTP_204_NO_CONTENT)
def log_out_everywhere(
    principal: CurrentUser, redis: SyncRedisDep, issuer: TokenIssuerDep
) -> Response:
    """Void every token issued to the caller so far, this one included."""
    revoke_sync(redis, principal.user_id, keep_seconds=issuer.ttl_seconds)
    return no_content()
