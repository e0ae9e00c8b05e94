"""licences: at most one open application or licence per firm and mark (issue 12, SPEC §4)

Revision ID: 0003_open_licence_unique
Revises: 0002_clause_interval
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_open_licence_unique"
down_revision = "0002_clause_interval"
branch_labels = None
depends_on = None

OPEN = "status IN ('applied', 'active', 'suspended')"


def upgrade():
    op.create_index("uq_licences_open_firm_mark", "licences", ["firm_id", "mark_id"], unique=True,
                    postgresql_where=sa.text(OPEN), sqlite_where=sa.text(OPEN))


def downgrade():
    op.drop_index("uq_licences_open_firm_mark", table_name="licences")
