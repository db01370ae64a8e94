"""create view_flushes

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from servicekit.db.models import UTCDateTime

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "view_flushes",
        # The worker's flush ids: hex tokens, compared byte-wise on both servers.
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("applied_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_view_flushes"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
    )
    # The worker prunes old flush ids on every flush.
    op.create_index("ix_view_flushes_applied_at", "view_flushes", ["applied_at"])


def downgrade() -> None:
    op.drop_index("ix_view_flushes_applied_at", table_name="view_flushes")
    op.drop_table("view_flushes")
