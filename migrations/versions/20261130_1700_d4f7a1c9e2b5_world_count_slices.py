"""worlds keep what a count has counted between the slices its jobs count

Revision ID: d4f7a1c9e2b5
Revises: c8e4a2f6b9d1
Create Date: 2026-11-30 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd4f7a1c9e2b5'
down_revision: str | None = 'c8e4a2f6b9d1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# A plain ALTER TABLE ADD COLUMN: nothing is copied (docs/architecture.md, "Migrations on
# SQLite never copy a table others cascade from"). A count under way during the upgrade has
# NULL, so its next job (or its restart) counts from its first grid, as before.
def upgrade() -> None:
    op.add_column('worlds', sa.Column('count_partial', sa.JSON(none_as_null=True),
                                      nullable=True))


def downgrade() -> None:
    op.drop_column('worlds', 'count_partial')
