"""payment.lease_owner: which sync run holds or last read a payment, so concurrent runs read it once

Revision ID: 0008_proof
Revises: 0007_perf
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0008_proof'
down_revision = '0007_perf'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('payment') as batch:
        batch.add_column(sa.Column('lease_owner', sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payment') as batch:
        batch.drop_column('lease_owner')
