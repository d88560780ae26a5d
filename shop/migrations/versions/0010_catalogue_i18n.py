"""Catalogue texts per language: product, category, shipping method and payment method names and descriptions

Revision ID: 0010_catalogue_i18n
Revises: 0008_proof
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0010_catalogue_i18n'
down_revision = '0008_proof'
branch_labels = None
depends_on = None

TEXT_TABLES = (  # table, owner column, owner table
    ('product_text', 'product_id', 'product'),
    ('category_text', 'category_id', 'category'),
    ('shipping_method_text', 'shipping_method_id', 'shipping_method'),
    ('payment_method_text', 'payment_method_id', 'payment_method'),
)


def upgrade() -> None:
    for table, owner_column, owner_table in TEXT_TABLES:
        op.create_table(
            table,
            sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
            sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
            sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column('id', sa.Integer(), nullable=False),
            sa.Column(owner_column, sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint([owner_column], [f'{owner_table}.id'], ondelete='CASCADE'),
            sa.PrimaryKeyConstraint('id'),
            sa.UniqueConstraint(owner_column, 'language'),
        )
        op.create_index(op.f(f'ix_{table}_{owner_column}'), table, [owner_column], unique=False)


def downgrade() -> None:
    for table, owner_column, _owner_table in reversed(TEXT_TABLES):
        op.drop_index(op.f(f'ix_{table}_{owner_column}'), table_name=table)
        op.drop_table(table)
