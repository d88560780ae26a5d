"""price lists per shop version: a rounding rule, and explicit product and shipping prices

Revision ID: 0012_price_lists
Revises: 0008_proof
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0012_price_lists'
down_revision = '0010_catalogue_i18n'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('shop_version') as batch:
        batch.add_column(sa.Column('price_rounding', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False,
                                   server_default='none'))
    op.create_table('version_product_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['product_id'], ['product.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['shop_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'product_id')
    )
    with op.batch_alter_table('version_product_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_version_product_price_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_version_product_price_version_id'), ['version_id'], unique=False)
    op.create_table('version_shipping_price',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('shipping_method_id', sa.Integer(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['shipping_method_id'], ['shipping_method.id'], ),
    sa.ForeignKeyConstraint(['version_id'], ['shop_version.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('version_id', 'shipping_method_id')
    )
    with op.batch_alter_table('version_shipping_price', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_version_shipping_price_shipping_method_id'), ['shipping_method_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_version_shipping_price_version_id'), ['version_id'], unique=False)


def downgrade() -> None:
    for table, column in (('version_shipping_price', 'shipping_method_id'), ('version_product_price', 'product_id')):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_version_id'))
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
        op.drop_table(table)
    with op.batch_alter_table('shop_version') as batch:
        batch.drop_column('price_rounding')
