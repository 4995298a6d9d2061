"""attempts keep the HMT/foreign forms and the area's death form

Revision ID: d4b8e2f6a1c7
Revises: a3e5c7d9f1b2
Create Date: 2026-11-29 13:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd4b8e2f6a1c7'
down_revision: str | None = 'a3e5c7d9f1b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Columns added only: ALTER TABLE ADD COLUMN, no table is copied (docs/architecture.md,
# "Migrations on SQLite never copy a table others cascade from").
def upgrade() -> None:
    op.add_column('attempts', sa.Column('hmt_forms', sa.JSON(), nullable=True))
    op.add_column('attempts', sa.Column('deaths', sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column('attempts', 'deaths')
    op.drop_column('attempts', 'hmt_forms')
