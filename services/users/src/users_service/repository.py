"""The SQL of the users service.

Reads are named queries in queries.sql (servicekit.queries.named_sql), run on the driver's
connection in either mode (servicekit.queries.reads). Writes are SQLAlchemy statements built
once, here, run on a sync `Session`, which async handlers run through
`AsyncSession.run_sync`.
"""

from datetime import datetime
from pathlib import Path
from typing import Any, cast

from sqlalchemy import bindparam, delete, insert, update
from sqlalchemy.orm import Session

from servicekit.queries.named_sql import NamedSQL
from servicekit.queries.reads import Reads, Row
from servicekit.queries.search import like_prefix
from users_service.models import User

SQL = NamedSQL.load(Path(__file__).parent, "queries")

# Run on the session's connection, as Core: the new primary key is reported on both
# servers (the session would take it for an ORM bulk insert, which reports none).
_insert = insert(User)
_delete = delete(User).where(User.id == bindparam("user_id"))


def public_user(reads: Reads, user_id: int) -> Row | None:
    return reads.row(SQL.public_user, id=user_id)


def private_user(reads: Reads, user_id: int) -> Row | None:
    return reads.row(SQL.private_user, id=user_id)


def credentials(reads: Reads, email: str) -> Row | None:
    return reads.row(SQL.credentials, email=email)


def page(reads: Reads, *, limit: int, after_id: int | None) -> list[Row]:
    if after_id is None:
        return reads.rows(SQL.users_page, limit=limit)
    return reads.rows(SQL.users_page_after, after_id=after_id, limit=limit)


def search_page(
    reads: Reads, *, key_prefix: str, limit: int, after: tuple[str, int] | None
) -> list[Row]:
    """Rows with the public columns and `name_key`."""
    prefix = like_prefix(key_prefix)
    if after is None:
        return reads.rows(SQL.users_by_name, prefix=prefix, limit=limit)
    after_key, after_id = after
    return reads.rows(
        SQL.users_by_name_after, prefix=prefix, after_key=after_key, after_id=after_id, limit=limit
    )


def insert_user(session: Session, values: dict[str, Any]) -> int:
    key = session.connection().execute(_insert, values).inserted_primary_key
    assert key is not None  # typed Optional, but a one-row INSERT always reports it
    return cast(int, key[0])  # a Row's items are untyped; this one is the BIGINT id


def update_user(session: Session, user_id: int, values: dict[str, Any], now: datetime) -> bool:
    statement = update(User).where(User.id == user_id).values(**values, updated_at=now)
    # On the connection: its CursorResult has the rowcount (the same SQL as the session's).
    return session.connection().execute(statement).rowcount == 1


def delete_user(session: Session, user_id: int) -> bool:
    return session.connection().execute(_delete, {"user_id": user_id}).rowcount == 1
