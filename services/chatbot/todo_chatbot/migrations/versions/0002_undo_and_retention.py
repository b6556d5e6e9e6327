"""undo (the last change of a conversation), a turn counter for retention, and an index for expiry

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chatbot_conversations") as batch:
        batch.add_column(sa.Column("last_change", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("turns", sa.Integer(), nullable=False, server_default="0"))
    op.create_index("ix_chatbot_conversations_updated_at", "chatbot_conversations", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_chatbot_conversations_updated_at", "chatbot_conversations")
    with op.batch_alter_table("chatbot_conversations") as batch:
        batch.drop_column("turns")
        batch.drop_column("last_change")
