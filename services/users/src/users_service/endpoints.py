"""The users API in async handlers under /api. Handlers hold no SQL and no rules: they
move CPU work (password hashing) off the event loop and run the service functions
through `AsyncSession.run_sync`."""

from fastapi import APIRouter, Response, status
from starlette.concurrency import run_in_threadpool

from servicekit.auth import CurrentUser
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit
from servicekit.sessions import AsyncReadSessionDep, AsyncSessionDep
from users_service import service
from users_service.params import LoginForm, NamePrefix, TokenIssuerDep, UserId
from users_service.schemas import USER_PAGE, Token, UserCreate, UserPrivate, UserRead, UserUpdate
from users_service.security import check_password, passwords

router = APIRouter(prefix="/api", tags=["async"])


@router.post("/users", status_code=status.HTTP_201_CREATED)
async def create_user(
    body: UserCreate, session: AsyncSessionDep, response: Response
) -> UserPrivate:
    """Register an account."""
    password_hash = await run_in_threadpool(passwords.hash, body.password)
    user = await session.run_sync(service.create_user, body, password_hash)
    response.headers["Location"] = f"{router.prefix}/users/{user.id}"
    return user


@router.get("/users", response_model=USER_PAGE.model)
async def list_users(
    session: AsyncReadSessionDep,
    q: NamePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Response:
    """List public profiles by id, or search them by name prefix."""
    page = await session.run_sync(service.list_users, q=q, limit=limit, cursor=cursor)
    return USER_PAGE.response(page)


@router.get("/users/me")
async def read_me(principal: CurrentUser, session: AsyncReadSessionDep) -> UserPrivate:
    """The caller's own profile."""
    return await session.run_sync(service.get_me, principal)


@router.get("/users/{user_id}")
async def read_user(user_id: UserId, session: AsyncReadSessionDep) -> UserRead:
    """A public profile."""
    return await session.run_sync(service.get_user, user_id)


@router.patch("/users/{user_id}")
async def update_user(
    user_id: UserId, body: UserUpdate, principal: CurrentUser, session: AsyncSessionDep
) -> UserPrivate:
    """Change the caller's own account."""
    password_hash = None
    if body.password is not None:
        password_hash = await run_in_threadpool(passwords.hash, body.password)
    return await session.run_sync(service.update_user, principal, user_id, body, password_hash)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: UserId, principal: CurrentUser, session: AsyncSessionDep) -> None:
    """Delete the caller's own account."""
    await session.run_sync(service.delete_user, principal, user_id)


@router.post("/auth/token")
async def issue_token(form: LoginForm, session: AsyncSessionDep, issuer: TokenIssuerDep) -> Token:
    """Log in with email and password (OAuth2 password grant)."""
    stored = await session.run_sync(service.password_hash_of, form.username)
    user_id = await run_in_threadpool(check_password, stored, form.password)
    return issuer.issue(user_id)
