"""orders list at scale: each order's latest payment on the order, indexed payment expiry, trigram search indexes

Revision ID: 0007_perf
Revises: 0006_security
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_perf'
down_revision = '0006_security'
branch_labels = None
depends_on = None

# PostgreSQL only: ILIKE '%...%' over these expressions uses them (SQLite scans; its orders lists are small).
TRIGRAM_INDEXES = {
    'ix_shop_order_number_trgm': 'number',
    'ix_shop_order_email_trgm': 'email',
    'ix_shop_order_name_trgm': "(given_name || ' ' || family_name)",
}


def upgrade() -> None:
    with op.batch_alter_table('shop_order') as batch:
        batch.add_column(sa.Column('latest_payment_id', sa.Integer(), nullable=True))
        batch.create_index('ix_shop_order_latest_payment_id', ['latest_payment_id'])
    op.execute("UPDATE shop_order SET latest_payment_id = "
               "(SELECT max(payment.id) FROM payment WHERE payment.order_id = shop_order.id)")
    with op.batch_alter_table('payment') as batch:
        batch.create_index('ix_payment_expires_at', ['expires_at'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        for name, expression in TRIGRAM_INDEXES.items():
            op.execute(f'CREATE INDEX {name} ON shop_order USING gin ({expression} gin_trgm_ops)')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        for name in TRIGRAM_INDEXES:
            op.execute(f'DROP INDEX IF EXISTS {name}')
    with op.batch_alter_table('payment') as batch:
        batch.drop_index('ix_payment_expires_at')
    with op.batch_alter_table('shop_order') as batch:
        batch.drop_index('ix_shop_order_latest_payment_id')
        batch.drop_column('latest_payment_id')
