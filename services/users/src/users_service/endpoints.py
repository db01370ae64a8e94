"""The users API in async handlers under /api. Handlers hold no SQL and no rules: they
apply the rate limits, move CPU work (password hashing, through the hashing gate) off
the event loop, run the service functions through `AsyncSession.run_sync` and void
tokens when an account's password or existence changes."""

import time

from fastapi import APIRouter, Request, Response, status

from servicekit.auth import CurrentUser
from servicekit.errors import TooManyRequests
from servicekit.openapi import problem_responses
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.redis_clients import RedisDep
from servicekit.revocation import revoke
from servicekit.sessions import AsyncReadSessionDep, AsyncSessionDep
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
from users_service.revocations import commit_and_revoke
from users_service.schemas import Token, UserCreate, UserPrivate, UserRead, UserUpdate
from users_service.security import check_password, passwords

router = APIRouter(prefix="/api", tags=["async"])


@router.post(
    "/users",
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(EmailTaken, TooManyRequests),
)
async def create_user(
    body: UserCreate,
    session: AsyncSessionDep,
    response: Response,
    request: Request,
    limits: LoginLimitsDep,
    hashing: HashingDep,
) -> UserPrivate:
    """Register an account."""
    await limits.before_registration(client_address(request))
    password_hash = await hashing.run(passwords.hash, body.password)
    user = await session.run_sync(service.create_user, body, password_hash)
    response.headers["Location"] = f"{router.prefix}/users/{user.id}"
    return user


@router.get("/users", response_model=Page[UserRead])
async def list_users(
    session: AsyncReadSessionDep,
    q: NamePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """List public profiles by id, or search them by name prefix."""
    page = await session.run_sync(service.list_users, q=q, limit=limit, cursor=cursor)
    return page.response()


@router.get("/users/me")
async def read_me(principal: CurrentUser, session: AsyncReadSessionDep) -> UserPrivate:
    """The caller's own profile."""
    return await session.run_sync(service.get_me, principal)


@router.get("/users/{user_id}")
async def read_user(user_id: UserId, session: AsyncReadSessionDep) -> UserRead:
    """A public profile."""
    return await session.run_sync(service.get_user, user_id)


@router.patch("/users/{user_id}", responses=problem_responses(NotYourAccount, EmailTaken))
async def update_user(
    user_id: UserId,
    body: UserUpdate,
    principal: CurrentUser,
    session: AsyncSessionDep,
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


@router.delete(
    "/users/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problem_responses(NotYourAccount),
)
async def delete_user(
    user_id: UserId,
    principal: CurrentUser,
    session: AsyncSessionDep,
    redis: RedisDep,
    issuer: TokenIssuerDep,
) -> None:
    """Delete the caller's own account, and with it every token it was issued."""
    await session.run_sync(service.delete_user, principal, user_id)
    await commit_and_revoke(session, redis, user_id, issuer.ttl_seconds)


@router.post("/auth/token", responses=problem_responses(InvalidCredentials, TooManyRequests))
async def issue_token(
    form: LoginForm,
    request: Request,
    session: AsyncReadSessionDep,
    issuer: TokenIssuerDep,
    limits: LoginLimitsDep,
    hashing: HashingDep,
) -> Token:
    """Log in with email and password (OAuth2 password grant)."""
    await limits.before_login(client_address(request), form.username)
    issued_at = time.time()  # before the read: security.TokenIssuer.issue says why
    stored = await session.run_sync(service.password_hash_of, form.username)
    await session.close()  # a login waiting for its hash holds no pooled connection
    try:
        user_id = await hashing.run(check_password, stored, form.password)
    except InvalidCredentials:
        await limits.after_failed_login(form.username)
        raise
    return issuer.issue(user_id, issued_at)


@router.post("/auth/logout-all", status_code=status.HTTP_204_NO_CONTENT)
async def log_out_everywhere(
    principal: CurrentUser, redis: RedisDep, issuer: TokenIssuerDep
) -> None:
    """Void every token issued to the caller so far, this one included."""
    await revoke(redis, principal.user_id, keep_seconds=issuer.ttl_seconds)
