"""create items

Revision ID: 0001
Revises:
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit.db.models import UTCDateTime

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TITLE_KEY = sa.String(200, collation="C").with_variant(
    sa.String(200, collation="utf8mb4_bin"), "mysql", "mariadb"
)


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.BigInteger(), autoincrement=True, nullable=False),
        # A user id of the users service: no foreign key, that table lives elsewhere.
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        # Search key: a stored generated column, indexed with id for search pages.
        sa.Column("title_key", TITLE_KEY, sa.Computed("lower(title)", persisted=True)),
        sa.Column("description", sa.String(2000), nullable=True),
        sa.Column("views", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_items"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    op.create_index("ix_items_title_key_id", "items", ["title_key", "id"])
    op.create_index("ix_items_owner_id_id", "items", ["owner_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_items_owner_id_id", table_name="items")
    op.drop_index("ix_items_title_key_id", table_name="items")
    op.drop_table("items")
