"""The users API in both modes (servicekit.web.modes). Handlers hold no SQL and no rules.

The reads are declared once. The operations that also hash a password (through the
hashing gate, off the event loop), apply the rate limits or void tokens in Redis are
written out per mode, side by side; `def` twins return their response serialized
(servicekit.web.responses says why)."""

import time

from fastapi import Request, Response, status

from servicekit.core.errors import TooManyRequests
from servicekit.queries.reads import Reads, run_read, run_read_sync
from servicekit.security.revocation import revoke, revoke_sync
from servicekit.web.auth import CurrentUser
from servicekit.web.modes import ASYNC_PREFIX, SYNC_PREFIX, BothModes
from servicekit.web.openapi import problem_responses
from servicekit.web.pagination import DEFAULT_LIMIT, CursorParam, Limit
from servicekit.web.responses import json_response, no_content
from servicekit.web.sessions import SessionDep, SyncSessionDep
from servicekit.web.state import DatabaseDep, RedisDep, SyncRedisDep
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
from users_service.revocations import commit_and_revoke, commit_and_revoke_sync
from users_service.schemas import Token, UserCreate, UserPage, UserPrivate, UserRead, UserUpdate
from users_service.security import check_password, passwords

api = BothModes()


@api.post(
    "/users",
    mode="async",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(EmailTaken, TooManyRequests),
)
async def create_user(
    body: UserCreate,
    session: SessionDep,
    response: Response,
    request: Request,
    limits: LoginLimitsDep,
    hashing: HashingDep,
) -> UserPrivate:
    """Register an account."""
    await limits.before_registration(client_address(request))
    password_hash = await hashing.run(passwords.hash, body.password)
    user = await session.run_sync(service.create_user, body, password_hash)
    response.headers["Location"] = f"{ASYNC_PREFIX}/users/{user.id}"
    return user


@api.post("/users", mode="sync")
def create_user_sync(
    body: UserCreate,
    session: SyncSessionDep,
    request: Request,
    limits: LoginLimitsDep,
    hashing: HashingDep,
) -> Response:
    limits.before_registration_sync(client_address(request))
    user = service.create_user(session, body, hashing.run_sync(passwords.hash, body.password))
    location = f"{SYNC_PREFIX}/users/{user.id}"
    return json_response(user, status.HTTP_201_CREATED, {"Location": location})


@api.get("/users")
def list_users(
    reads: Reads,
    q: NamePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> UserPage:
    """List public profiles by id, or search them by name prefix."""
    return service.list_users(reads, q=q, limit=limit, cursor=cursor)


@api.get("/users/me")
def read_me(principal: CurrentUser, reads: Reads) -> UserPrivate:
    """The caller's own profile."""
    return service.get_me(reads, principal)


@api.get("/users/{user_id}")
def read_user(user_id: UserId, reads: Reads) -> UserRead:
    """A public profile."""
    return service.get_user(reads, user_id)


@api.patch(
    "/users/{user_id}",
    mode="async",
    responses=problem_responses(NotYourAccount, EmailTaken),
)
async def update_user(
    user_id: UserId,
    body: UserUpdate,
    principal: CurrentUser,
    session: SessionDep,
    hashing: HashingDep,
    redis: RedisDep,
    issuer: TokenIssuerDep,
) -> UserPrivate:
    """Change the caller's own account; a new password voids every earlier token."""
    password_hash = None
    if body.password is not None:
        password_hash = await hashing.run(passwords.hash, body.password)
    user = await session.run_sync(service.update_user, principal, user_id, body, password_hash)
    if password_hash is not None:
        await commit_and_revoke(session, redis, user_id, issuer.ttl_seconds)
    return user


@api.patch("/users/{user_id}", mode="sync")
def update_user_sync(
    user_id: UserId,
    body: UserUpdate,
    principal: CurrentUser,
    session: SyncSessionDep,
    hashing: HashingDep,
    redis: SyncRedisDep,
    issuer: TokenIssuerDep,
) -> Response:
    password_hash = None
    if body.password is not None:
        password_hash = hashing.run_sync(passwords.hash, body.password)
    user = service.update_user(session, principal, user_id, body, password_hash)
    if password_hash is not None:
        commit_and_revoke_sync(session, redis, user_id, issuer.ttl_seconds)
    return json_response(user)


@api.delete(
    "/users/{user_id}",
    mode="async",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NotYourAccount),
)
async def delete_user(
    user_id: UserId,
    principal: CurrentUser,
    session: SessionDep,
    redis: RedisDep,
    issuer: TokenIssuerDep,
) -> None:
    """Delete the caller's own account, and with it every token it was issued."""
    await session.run_sync(service.delete_user, principal, user_id)
    await commit_and_revoke(session, redis, user_id, issuer.ttl_seconds)


@api.delete("/users/{user_id}", mode="sync")
def delete_user_sync(
    user_id: UserId,
    principal: CurrentUser,
    session: SyncSessionDep,
    redis: SyncRedisDep,
    issuer: TokenIssuerDep,
) -> Response:
    service.delete_user(session, principal, user_id)
    commit_and_revoke_sync(session, redis, user_id, issuer.ttl_seconds)
    return no_content()


@api.post(
    "/auth/token",
    mode="async",
    responses=problem_responses(InvalidCredentials, TooManyRequests),
)
async def issue_token(
    form: LoginForm,
    request: Request,
    db: DatabaseDep,
    issuer: TokenIssuerDep,
    limits: LoginLimitsDep,
    hashing: HashingDep,
) -> Token:
    """Log in with email and password (OAuth2 password grant)."""
    await limits.before_login(client_address(request), form.username)
    issued_at = time.time()  # before the read: security.TokenIssuer.issue says why
    # The read returns its connection: a login waiting for its hash holds none.
    stored = await run_read(db, service.password_hash_of, email=form.username)
    try:
        user_id = await hashing.run(check_password, stored, form.password)
    except InvalidCredentials:
        await limits.after_failed_login(form.username)
        raise
    return issuer.issue(user_id, issued_at)


@api.post("/auth/token", mode="sync")
def issue_token_sync(
    form: LoginForm,
    request: Request,
    db: DatabaseDep,
    issuer: TokenIssuerDep,
    limits: LoginLimitsDep,
    hashing: HashingDep,
) -> Response:
    limits.before_login_sync(client_address(request), form.username)
    issued_at = time.time()  # before the read: security.TokenIssuer.issue says why
    stored = run_read_sync(db, service.password_hash_of, email=form.username)
    try:
        user_id = hashing.run_sync(check_password, stored, form.password)
    except InvalidCredentials:
        limits.after_failed_login_sync(form.username)
        raise
    return json_response(issuer.issue(user_id, issued_at))


@api.post("/auth/logout-all", mode="async", status_code=status.HTTP_204_NO_CONTENT)
async def log_out_everywhere(
    principal: CurrentUser, redis: RedisDep, issuer: TokenIssuerDep
) -> None:
    """Void every token issued to the caller so far, this one included."""
    await revoke(redis, principal.user_id, keep_seconds=issuer.ttl_seconds)


@api.post("/auth/logout-all", mode="sync")
def log_out_everywhere_sync(
    principal: CurrentUser, redis: SyncRedisDep, issuer: TokenIssuerDep
) -> Response:
    revoke_sync(redis, principal.user_id, keep_seconds=issuer.ttl_seconds)
    return no_content()
