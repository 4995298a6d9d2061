"""attempts keep a fingerprint of the true households they began with, grades of those
they were graded on

Revision ID: c8e4a2f6b9d1
Revises: b6d2f8a4c1e3
Create Date: 2026-11-30 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c8e4a2f6b9d1'
down_revision: str | None = 'b6d2f8a4c1e3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A plain ALTER TABLE ADD COLUMN: nothing is copied (docs/architecture.md, "Migrations on
# SQLite never copy a table others cascade from"). Attempts and grades already there keep
# NULL: whether their households are still drawn alike cannot be told.
def upgrade() -> None:
    op.add_column('attempts', sa.Column('truth_fingerprint', sa.String(length=64),
                                        nullable=True))
    op.add_column('grades', sa.Column('truth_fingerprint', sa.String(length=64),
                                      nullable=True))


def downgrade() -> None:
    op.drop_column('grades', 'truth_fingerprint')
    op.drop_column('attempts', 'truth_fingerprint')
