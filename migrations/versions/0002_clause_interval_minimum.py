"""clauses: GB/T 8170 rounding interval and a declared physical minimum (SPEC §3, §7)

Revision ID: 0002_clause_interval
Revises: 0001_initial
"""
from alembic import op
import sqlalchemy as sa

revision = "0002_clause_interval"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clauses") as batch:
        batch.add_column(sa.Column("interval", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("minimum", sa.String(length=40), nullable=True))


def downgrade():
    with op.batch_alter_table("clauses") as batch:
        batch.drop_column("minimum")
        batch.drop_column("interval")
