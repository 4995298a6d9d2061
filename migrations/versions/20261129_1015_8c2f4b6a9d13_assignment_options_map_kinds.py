"""assignment options (opening day, time limit, whose world) and map task kinds

Revision ID: 8c2f4b6a9d13
Revises: 5e8a1d3c7b92
Create Date: 2026-11-29 10:15:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '8c2f4b6a9d13'
down_revision: str | None = '5e8a1d3c7b92'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN only (docs/architecture.md, "Migrations on SQLite never copy a table others
# cascade from").
def upgrade() -> None:
    op.add_column('assignments', sa.Column('opens_on', sa.Date(), nullable=True))
    op.add_column('assignments', sa.Column('time_limit_minutes', sa.Integer(), nullable=True))
    op.add_column('assignments', sa.Column('world', sa.String(length=20),
                                           server_default='scenario', nullable=False))
    op.add_column('assignments', sa.Column('seed', sa.BigInteger(), nullable=True))
    op.add_column('map_tasks', sa.Column('kind', sa.String(length=20), server_default='area',
                                         nullable=False))
    op.add_column('map_tasks', sa.Column('target_units', sa.Integer(), server_default='80',
                                         nullable=False))


def downgrade() -> None:
    op.drop_column('map_tasks', 'target_units')
    op.drop_column('map_tasks', 'kind')
    op.drop_column('assignments', 'seed')
    op.drop_column('assignments', 'world')
    op.drop_column('assignments', 'time_limit_minutes')
    op.drop_column('assignments', 'opens_on')
