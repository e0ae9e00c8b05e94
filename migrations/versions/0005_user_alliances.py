"""user_alliances: the alliances a staff user serves (SPEC §10)

Revision ID: 0005_user_alliances
Revises: 0004_sessions_tokens
"""
from alembic import op
import sqlalchemy as sa

revision = "0005_user_alliances"
down_revision = "0004_sessions_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "user_alliances",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("alliance_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["alliance_id"], ["alliances.id"], name=op.f("fk_user_alliances_alliance_id_alliances")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_alliances_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "alliance_id", name=op.f("pk_user_alliances")),
    )


def downgrade():
    op.drop_table("user_alliances")
