"""worlds are counted by a job: its progress, last report, state, run, resumes and error

Revision ID: b6d2f8a4c1e3
Revises: f3b1d7a9c5e2
Create Date: 2026-11-30 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'b6d2f8a4c1e3'
down_revision: str | None = 'f3b1d7a9c5e2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Columns added with plain ALTER TABLE ADD COLUMN: nothing is copied (docs/architecture.md,
# "Migrations on SQLite never copy a table others cascade from"). Existing worlds were
# counted when they were made: their columns stay NULL.
def upgrade() -> None:
    op.add_column('worlds', sa.Column('counted_grids', sa.Integer(), nullable=True))
    op.add_column('worlds', sa.Column('count_touched_at', sa.DateTime(timezone=True),
                                      nullable=True))
    op.add_column('worlds', sa.Column('count_running', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    op.add_column('worlds', sa.Column('count_run', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.add_column('worlds', sa.Column('count_resumes', sa.Integer(), nullable=False,
                                      server_default='0'))
    op.add_column('worlds', sa.Column('count_error', sa.JSON(none_as_null=True), nullable=True))


def downgrade() -> None:
    op.drop_column('worlds', 'count_error')
    op.drop_column('worlds', 'count_resumes')
    op.drop_column('worlds', 'count_run')
    op.drop_column('worlds', 'count_running')
    op.drop_column('worlds', 'count_touched_at')
    op.drop_column('worlds', 'counted_grids')
