"""The SQL of the users service.

Statements are built once, here, and run by either mode: services call these functions
with a sync `Session`, and async handlers run the same service functions through
`AsyncSession.run_sync`, where every `execute` awaits the async driver.
"""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, tuple_, update
from sqlalchemy.orm import Session

from servicekit.search import LIKE_ESCAPE, like_prefix
from servicekit.sessions import read
from users_service.models import User

PUBLIC_COLUMNS = (User.id, User.name, User.avatar, User.created_at)
# Their names, in order: list rows start with these columns (a search row adds name_key).
PUBLIC_KEYS = tuple(column.key for column in PUBLIC_COLUMNS)
PRIVATE_COLUMNS = (*PUBLIC_COLUMNS, User.email)

_public_by_id = select(*PUBLIC_COLUMNS).where(User.id == bindparam("id"))
_private_by_id = select(*PRIVATE_COLUMNS).where(User.id == bindparam("id"))
_credentials_by_email = select(User.id, User.password_hash).where(User.email == bindparam("email"))
# Run on the session's connection, as Core: the new primary key is reported on both
# servers (the session would take it for an ORM bulk insert, which reports none).
_insert = insert(User)
_delete = delete(User).where(User.id == bindparam("user_id"))

_page = select(*PUBLIC_COLUMNS).order_by(User.id).limit(bindparam("limit"))
_page_after = _page.where(User.id > bindparam("after_id"))
_search = (
    select(*PUBLIC_COLUMNS, User.name_key)
    .where(User.name_key.like(bindparam("prefix"), escape=LIKE_ESCAPE))
    .order_by(User.name_key, User.id)
    .limit(bindparam("limit"))
)
# Both bounds on purpose: Postgres starts the index scan at the row comparison itself;
# MariaDB cannot, but starts at `name_key >= after_key` and filters the few rows of
# that one name. Either way a page costs the same at any depth.
_search_after = _search.where(
    User.name_key >= bindparam("after_key"),
    tuple_(User.name_key, User.id) > tuple_(bindparam("after_key"), bindparam("after_id")),
)


def insert_user(session: Session, values: dict[str, Any]) -> int:
    key = session.connection().execute(_insert, values).inserted_primary_key
    assert key is not None  # typed Optional, but a one-row INSERT always reports it
    return key[0]


def public_user(session: Session, user_id: int) -> Row | None:
    return read(session, _public_by_id, {"id": user_id}).one_or_none()


def private_user(session: Session, user_id: int) -> Row | None:
    return read(session, _private_by_id, {"id": user_id}).one_or_none()


def credentials(session: Session, email: str) -> Row | None:
    return read(session, _credentials_by_email, {"email": email}).one_or_none()


def page(session: Session, *, limit: int, after_id: int | None) -> Sequence[Row]:
    if after_id is None:
        return read(session, _page, {"limit": limit}).all()
    return read(session, _page_after, {"limit": limit, "after_id": after_id}).all()


def search_page(
    session: Session, *, key_prefix: str, limit: int, after: tuple[str, int] | None
) -> Sequence[Row]:
    params = {"prefix": like_prefix(key_prefix), "limit": limit}
    if after is None:
        return read(session, _search, params).all()
    params["after_key"], params["after_id"] = after
    return read(session, _search_after, params).all()


def update_user(session: Session, user_id: int, values: dict[str, Any], now: datetime) -> bool:
    statement = update(User).where(User.id == user_id).values(**values, updated_at=now)
    # On the connection: its CursorResult has the rowcount (the same SQL as the session's).
    return session.connection().execute(statement).rowcount == 1


def delete_user(session: Session, user_id: int) -> bool:
    return session.connection().execute(_delete, {"user_id": user_id}).rowcount == 1
