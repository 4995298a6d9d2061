"""map tasks may allow a redraw; a drawing keeps its earlier submitted tries

Revision ID: f3b1d7a9c5e2
Revises: e7a9c3b5d2f4
Create Date: 2026-11-29 17:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'f3b1d7a9c5e2'
down_revision: str | None = 'e7a9c3b5d2f4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A column added with plain ALTER TABLE ADD COLUMN and a new table: nothing is copied
# (docs/architecture.md, "Migrations on SQLite never copy a table others cascade from").
def upgrade() -> None:
    op.add_column('map_tasks', sa.Column('redraw_allowed', sa.Boolean(), nullable=False,
                                         server_default=sa.true()))
    op.create_table(
        'map_tries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('drawing_id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), nullable=False),
        sa.Column('geojson', sa.JSON(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('saves', sa.Integer(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['drawing_id'], ['map_drawings.id'],
                                name=op.f('fk_map_tries_drawing_id_map_drawings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_map_tries')),
        sa.UniqueConstraint('drawing_id', 'number', name=op.f('uq_map_tries_drawing_id_number')),
    )
    op.create_index(op.f('ix_map_tries_drawing_id'), 'map_tries', ['drawing_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_map_tries_drawing_id'), table_name='map_tries')
    op.drop_table('map_tries')
    op.drop_column('map_tasks', 'redraw_allowed')
