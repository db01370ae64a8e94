"""The rules of the users service. Reads take `Reads` (servicekit.queries.reads), writes a sync
`Session`; async handlers run either in their greenlet. Nothing here commits; errors
are domain errors.

Password hashing is CPU work, so callers hash before and verify after the database
step: that way async handlers can keep it off the event loop.
"""

from sqlalchemy import exc
from sqlalchemy.orm import Session

from servicekit.db.engines import violates
from servicekit.db.models import utcnow
from servicekit.queries.reads import Reads, reads_of
from servicekit.security.tokens import Principal
from users_service import repository
from users_service.errors import AccountGone, EmailTaken, NotYourAccount, UserNotFound
from users_service.schemas import (
    UserCreate,
    UserCursor,
    UserPage,
    UserPrivate,
    UserRead,
    UserSearchCursor,
    UserUpdate,
)

EMAIL_CONSTRAINT = "uq_users_email"


def create_user(session: Session, data: UserCreate, password_hash: str) -> UserPrivate:
    now = utcnow()
    values = {
        "name": data.name,
        "email": data.email,
        "password_hash": password_hash,
        "avatar": data.avatar,
        "created_at": now,
        "updated_at": now,
    }
    try:
        user_id = repository.insert_user(session, values)
    except exc.IntegrityError as error:
        if violates(error, EMAIL_CONSTRAINT):
            raise EmailTaken(f"An account with the email {data.email} exists") from None
        raise
    return UserPrivate(
        id=user_id, name=data.name, email=data.email, avatar=data.avatar, created_at=now
    )


def get_user(reads: Reads, user_id: int) -> UserRead:
    row = repository.public_user(reads, user_id)
    if row is None:
        raise UserNotFound(f"No user with id {user_id}")
    return UserRead.model_construct(**row)


def get_me(reads: Reads, principal: Principal) -> UserPrivate:
    row = repository.private_user(reads, principal.user_id)
    if row is None:
        raise AccountGone("The token's account no longer exists")
    return UserPrivate.model_construct(**row)


def list_users(reads: Reads, *, q: str | None, limit: int, cursor: str | None) -> UserPage:
    """A page of public profiles, its items the rows as the driver gave them: the users
    list is the hottest read, and a model object per row cost more than its query."""
    if not q:
        after_id = UserCursor.decode(cursor).after_id if cursor else None
        return UserPage.fetch(
            limit,
            lambda count: repository.page(reads, limit=count, after_id=after_id),
            lambda last: UserCursor(after_id=last["id"]).encode(),
        )
    key = q.lower()
    after = None
    if cursor:
        start = UserSearchCursor.decode(cursor, key_prefix=key)
        after = start.after_key, start.after_id
    return UserPage.fetch(
        limit,
        lambda count: repository.search_page(reads, key_prefix=key, limit=count, after=after),
        lambda last: UserSearchCursor(
            key_prefix=key, after_key=last["name_key"], after_id=last["id"]
        ).encode(),
        cursor_keys=("name_key",),  # the cursor's, not the profile's
    )


def update_user(
    session: Session,
    principal: Principal,
    user_id: int,
    changes: UserUpdate,
    password_hash: str | None,
) -> UserPrivate:
    _require_self(principal, user_id)
    values = changes.model_dump(include=changes.model_fields_set - {"password"})
    if password_hash is not None:
        values["password_hash"] = password_hash
    try:
        updated = repository.update_user(session, user_id, values, utcnow())
    except exc.IntegrityError as error:
        if violates(error, EMAIL_CONSTRAINT):
            raise EmailTaken(f"An account with the email {changes.email} exists") from None
        raise
    row = repository.private_user(reads_of(session), user_id) if updated else None
    if row is None:
        raise UserNotFound(f"No user with id {user_id}")
    return UserPrivate.model_construct(**row)


def delete_user(session: Session, principal: Principal, user_id: int) -> None:
    _require_self(principal, user_id)
    if not repository.delete_user(session, user_id):
        raise UserNotFound(f"No user with id {user_id}")


def _require_self(principal: Principal, user_id: int) -> None:
    if principal.user_id != user_id:
        raise NotYourAccount("Only the account's owner may change or delete it")


def password_hash_of(reads: Reads, email: str) -> tuple[int, str] | None:
    row = repository.credentials(reads, email.lower())
    return None if row is None else (row["id"], row["password_hash"])
