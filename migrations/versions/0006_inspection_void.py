"""inspections: void drafts with a reason, and the reviewer's return reason kept on the row;
certificates: the reason of a re-issue

Revision ID: 0006_inspection_void
Revises: 0005_user_alliances
"""
from alembic import op
import sqlalchemy as sa

revision = "0006_inspection_void"
down_revision = "0005_user_alliances"
branch_labels = None
depends_on = None


def upgrade():
    # The status column is a String(16): "void" needs no type change, only the columns that explain it.
    with op.batch_alter_table("inspections") as batch:
        batch.add_column(sa.Column("return_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("return_sampling", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("returned_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("void_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("voided_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("voided_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key("fk_inspections_returned_by_id_users", "users", ["returned_by_id"], ["id"])
        batch.create_foreign_key("fk_inspections_voided_by_id_users", "users", ["voided_by_id"], ["id"])
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("reason")
    with op.batch_alter_table("inspections") as batch:
        batch.drop_constraint("fk_inspections_voided_by_id_users", type_="foreignkey")
        batch.drop_constraint("fk_inspections_returned_by_id_users", type_="foreignkey")
        for name in ("voided_at", "voided_by_id", "void_reason", "returned_by_id", "return_sampling", "return_reason"):
            batch.drop_column(name)
