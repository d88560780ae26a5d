"""product_image and product_image_text: a product's resized images in order, and their alt texts per language

Revision ID: 0011_product_images
Revises: 0008_proof
Create Date: 2026-12-04
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011_product_images'
down_revision = '0012_price_lists'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'product_image',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('variants', sa.JSON(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['product.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_product_image_product_id', 'product_image', ['product_id'])
    op.create_table(
        'product_image_text',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('image_id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('alt', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['image_id'], ['product_image.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('image_id', 'language'),
    )
    op.create_index('ix_product_image_text_image_id', 'product_image_text', ['image_id'])


def downgrade() -> None:
    op.drop_index('ix_product_image_text_image_id', table_name='product_image_text')
    op.drop_table('product_image_text')
    op.drop_index('ix_product_image_product_id', table_name='product_image')
    op.drop_table('product_image')
