"""attempts keep the small-area map drawn during the field work

Revision ID: e7a9c3b5d2f4
Revises: d4b8e2f6a1c7
Create Date: 2026-11-29 16:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e7a9c3b5d2f4'
down_revision: str | None = 'd4b8e2f6a1c7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Columns added only: ALTER TABLE ADD COLUMN, no table is copied (docs/architecture.md,
# "Migrations on SQLite never copy a table others cascade from").
def upgrade() -> None:
    op.add_column('attempts', sa.Column('map_drawing', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('attempts', 'map_drawing')
