"""session generation on user accounts: logout and a new password end every session

Revision ID: 0006_security
Revises: 0004_mail_outbox
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_security'
down_revision = '0005_attention'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.add_column(sa.Column('session_generation', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('user_account') as batch:
        batch.drop_column('session_generation')
