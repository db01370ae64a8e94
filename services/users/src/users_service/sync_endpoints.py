"""The users API in sync handlers under /sync/api: the same contract as endpoints.py,
in `def` handlers that FastAPI runs in its thread pool with a sync `Session`."""

from fastapi import APIRouter, Response, status

from servicekit.auth import CurrentUser
from servicekit.pagination import DEFAULT_LIMIT, CursorParam, Limit, Page
from servicekit.sessions import SessionDep
from users_service import service
from users_service.params import LoginForm, NamePrefix, TokenIssuerDep, UserId
from users_service.schemas import Token, UserCreate, UserPrivate, UserRead, UserUpdate
from users_service.security import check_password, passwords

router = APIRouter(prefix="/sync/api", tags=["sync"])


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, session: SessionDep, response: Response) -> UserPrivate:
    """Register an account."""
    user = service.create_user(session, body, passwords.hash(body.password))
    response.headers["Location"] = f"{router.prefix}/users/{user.id}"
    return user


@router.get("/users")
def list_users(
    session: SessionDep,
    q: NamePrefix = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: CursorParam = None,
) -> Page[UserRead]:
    """List public profiles by id, or search them by name prefix."""
    return service.list_users(session, q=q, limit=limit, cursor=cursor)


@router.get("/users/me")
def read_me(principal: CurrentUser, session: SessionDep) -> UserPrivate:
    """The caller's own profile."""
    return service.get_me(session, principal)


@router.get("/users/{user_id}")
def read_user(user_id: UserId, session: SessionDep) -> UserRead:
    """A public profile."""
    return service.get_user(session, user_id)


@router.patch("/users/{user_id}")
def update_user(
    user_id: UserId, body: UserUpdate, principal: CurrentUser, session: SessionDep
) -> UserPrivate:
    """Change the caller's own account."""
    password_hash = passwords.hash(body.password) if body.password is not None else None
    return service.update_user(session, principal, user_id, body, password_hash)


@router.delete("/users/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_user(user_id: UserId, principal: CurrentUser, session: SessionDep) -> None:
    """Delete the caller's own account."""
    service.delete_user(session, principal, user_id)


@router.post("/auth/token")
def issue_token(form: LoginForm, session: SessionDep, issuer: TokenIssuerDep) -> Token:
    """Log in with email and password (OAuth2 password grant)."""
    user_id = check_password(service.password_hash_of(session, form.username), form.password)
    return issuer.issue(user_id)
