"""token versions, rate-limit counters and failed-login lockout

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 21:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))
    op.create_table(
        "rate_limits",
        sa.Column("key", sa.String(length=400), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "login_failures",
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure", sa.Float(), nullable=False),
        sa.Column("locked_until", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("account", "address"),
    )
    op.create_index("ix_login_failures_account_last", "login_failures", ["account", "last_failure"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_account_last", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_table("rate_limits")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("token_version")
