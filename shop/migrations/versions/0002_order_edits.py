"""order edits: the order's edit revision, the payment's unacknowledged Klarna amount change

Revision ID: 0002_order_edits
Revises: 0001
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_order_edits'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('amount_notice_event_id', sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('payment', schema=None) as batch_op:
        batch_op.drop_column('amount_notice_event_id')
    with op.batch_alter_table('shop_order', schema=None) as batch_op:
        batch_op.drop_column('revision')
