"""inspections: a stored number per station and year, gapless, kept by revisions; the counters behind
inspection and licence numbers

Existing inspections are numbered in id order per station and year of creation (in the alliance's
time zone); a revision takes its inspection's number. Licence numbers are printed on certificates and
signed into their QR codes, so they are kept. The counters are created by the application when a
sequence first needs one, starting after the highest number already given (infra.numbering), so
they are audited rows like any other.

Revision ID: 0008_inspection_numbers
Revises: 0007_licence_due_dates
"""
from collections import defaultdict
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa

revision = "0008_inspection_numbers"
down_revision = "0007_licence_due_dates"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "number_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("scope_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_number_counters")),
        sa.UniqueConstraint("kind", "scope_id", "year", name="uq_number_counters_sequence"),
    )
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("number", sa.String(length=48), nullable=True))
    bind = op.get_bind()
    _number_inspections(bind)
    with op.batch_alter_table("inspections") as batch:
        batch.alter_column("number", existing_type=sa.String(length=48), nullable=False)
        batch.create_unique_constraint("uq_inspections_number_revision", ["number", "revision"])


def _number_inspections(bind) -> None:
    from infra.clock import zone

    tz = zone()
    codes = dict(bind.execute(sa.text("SELECT id, code FROM stations")).all())
    rows = bind.execute(sa.text(
        "SELECT id, station_id, supersedes_id, created_at FROM inspections ORDER BY id")).all()
    last: dict[tuple[int, int], int] = defaultdict(int)
    numbers: dict[int, str] = {}
    for row in rows:
        if row.supersedes_id is not None and row.supersedes_id in numbers:
            numbers[row.id] = numbers[row.supersedes_id]  # a revision keeps its inspection's number
            continue
        created = row.created_at
        if isinstance(created, str):  # SQLite hands a raw query's timestamp back as text
            created = datetime.fromisoformat(created)
        year = created.replace(tzinfo=timezone.utc).astimezone(tz).year
        last[(row.station_id, year)] += 1
        numbers[row.id] = f"{codes[row.station_id]}-{year}-{last[(row.station_id, year)]:04d}"
    for ident, number in numbers.items():
        bind.execute(sa.text("UPDATE inspections SET number = :number WHERE id = :id"), {"number": number, "id": ident})


def downgrade():
    with op.batch_alter_table("inspections") as batch:
        batch.drop_constraint("uq_inspections_number_revision", type_="unique")
        batch.drop_column("number")
    op.drop_table("number_counters")
