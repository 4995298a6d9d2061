"""scenario authoring: drafts, editors, a changelog line per published version

Revision ID: 5e8a1d3c7b92
Revises: fc1973ef6fdb
Create Date: 2026-11-29 10:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5e8a1d3c7b92'
down_revision: str | None = 'fc1973ef6fdb'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# New tables and a plain ADD COLUMN: nothing is copied (docs/architecture.md, "Migrations on
# SQLite never copy a table others cascade from").
def upgrade() -> None:
    op.add_column('scenario_versions',
                  sa.Column('changelog', sa.Text(), server_default='', nullable=False))
    op.create_table('scenario_editors',
    sa.Column('scenario_id', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('owner', sa.Boolean(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_scenario_editors_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('scenario_id', 'user_id', name=op.f('pk_scenario_editors'))
    )
    op.create_table('scenario_drafts',
    sa.Column('scenario_id', sa.String(length=80), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_scenario_drafts_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('scenario_id', name=op.f('pk_scenario_drafts'))
    )


def downgrade() -> None:
    op.drop_table('scenario_drafts')
    op.drop_table('scenario_editors')
    op.drop_column('scenario_versions', 'changelog')
