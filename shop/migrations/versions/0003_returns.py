"""product returns and their lines

Revision ID: 0003_returns
Revises: 0004_mail_outbox
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0003_returns'
down_revision = '0004_mail_outbox'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('order_return',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('restocked', sa.Boolean(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_return', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_return_order_id'), ['order_id'], unique=False)

    op.create_table('order_return_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('order_line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['order_line_id'], ['order_line.id'], ),
    sa.ForeignKeyConstraint(['return_id'], ['order_return.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('order_return_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_order_return_line_return_id'), ['return_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('order_return_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_return_line_return_id'))
    op.drop_table('order_return_line')
    with op.batch_alter_table('order_return', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_order_return_order_id'))
    op.drop_table('order_return')
