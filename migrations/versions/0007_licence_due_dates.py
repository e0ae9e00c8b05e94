"""licences: what the work queues sort and filter by (X4's base day, the first unpaid fee's due day),
indexed, and the queues' orders; decisions and inspections: indexes for the retest queues

Revision ID: 0007_licence_due_dates
Revises: 0006_inspection_void
"""
from datetime import date
from decimal import Decimal

from alembic import op
import sqlalchemy as sa

revision = "0007_licence_due_dates"
down_revision = "0006_inspection_void"
branch_labels = None
depends_on = None

LIVE = "('active', 'suspended')"

# X4 as rules.surveillance_base counts it: the latest verified surveillance or market inspection of
# the licence's scope against the mark's standard (not a draft version), if later than the grant.
SURVEILLANCE_BASE = f"""
UPDATE licences SET surveillance_base = (
    SELECT MAX(inspections.sampled_on) FROM inspections
    JOIN licence_models ON licence_models.product_model_id = inspections.product_model_id
    JOIN standard_versions ON standard_versions.id = inspections.version_id
    JOIN marks ON marks.id = licences.mark_id
    WHERE licence_models.licence_id = licences.id AND inspections.firm_id = licences.firm_id
      AND inspections.status = 'verified' AND inspections.outcome IN ('pass', 'fail')
      AND inspections.type IN ('surveillance', 'market') AND standard_versions.status <> 'draft'
      AND (marks.standard_id IS NULL OR standard_versions.standard_id = marks.standard_id))
WHERE status IN {LIVE} AND granted_on IS NOT NULL
"""


def _fee_due_days(bind) -> list[dict]:
    """The due day of each live licence's first year not fully paid (rules.first_unpaid_fee_due)."""
    licences = bind.execute(sa.text(
        f"SELECT licences.id, licences.granted_on, marks.fee_per_year FROM licences JOIN marks ON marks.id = licences.mark_id "
        f"WHERE licences.status IN {LIVE} AND licences.granted_on IS NOT NULL AND marks.fee_per_year IS NOT NULL")).all()
    paid: dict[tuple[int, int], Decimal] = {}
    for licence_id, year, amount in bind.execute(sa.text(
            "SELECT licence_id, year, amount FROM payments")):
        paid[(licence_id, year)] = paid.get((licence_id, year), Decimal(0)) + Decimal(amount)
    out = []
    for licence_id, granted_on, fee in licences:
        fee = Decimal(fee)
        if isinstance(granted_on, str):  # SQLite hands text back to a plain SELECT
            granted_on = date.fromisoformat(granted_on)
        if not fee:
            continue
        year = granted_on.year
        while paid.get((licence_id, year), Decimal(0)) >= fee:
            year += 1
        out.append({"b_id": licence_id, "due": granted_on if year == granted_on.year else date(year, 1, 1)})
    return out


def upgrade():
    with op.batch_alter_table("licences") as batch:
        batch.add_column(sa.Column("surveillance_base", sa.Date(), nullable=True))
        batch.add_column(sa.Column("fee_due_on", sa.Date(), nullable=True))
        batch.create_index("ix_licences_surveillance_base", ["mark_id", "surveillance_base", "id", "status"])
        batch.create_index("ix_licences_fee_due_on", ["fee_due_on", "id", "mark_id", "status"])
        batch.create_index("ix_licences_status_applied_on", ["status", "applied_on", "id"])
        batch.create_index("ix_licences_status_suspended_on", ["status", "suspended_on", "id"])
    op.create_index("ix_decisions_rule_deadline", "decisions", ["rule", "deadline"])
    op.create_index("ix_inspections_type_status", "inspections", ["type", "status"])
    bind = op.get_bind()
    bind.execute(sa.text(SURVEILLANCE_BASE))
    bind.execute(sa.text(f"UPDATE licences SET surveillance_base = granted_on WHERE status IN {LIVE} "
                         "AND granted_on IS NOT NULL AND (surveillance_base IS NULL OR surveillance_base < granted_on)"))
    due = _fee_due_days(bind)
    statement = sa.text("UPDATE licences SET fee_due_on = :due WHERE id = :b_id").bindparams(
        sa.bindparam("due", type_=sa.Date()))
    for i in range(0, len(due), 5000):
        bind.execute(statement, due[i:i + 5000])


def downgrade():
    op.drop_index("ix_inspections_type_status", table_name="inspections")
    op.drop_index("ix_decisions_rule_deadline", table_name="decisions")
    with op.batch_alter_table("licences") as batch:
        batch.drop_index("ix_licences_status_suspended_on")
        batch.drop_index("ix_licences_status_applied_on")
        batch.drop_index("ix_licences_fee_due_on")
        batch.drop_index("ix_licences_surveillance_base")
        batch.drop_column("fee_due_on")
        batch.drop_column("surveillance_base")
