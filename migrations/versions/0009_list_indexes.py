"""decisions: partial indexes for the retest queue (the recent X2 warnings, and the X2 suspensions
that settle them), so the desk reads the warnings in deadline order and tests each against its
licence's suspensions without reading the licence's other decisions; licences: the list's sort
orders by expiry and by application day, read by index rather than by sorting every licence

Revision ID: 0009_list_indexes
Revises: 0008_inspection_numbers
"""
from alembic import op
import sqlalchemy as sa

revision = "0009_list_indexes"
down_revision = "0008_inspection_numbers"
branch_labels = None
depends_on = None

X2_WARNING = "rule = 'X2' AND kind = 'warn'"
X2_SUSPENSION = "rule = 'X2' AND kind = 'suspend'"


def upgrade() -> None:
    op.create_index("ix_decisions_x2_warnings", "decisions", ["deadline", "id"],
                    postgresql_where=sa.text(X2_WARNING), sqlite_where=sa.text(X2_WARNING))
    op.create_index("ix_decisions_x2_suspensions", "decisions", ["licence_id", "effective_on"],
                    postgresql_where=sa.text(X2_SUSPENSION), sqlite_where=sa.text(X2_SUSPENSION))
    op.create_index("ix_licences_expires_on", "licences", ["expires_on", "id"])
    op.create_index("ix_licences_applied_on", "licences", ["applied_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_licences_applied_on", table_name="licences")
    op.drop_index("ix_licences_expires_on", table_name="licences")
    op.drop_index("ix_decisions_x2_suspensions", table_name="decisions")
    op.drop_index("ix_decisions_x2_warnings", table_name="decisions")
